/**
 * The bad-input table: every way a caller can hand modelmap something wrong, on both backends,
 * each with the error class and code it must get. Nothing may crash, and the fixture file must be
 * byte-identical afterwards.
 */

import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'

import test from 'ava'

import { ModelData, ModelDataError } from '..'
import { guardUnchanged, heapForced, patternBytes, tmpPath, tmpRoot, writeFixture } from './helpers'

type Backend = 'mmap' | 'heap'
type ErrorClass = ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor | typeof ModelDataError
type Expect =
  | { throws: ErrorClass; code: string }
  | { rejects: ErrorClass; code: string }
  | { returns: (value: unknown, backend: Backend) => boolean; describe: string }

interface Row {
  name: string
  run: (backend: Backend) => unknown
  expect: Expect | ((backend: Backend) => Expect)
  posixOnly?: boolean
}

const bytes = patternBytes(64 * 1024, 23)
const file = writeFixture(bytes)
const n = bytes.length
const posix = process.platform !== 'win32'

const open = (p: unknown, backend: Backend, options: Record<string, unknown> = {}) => ModelData.open(p as string, { backend, ...options })
const withModel = (backend: Backend, fn: (m: ModelData) => unknown) => {
  const m = open(file, backend)
  try {
    return fn(m)
  } finally {
    m.close()
  }
}
const withModelAsync = async (backend: Backend, fn: (m: ModelData) => Promise<unknown>) => {
  const m = open(file, backend)
  try {
    return await fn(m)
  } finally {
    m.close()
  }
}
const closedModel = (backend: Backend) => {
  const m = open(file, backend)
  m.close()
  return m
}

// Special files, made once.
const fifo = tmpPath('fifo')
if (posix) spawnSync('mkfifo', [fifo])
const socketPath = tmpPath('sock')
const server = posix ? net.createServer().listen(socketPath) : undefined
test.after.always(() => server?.close())
const loop = tmpPath('loop')
if (posix) fs.symlinkSync(loop, loop)
const dangling = tmpPath('dangling')
if (posix) fs.symlinkSync(path.join(tmpRoot, 'nothing-here'), dangling)
const link = tmpPath('link')
if (posix) fs.symlinkSync(file, link)
const sysfsFile = '/sys/kernel/mm/transparent_hugepage/enabled'

const E = (code: string): Expect => ({ throws: ModelDataError, code })
const range: Expect = { throws: RangeError, code: 'ERR_OUT_OF_RANGE' }
const argType: Expect = { throws: TypeError, code: 'ERR_INVALID_ARG_TYPE' }
const argValue: Expect = { throws: TypeError, code: 'ERR_INVALID_ARG_VALUE' }
const opensEmpty: Expect = { returns: (m) => (m as ModelData).byteLength === 0 && (m as ModelData).view().length === 0, describe: 'opens with byteLength 0' }
const opensFixture: Expect = { returns: (m) => (m as ModelData).view().equals(bytes), describe: 'opens and reads the file' }

