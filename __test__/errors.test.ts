import * as fs from 'node:fs'
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'
import { execFileSync } from 'node:child_process'

import test from 'ava'

import { ModelData, ModelDataError } from '..'
import { guardUnchanged, heapForced, patternBytes, tmpPath, tmpRoot, writeFixture } from './helpers'

const bytes = patternBytes(64 * 1024, 11)
const file = writeFixture(bytes)

test('missing file: ENOENT with path and syscall, message names the file', (t) => {
  const missing = path.join(tmpRoot, 'no-such-model.gguf')
  const err = t.throws(() => ModelData.open(missing), { instanceOf: ModelDataError })
  t.is(err?.code, 'ENOENT')
  t.is(err?.path, missing)
  t.is(err?.syscall, 'open')
  t.regex(err!.message, /no-such-model\.gguf/)
})

test('directory: EISDIR', (t) => {
  const err = t.throws(() => ModelData.open(tmpRoot), { instanceOf: ModelDataError })
  t.is(err?.code, 'EISDIR')
  t.is(err?.path, tmpRoot)
})

test('FIFO and character devices: ERR_MODELMAP_NOT_REGULAR_FILE, without blocking', (t) => {
  if (process.platform === 'win32') {
    t.pass('no FIFOs on Windows')
    return
  }
  const fifo = tmpPath('pipe')
  execFileSync('mkfifo', [fifo])
  for (const p of [fifo, '/dev/zero']) {
    const err = t.throws(() => ModelData.open(p), { instanceOf: ModelDataError })
    t.is(err?.code, 'ERR_MODELMAP_NOT_REGULAR_FILE')
    t.is(err?.path, p)
  }
})

test('URL and Buffer paths are accepted like fs accepts them', (t) => {
  guardUnchanged(t, file)
  for (const p of [pathToFileURL(file), Buffer.from(file)]) {
    const model = ModelData.open(p)
    t.is(model.byteLength, bytes.length)
    model.close()
  }
})

