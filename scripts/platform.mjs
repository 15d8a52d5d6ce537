// The napi-rs platform name of this machine (linux-x64-gnu, darwin-arm64, win32-x64-msvc, ...),
// the suffix of the per-platform package under npm/ and of the .node file.
export function platformName() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const glibc = process.report?.getReport?.().header?.glibcVersionRuntime
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}