const rows: Row[] = [
  { name: 'missing file', run: (b) => open(path.join(tmpRoot, 'missing.gguf'), b), expect: E('ENOENT') },
  { name: 'directory', run: (b) => open(tmpRoot, b), expect: E('EISDIR') },
  { name: 'FIFO (must not block)', run: (b) => open(fifo, b), expect: E('ERR_MODELMAP_NOT_REGULAR_FILE'), posixOnly: true },
  { name: 'unix socket', run: (b) => open(socketPath, b), expect: E('ERR_MODELMAP_NOT_REGULAR_FILE'), posixOnly: true },
  { name: '/dev/zero', run: (b) => open('/dev/zero', b), expect: E('ERR_MODELMAP_NOT_REGULAR_FILE'), posixOnly: true },
  { name: '/dev/null', run: (b) => open('/dev/null', b), expect: E('ERR_MODELMAP_NOT_REGULAR_FILE'), posixOnly: true },
  { name: '/proc file whose size (0) lies', run: (b) => open('/proc/self/status', b), expect: opensEmpty, posixOnly: true },
  {
    name: 'sysfs file (size 4096, content shorter)',
    run: (b) => {
      if (!fs.existsSync(sysfsFile)) return 'absent'
      const m = open(sysfsFile, b)
      try {
        return m.view()
      } finally {
        m.close()
      }
    },
    // mmap refuses sysfs (ENODEV); the heap backend finds the short read.
    expect: (b) => (b === 'mmap' ? E('ENODEV') : E('ERR_MODELMAP_FILE_CHANGED')),
    posixOnly: true,
  },
  { name: 'symlink loop', run: (b) => open(loop, b), expect: E('ELOOP'), posixOnly: true },
  { name: 'dangling symlink', run: (b) => open(dangling, b), expect: E('ENOENT'), posixOnly: true },
  { name: 'symlink to the file', run: (b) => open(link, b), expect: opensFixture, posixOnly: true },
  { name: 'path with a NUL byte', run: (b) => open(`${file}\u0000.gguf`, b), expect: argValue },
  { name: 'empty path', run: (b) => open('', b), expect: argValue },
  { name: 'number as path', run: (b) => open(42, b), expect: argType },
  { name: 'undefined path', run: (b) => open(undefined, b), expect: argType },
  { name: 'object as path', run: (b) => open({ path: file }, b), expect: argType },
  { name: 'file: URL path', run: (b) => open(pathToFileURL(file), b), expect: opensFixture },
  { name: 'Buffer path', run: (b) => open(Buffer.from(file), b), expect: opensFixture },
  { name: 'http: URL path', run: (b) => open(new URL('http://localhost/model.gguf'), b), expect: { throws: TypeError, code: 'ERR_INVALID_URL_SCHEME' } },
  { name: 'negative offset', run: (b) => withModel(b, (m) => m.view(-1)), expect: range },
  { name: 'fractional offset', run: (b) => withModel(b, (m) => m.view(1.5)), expect: range },
  { name: 'NaN offset', run: (b) => withModel(b, (m) => m.view(NaN)), expect: range },
  { name: 'Infinity length', run: (b) => withModel(b, (m) => m.view(0, Infinity)), expect: range },
  { name: 'offset > 2^53', run: (b) => withModel(b, (m) => m.view(2 ** 54)), expect: range },
  { name: 'offset past the end', run: (b) => withModel(b, (m) => m.view(n + 1)), expect: range },
  { name: 'length past the end', run: (b) => withModel(b, (m) => m.view(n - 10, 11)), expect: range },
  { name: 'negative length', run: (b) => withModel(b, (m) => m.view(0, -5)), expect: range },
  { name: 'offset + length overflows', run: (b) => withModel(b, (m) => m.view(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)), expect: range },
  { name: 'bigint offset', run: (b) => withModel(b, (m) => m.view(1n as never)), expect: argType },
  { name: 'string offset', run: (b) => withModel(b, (m) => m.view('10' as never)), expect: argType },
  { name: 'residency past the end', run: (b) => withModel(b, (m) => m.residency(0, n + 1)), expect: range },
  { name: 'advise with a fractional length', run: (b) => withModel(b, (m) => m.advise('willneed', 0, 0.5)), expect: range },
  { name: 'view after close', run: (b) => closedModel(b).view(), expect: E('ERR_MODELMAP_CLOSED') },
  { name: 'residency after close', run: (b) => closedModel(b).residency(), expect: E('ERR_MODELMAP_CLOSED') },
  { name: 'advise after close', run: (b) => closedModel(b).advise('random'), expect: E('ERR_MODELMAP_CLOSED') },
  { name: 'checksum after close', run: (b) => closedModel(b).checksum(), expect: { rejects: ModelDataError, code: 'ERR_MODELMAP_CLOSED' } },
  { name: 'prefetch after close', run: (b) => closedModel(b).prefetch(), expect: { rejects: ModelDataError, code: 'ERR_MODELMAP_CLOSED' } },
  { name: 'double close', run: (b) => closedModel(b).close(), expect: { returns: (v) => v === undefined, describe: 'returns undefined' } },
  { name: 'options as a string', run: (b) => ModelData.open(file, b as never), expect: argType },
  { name: 'populate of the wrong type', run: (b) => open(file, b, { populate: 'yes' }), expect: argType },
  { name: 'unknown backend name', run: () => ModelData.open(file, { backend: 'gpu' as never }), expect: argValue },
  { name: 'unknown mapping name', run: (b) => open(file, b, { mapping: 'shared' }), expect: argValue },
  { name: "open advice 'dontneed'", run: (b) => open(file, b, { advice: 'dontneed' }), expect: argValue },
  { name: 'unknown advice name', run: (b) => withModel(b, (m) => m.advise('hugepage' as never)), expect: argValue },
  { name: 'checksum algorithm md5', run: (b) => withModelAsync(b, (m) => m.checksum('md5' as never)), expect: { rejects: TypeError, code: 'ERR_INVALID_ARG_VALUE' } },
  { name: 'prefetch concurrency 0', run: (b) => withModelAsync(b, (m) => m.prefetch({ concurrency: 0 })), expect: { rejects: RangeError, code: 'ERR_OUT_OF_RANGE' } },
  { name: 'signal that is not an AbortSignal', run: (b) => withModelAsync(b, (m) => m.checksum('sha256', { signal: {} as never })), expect: { rejects: TypeError, code: 'ERR_INVALID_ARG_TYPE' } },
  { name: 'onProgress that is not a function', run: (b) => withModelAsync(b, (m) => m.prefetch({ onProgress: 1 as never })), expect: { rejects: TypeError, code: 'ERR_INVALID_ARG_TYPE' } },
  { name: 'maxDecompressedBytes of the wrong type', run: (b) => open(file, b, { maxDecompressedBytes: '1' }), expect: argType },
  { name: 'fromBuffer of a non-buffer', run: () => ModelData.fromBuffer('bytes' as never), expect: argType },
]