test('invalid paths are TypeErrors with Node codes', (t) => {
  t.throws(() => ModelData.open(''), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' })
  t.throws(() => ModelData.open(`${file}\u0000x`), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' })
  t.throws(() => ModelData.open(42 as never), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
  t.throws(() => ModelData.open(new URL('https://example.com/x')), { instanceOf: TypeError, code: 'ERR_INVALID_URL_SCHEME' })
})

test('bad offsets and lengths: RangeError ERR_OUT_OF_RANGE, or TypeError for non-numbers', (t) => {
  guardUnchanged(t, file)
  const model = ModelData.open(file)
  const n = bytes.length
  const ranges: Array<[unknown, unknown]> = [
    [-1, 1],
    [0.5, 1],
    [NaN, 1],
    [Infinity, 1],
    [2 ** 53, 1],
    [n + 1, 0],
    [0, n + 1],
    [1, -1],
    [1, 1.5],
    [n - 1, 2],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  ]
  for (const [offset, length] of ranges) {
    const err = t.throws(() => model.view(offset as number, length as number), { instanceOf: RangeError })
    t.is((err as RangeError & { code: string }).code, 'ERR_OUT_OF_RANGE', `view(${String(offset)}, ${String(length)})`)
    t.throws(() => model.advise('willneed', offset as number, length as number), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' })
    t.throws(() => model.residency(offset as number, length as number), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' })
  }
  for (const bad of [1n, '1', null, {}]) {
    t.throws(() => model.view(bad as number), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
  }
  model.close()
})

test('async calls reject (not throw) on bad ranges', async (t) => {
  const model = ModelData.open(file)
  await t.throwsAsync(model.checksum('sha256', { byteOffset: -1 }), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' })
  await t.throwsAsync(model.prefetch({ byteLength: bytes.length + 1 }), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' })
  await t.throwsAsync(model.checksum('md5' as 'sha256'), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' })
  model.close()
})

test('options of the wrong type and unknown advice names', (t) => {
  t.throws(() => ModelData.open(file, 'fast' as never), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
  t.throws(() => ModelData.open(file, { populate: 'yes' as never }), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
  t.throws(() => ModelData.open(file, { backend: 'gpu' as never }), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' })
  t.throws(() => ModelData.open(file, { advice: 'dontneed' as never }), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' })
  t.throws(() => ModelData.open(file, { mapping: 'shared' as never }), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' })
  const model = ModelData.open(file)
  t.throws(() => model.advise('hugepage' as never), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' })
  model.close()
})

test('lock: locked, or a clear ERR_MODELMAP_LOCK_FAILED', (t) => {
  guardUnchanged(t, file)
  try {
    const model = ModelData.open(file, { lock: true, populate: true })
    t.is(model.locked, model.isMmap)
    model.close()
  } catch (err) {
    t.true(err instanceof ModelDataError)
    t.is((err as ModelDataError).code, process.platform === 'win32' ? 'ERR_MODELMAP_UNSUPPORTED' : 'ERR_MODELMAP_LOCK_FAILED')
  }
})

test('the native class is safe to call directly with bad arguments', (t) => {
  const { binding } = require('../dist/native.js').nativeBinding()
  if (binding === undefined) {
    t.pass('native binding not loaded here')
    return
  }
  const native = binding.NativeModelData.open(file)
  for (const [o, l] of [[-1, 1], [NaN, 1], [0.5, 1], [bytes.length, 1], [0, 2 ** 60]]) {
    t.throws(() => native.window(o, l, false), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' })
  }
  t.throws(() => native.window(0), undefined, 'a missing length is refused, not read as garbage')
  t.throws(() => native.advise('nope'), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' })
  t.throws(() => binding.NativeModelData.open(file, { mapping: 'shared' }), { instanceOf: TypeError })
  native.close()
  t.throws(() => native.window(0, 1, false), { code: 'ERR_MODELMAP_CLOSED' })
  t.throws(() => native.isStale(), { code: 'ERR_MODELMAP_CLOSED' })
  t.true(fs.existsSync(file))
})

test('a Buffer path with bytes that are not UTF-8 reaches the OS as those bytes, on both backends', (t) => {
  if (process.platform === 'win32' || process.platform === 'darwin') {
    t.pass('file names are UTF-16 (Windows) or must be UTF-8 (macOS) there')
    return
  }
  const name = Buffer.concat([Buffer.from(path.join(tmpRoot, 'odd-')), Buffer.from([0xff, 0xfe]), Buffer.from('.bin')])
  const content = Buffer.from('bytes behind a non-UTF-8 name')
  fs.writeFileSync(name, content)
  t.teardown(() => fs.rmSync(name, { force: true }))
  for (const backend of ModelData.nativeStatus.available ? (['mmap', 'heap'] as const) : (['heap'] as const)) {
    const model = ModelData.open(name, { backend })
    t.true(model.view().equals(content), backend)
    t.false(model.isStale(), `${backend}: stat through the same bytes`)
    t.is(model.path, name.toString('utf8'), 'path (for messages) is the UTF-8 reading of the bytes')
    model.close()
  }
})

test('lock: more than can be locked is refused before a page is touched (MODELMAP_MAX_LOCK_BYTES as the bound)', (t) => {
  const big = writeFixture(patternBytes(4 << 20, 61))
  const code = `const { ModelData } = require(${JSON.stringify(path.join(__dirname, '..'))})
    try { ModelData.open(${JSON.stringify(big)}, { lock: true }); console.log(JSON.stringify({ opened: true })) }
    catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }`
  const out = JSON.parse(execFileSync(process.execPath, ['-e', code], { encoding: 'utf8', env: { ...process.env, MODELMAP_MAX_LOCK_BYTES: String(1 << 20) } })) as { opened?: boolean; code?: string; message?: string }
  if (heapForced) {
    t.true(out.opened, 'the heap backend locks nothing')
    return
  }
  t.is(out.code, 'ERR_MODELMAP_LOCK_FAILED', out.message)
  t.regex(out.message ?? '', /4194304 bytes.*MODELMAP_MAX_LOCK_BYTES allows at most 1048576/)
})
