#!/usr/bin/env node
// `npm run test:prebuilt`: what a user's `npm install modelmap` gets, tested for real. Packs the
// main and this platform's package, lints the packed package (publint, arethetypeswrong), installs
// both tarballs into an empty project with no cargo/rustc on PATH and no registry (--offline),
// then requires and imports modelmap there and checks that it maps a file.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name) => path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name)
const run = (cmd, args, options = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], shell: process.platform === 'win32', ...options })
let passed = 0
let failed = 0
const check = (name, fn) => {
  try {
    fn()
    passed++
    console.log(`  ✔ ${name}`)
  } catch (err) {
    failed++
    console.log(`  ✘ ${name}\n${String(err?.stack ?? err).replace(/^/gm, '      ')}`)
  }
}

const packed = JSON.parse(run(process.execPath, [path.join(root, 'scripts', 'pack-local.mjs')]).trim().split('\n').at(-1))

check('publint finds no problems in the packed package', () => {
  const out = run(bin('publint'), ['run', packed.stage, '--strict'])
  if (!/All good/i.test(out)) throw new Error(out)
})
check('arethetypeswrong finds no problems (ESM and CJS types resolve)', () => {
  run(bin('attw'), [packed.main, '--profile', 'node16', '--format', 'ascii'])
})

// PATH without any directory that holds cargo or rustc: the install must not need a compiler.
const exe = process.platform === 'win32' ? '.exe' : ''
const pathDirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d && !['cargo', 'rustc'].some((t) => fs.existsSync(path.join(d, t + exe))))
const env = { ...process.env, PATH: pathDirs.join(path.delimiter), npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' }
for (const k of Object.keys(env)) if (k.startsWith('CARGO') || k.startsWith('RUSTUP')) delete env[k]

const project = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmap-prebuilt-'))
try {
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }))
  const model = path.join(project, 'model.bin')
  fs.writeFileSync(model, Buffer.from('GGUF-prebuilt-install-check'))
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

  check('no cargo or rustc on the PATH used for the install', () => {
    for (const tool of ['cargo', 'rustc']) {
      if (pathDirs.some((d) => fs.existsSync(path.join(d, tool + exe)))) throw new Error(`${tool} is reachable`)
    }
  })
  // The offline install still resolves modelmap's own dependencies (commander, cli-progress) by
  // their ranges, which needs their registry metadata in npm's cache. A fresh machine's cache
  // holds only what `npm install` of the lockfile fetched (tarballs, no metadata), so warm it
  // with an ordinary install of those dependencies in a scratch project first. modelmap itself
  // still comes only from the two tarballs.
  check("npm's cache holds modelmap's runtime dependencies (online install in a scratch project)", () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmap-deps-'))
    try {
      fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'deps', version: '1.0.0', private: true }))
      const deps = Object.entries(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).dependencies ?? {}).map(([n, v]) => `${n}@${v}`)
      run(npm, ['install', '--no-audit', '--no-fund', '--no-package-lock', ...deps], { cwd: scratch, env: { ...env, npm_config_offline: 'false' } })
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true })
    }
  })
  check('npm install of the two tarballs, offline', () => {
    run(npm, ['install', '--offline', '--no-audit', '--no-fund', packed.main, packed.platform], { cwd: project, env })
    if (fs.existsSync(path.join(project, 'node_modules', 'modelmap', 'target'))) throw new Error('a Rust build happened')
  })
  const probe = (code, type) =>
    JSON.parse(run(process.execPath, ['--input-type', type, '-e', code], { cwd: project, env: { ...env, MODELMAP_BACKEND: '' } }))
  const body = `const m = ModelData.open(${JSON.stringify(model)}); const out = { backend: m.backend, text: m.view(0, 4).toString(), status: ModelData.nativeStatus }; m.close(); console.log(JSON.stringify(out))`
  check("require('modelmap') maps a file with the prebuilt binary", () => {
    const out = probe(`const { ModelData } = require('modelmap'); ${body}`, 'commonjs')
    if (out.backend !== 'mmap' || out.text !== 'GGUF') throw new Error(JSON.stringify(out))
  })
  check("import { ModelData } from 'modelmap' maps a file with the prebuilt binary", () => {
    const out = probe(`import { ModelData } from 'modelmap'; ${body}`, 'module')
    if (out.backend !== 'mmap' || out.text !== 'GGUF') throw new Error(JSON.stringify(out))
  })
  check('the modelmap command is installed and runs', () => {
    const cliPath = path.join(project, 'node_modules', 'modelmap', 'bin', 'modelmap.js')
    const out = JSON.parse(run(process.execPath, [cliPath, 'residency', model, '--json'], { cwd: project, env: { ...env, MODELMAP_BACKEND: '' } }))
    if (out.backend !== 'mmap' || out.totalBytes !== fs.statSync(model).size) throw new Error(JSON.stringify(out))
    if (!fs.existsSync(path.join(project, 'node_modules', '.bin', process.platform === 'win32' ? 'modelmap.cmd' : 'modelmap'))) throw new Error('no .bin/modelmap link')
  })
  check('the binary came from the platform package, not the repo', () => {
    const resolved = run(process.execPath, ['-e', `console.log(require.resolve('${path.basename(packed.platform).replace(/-\d+\.\d+\.\d+\.tgz$/, '')}'))`], { cwd: project, env }).trim()
    if (!resolved.startsWith(fs.realpathSync(project))) throw new Error(resolved)
  })
} finally {
  fs.rmSync(project, { recursive: true, force: true })
}
console.log(`\n${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