const backends: Backend[] = heapForced || !ModelData.nativeStatus.available ? ['heap'] : ['mmap', 'heap']

test('the bad-input table has at least 30 rows', (t) => {
  t.true(rows.length >= 30, `${rows.length} rows`)
  t.log(`${rows.length} rows × ${backends.length} backends`)
})

for (const row of rows) {
  for (const backend of backends) {
    test(`bad input [${backend}]: ${row.name}`, async (t) => {
      guardUnchanged(t, file)
      if (row.posixOnly && !posix) {
        t.pass('POSIX-only row')
        return
      }
      const expect = typeof row.expect === 'function' ? row.expect(backend) : row.expect
      if ('throws' in expect) {
        const err = t.throws(() => row.run(backend), { instanceOf: expect.throws as ErrorConstructor })
        t.is((err as { code?: string } | undefined)?.code, expect.code)
      } else if ('rejects' in expect) {
        const err = await t.throwsAsync(Promise.resolve().then(() => row.run(backend)), { instanceOf: expect.rejects as ErrorConstructor })
        t.is((err as { code?: string } | undefined)?.code, expect.code)
      } else {
        const value = await row.run(backend)
        if (value === 'absent') {
          t.pass('file not present on this machine')
          return
        }
        t.true(expect.returns(value, backend), expect.describe)
        if (value instanceof ModelData) value.close()
      }
    })
  }
}

test('unreadable file: EACCES (as an unprivileged user when running as root)', (t) => {
  if (!posix) {
    t.pass('POSIX permissions only')
    return
  }
  const dir = fs.mkdtempSync(path.join('/tmp', 'modelmap-eacces-'))
  fs.chmodSync(dir, 0o755)
  const secret = path.join(dir, 'secret.gguf')
  fs.writeFileSync(secret, bytes, { mode: 0o600 })
  try {
    const entry = path.join(__dirname, '..', 'dist', 'index.js')
    const code = `const { ModelData } = require(${JSON.stringify(entry)}); const out = {};
      for (const backend of ${JSON.stringify(backends)}) { try { ModelData.open(${JSON.stringify(secret)}, { backend }); out[backend] = 'opened' } catch (e) { out[backend] = [e.name, e.code, e.syscall, e.path] } }
      console.log(JSON.stringify(out))`
    const asRoot = process.getuid?.() === 0
    if (!asRoot) fs.chmodSync(secret, 0o000)
    // Root ignores file modes, so the check runs as 'nobody' (uid 65534), as a real user would.
    const child = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', ...(asRoot ? { uid: 65534, gid: 65534 } : {}) })
    t.is(child.status, 0, child.stderr)
    const out = JSON.parse(child.stdout) as Record<string, unknown[]>
    for (const backend of backends) t.deepEqual(out[backend], ['ModelDataError', 'EACCES', 'open', secret], backend)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
