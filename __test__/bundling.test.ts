/**
 * What the facade does when the binding is not a working addon: a bundler rewrote it, Deno was
 * not allowed to load it, or the platform package is missing. Each is a load failure whose
 * reason names the real cause, and the same API then runs on the heap backend.
 */

import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import test from 'ava'
import { buildSync } from 'esbuild'

import { loadFailureReason, missingExports } from '../ts/native'
import { patternBytes, tmpPath, writeFixture } from './helpers'

const root = path.join(__dirname, '..')

/** napi-rs's loader error: its generic wrapper, with what went wrong several causes down. */
function loaderError(...causes: string[]): Error {
  const chain = causes.reduce<Error | undefined>((previous, message) => {
    const error = new Error(message)
    error.cause = previous
    return error
  }, undefined)
  const error = new Error('Cannot find native binding. npm has a bug related to optional dependencies (https://github.com/npm/cli/issues/4828). Please try `npm i` again.')
  error.cause = chain
  return error
}

test('the reason walks the cause chain to the error that matters, past the loader wrapper', (t) => {
  const reason = loadFailureReason(
    loaderError('/x/modelmap.linux-x64-gnu.node: wrong ELF class: ELFCLASS32', "Cannot find module 'modelmap-linux-x64-gnu'", "Cannot find module './modelmap.wasi.cjs'"),
    false,
  )
  t.true(reason.includes('wrong ELF class'), reason)
  t.false(reason.includes('npm has a bug'), reason)
  t.false(reason.includes('Cannot find module'), reason)
})

test('only missing modules: the reason says no binary for this platform and how to get one', (t) => {
  const reason = loadFailureReason(loaderError("Cannot find module 'modelmap-linux-x64-gnu'", "Cannot find module './modelmap.linux-x64-gnu.node'"), false)
  t.true(reason.includes(`no binary for ${process.platform}-${process.arch}`), reason)
  t.true(reason.includes("'modelmap-linux-x64-gnu'"), reason)
  t.true(reason.includes('reinstall'), reason)
})

test('under Deno without --allow-ffi the reason says to pass --allow-ffi', (t) => {
  const reason = loadFailureReason(loaderError("Cannot find module 'modelmap-linux-x64-gnu'"), true)
  t.true(reason.includes('--allow-ffi'), reason)
  // Deno's own refusal already names the flag: it is not said twice.
  const denos = loadFailureReason(loaderError('Requires ffi access to "/x.node", run again with the --allow-ffi flag'), true)
  t.is(denos.split('--allow-ffi').length - 1, 1, denos)
})

test('anything that is not a working binding is named as such', (t) => {
  t.regex(missingExports('./modelmap.linux-x64-gnu-PG3GEVEJ.node') ?? '', /is a string ".\/modelmap.linux-x64-gnu-PG3GEVEJ.node", not a native addon/)
  t.regex(missingExports(null) ?? '', /is a null/)
  t.regex(missingExports({ NativeModelData: class {} }) ?? '', /lacks NativeJob, decodeInto, .*setTeardownGuard/)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  t.is(missingExports(require('../native/index.js')), undefined, 'the real binding has every export')
})

/** Bundles a small app with esbuild's `.node` loader set to `loader`, runs it, returns its report. */
function bundleAndRun(t: import('ava').ExecutionContext, loader: 'file' | 'copy') {
  const file = writeFixture(patternBytes(1 << 16))
  const dir = path.dirname(tmpPath(`bundle-${loader}/x`))
  fs.mkdirSync(dir, { recursive: true })
  const entry = path.join(dir, 'app.js')
  fs.writeFileSync(
    entry,
    `const { ModelData } = require(${JSON.stringify(path.join(root, 'dist', 'index.js'))})
const model = ModelData.open(${JSON.stringify(file)})
const view = model.view(1000, 64)
console.log(JSON.stringify({ status: ModelData.nativeStatus, backend: model.backend, bytes: Array.from(view) }))`,
  )
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', outdir: path.join(dir, 'out'), loader: { '.node': loader }, logLevel: 'silent' })
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env.MODELMAP_BACKEND
  delete env.MODELMAP_NATIVE
  delete env.NAPI_RS_NATIVE_LIBRARY_PATH
  const r = spawnSync(process.execPath, [path.join(dir, 'out', 'app.js')], { encoding: 'utf8', timeout: 60_000, env, cwd: dir })
  t.is(r.status, 0, `the bundle ran (${r.stderr})`)
  const report = JSON.parse(r.stdout) as { status: { available: boolean; reason?: string }; backend: string; bytes: number[] }
  t.deepEqual(report.bytes, Array.from(fs.readFileSync(file).subarray(1000, 1064)), "the view holds the file's bytes")
  return report
}

// The musl run (scripts/xplat.sh) names its binary with NAPI_RS_NATIVE_LIBRARY_PATH, since the
// loader's own detection (glibc's /usr/bin/ldd here) would not pick it: a bundle, which must find
// the addon through the loader's static requires, cannot be tested there (the glibc run does).
const loaderFindsAddon = (process.env.NAPI_RS_NATIVE_LIBRARY_PATH ?? '') === ''
const NOT_HERE = 'the binary is named by NAPI_RS_NATIVE_LIBRARY_PATH here, out of a bundle\'s reach'

test('esbuild --loader:.node=file (the addon becomes a path string): a heap fallback with a reason, not a crash', (t) => {
  if (!loaderFindsAddon) return t.pass(NOT_HERE)
  const report = bundleAndRun(t, 'file')
  t.false(report.status.available)
  // Depending on the runtime the loader throws assigning exports onto the string (strict mode)
  // or hands the string on: either way the reason names the bundler and the README section.
  t.regex(report.status.reason ?? '', /\.node.*bundler .*see README "Bundling"/)
  t.is(report.backend, 'heap')
})

test('esbuild --loader:.node=copy: the copied addon loads and views are mapped', (t) => {
  if (!loaderFindsAddon) return t.pass(NOT_HERE)
  const report = bundleAndRun(t, 'copy')
  t.true(report.status.available, report.status.reason)
  t.is(report.backend, 'mmap')
})
