/**
 * The tensor-values API: what it refuses and how, jobs (progress, abort, into, closed handles),
 * and the same values without the native binding. (Values against gguf-py: values-reference.)
 */

import { execFileSync } from 'node:child_process'
import * as path from 'node:path'

import test from 'ava'

import { dequantize, ModelData, openGguf, openModel, writeGguf } from '..'
import type { Progress } from '..'
import { worstEventLoopGap } from '../fixtures/event-loop-gap'
import { patternBytes, tmpPath } from './helpers'

function q8Model(rows = 64, cols = 4096): string {
  const file = tmpPath('q8.gguf')
  const bytes = patternBytes((rows * cols * 34) / 32, 71)
  for (let b = 0; b < bytes.length; b += 34) bytes[b + 1] = bytes[b + 1]! & 0x3f // finite scales
  writeGguf(file, {
    metadata: {},
    tensors: [
      { name: 'w', dtype: 'Q8_0', shape: [cols, rows], data: bytes },
      { name: 'odd', dtype: 'Q8_K', shape: [256], data: 292 },
    ],
  })
  return file
}

test('unsupported and unknown types are ERR_MODELMAP_UNSUPPORTED naming the type; bad arguments are Node-style errors', (t) => {
  for (const type of ['Q8_K', 'Q8_1', 15, 'Q1_0']) {
    const err = t.throws(() => dequantize(Buffer.alloc(292), type, 256), { code: 'ERR_MODELMAP_UNSUPPORTED' })
    t.regex(err!.message, /Q8_K|Q8_1|Q1_0/)
  }
  t.throws(() => dequantize(Buffer.alloc(4), 4, 1), { code: 'ERR_MODELMAP_UNSUPPORTED', message: /ggml type id 4/ })
  t.throws(() => dequantize(Buffer.alloc(4), 'Q9_Z', 1), { code: 'ERR_MODELMAP_UNSUPPORTED', message: /Q9_Z/ })
  t.throws(() => dequantize(Buffer.alloc(17), 'Q4_0', 32), { instanceOf: RangeError, message: /take 18 bytes; got 17/ })
  t.throws(() => dequantize(Buffer.alloc(18), 'Q4_0', 33), { instanceOf: RangeError, message: /not whole blocks/ })
  t.throws(() => dequantize(new Uint16Array(9) as unknown as Uint8Array, 'Q4_0', 32), { code: 'ERR_INVALID_ARG_TYPE' })
  t.throws(() => dequantize(Buffer.alloc(18), 'Q4_0', 32, { into: new Float32Array(31) }), { instanceOf: RangeError })
  t.throws(() => dequantize(Buffer.alloc(18), 'Q4_0', 32, { concurrency: 0 }), { code: 'ERR_OUT_OF_RANGE' })
  t.is(dequantize(Buffer.alloc(18), 'q4_0', 32).length, 32, 'names in any case')
  t.is(dequantize(Buffer.alloc(0), 'Q6_K', 0).length, 0, 'an empty tensor decodes to an empty array')
})

test('a tensor of an undecodable type, rows out of range, a wrong into: typed errors naming the tensor and file', async (t) => {
  const file = q8Model()
  using gg = openGguf(file)
  const odd = gg.tensor('odd')
  t.throws(() => odd.toFloat32(), { code: 'ERR_MODELMAP_UNSUPPORTED', message: /tensor 'odd' of .*q8\.gguf.*Q8_K/ })
  await t.throwsAsync(odd.decode(), { code: 'ERR_MODELMAP_UNSUPPORTED' })
  const w = gg.tensor('w')
  t.throws(() => w.toFloat32({ rows: [0, 65] }), { code: 'ERR_OUT_OF_RANGE', message: /0 <= start <= end <= 64/ })
  t.throws(() => w.toFloat32({ rows: [3, 2] }), { code: 'ERR_OUT_OF_RANGE' })
  t.throws(() => w.toFloat32({ into: new Float32Array(10) }), { code: 'ERR_OUT_OF_RANGE' })
  await t.throwsAsync(w.decode({ dtype: 'F16', into: new Float32Array(64 * 4096) }), { code: 'ERR_INVALID_ARG_TYPE' })
  await t.throwsAsync(w.decode({ dtype: 'F8' as 'F16' }), { code: 'ERR_INVALID_ARG_VALUE' })
  t.is(w.toFloat32({ rows: [5, 5] }).length, 0)
})

test('a shape whose bytes do not match is ERR_MODELMAP_INVALID_GGUF with the tensor offset', (t) => {
  const bytes = Buffer.alloc(64)
  const model = ModelData.fromBuffer(bytes)
  const { TensorView } = require('../dist/formats/tensor-view.js') as typeof import('../dist/formats/tensor-view.js')
  const view = new TensorView(model, 'bad', 'Q4_0', [64], 10, 30, undefined, { littleEndian: true, rowsAlongLast: true, format: 'gguf' })
  const err = t.throws(() => view.toFloat32(), { code: 'ERR_MODELMAP_INVALID_GGUF' })
  t.is((err as Error & { byteOffset?: number }).byteOffset, 10)
  t.regex(err!.message, /take 36 bytes, but the file gives the tensor 30/)
})

test('decode(): progress to the end, abort mid-way, rows, and a closed model', async (t) => {
  const file = q8Model(256, 8192)
  using gg = openGguf(file)
  const w = gg.tensor('w')
  const seen: Progress[] = []
  const values = await w.decode({ onProgress: (p) => seen.push(p), concurrency: 2 })
  t.is(values.length, 256 * 8192)
  t.deepEqual(seen.at(-1), { bytesDone: 256 * 8192 * 4, totalBytes: 256 * 8192 * 4 })
  t.deepEqual(await w.decode({ rows: [10, 12] }), values.subarray(10 * 8192, 12 * 8192))

  const controller = new AbortController()
  const pending = w.decode({ signal: controller.signal, into: new Float32Array(256 * 8192) })
  controller.abort()
  await t.throwsAsync(pending, { name: 'AbortError' })
  await t.throwsAsync(w.decode({ signal: AbortSignal.abort() }), { name: 'AbortError' })
  gg.model.close()
  t.throws(() => w.toFloat32(), { code: 'ERR_MODELMAP_CLOSED' })
  await t.throwsAsync(w.decode(), { code: 'ERR_MODELMAP_CLOSED' })
})

test('close() while decode() and stats() run: they stop with ERR_MODELMAP_CLOSED, or had already finished with the right values', async (t) => {
  const file = q8Model(256, 8192)
  using gg = openGguf(file)
  const w = gg.tensor('w')
  const expected = w.toFloat32()
  const decoding = w.decode()
  const stating = w.stats()
  gg.model.close()
  const outcomes = await Promise.allSettled([decoding, stating])
  for (const o of outcomes) {
    if (o.status === 'rejected') t.is((o.reason as { code?: string }).code, 'ERR_MODELMAP_CLOSED')
  }
  if (outcomes[0].status === 'fulfilled') t.deepEqual(outcomes[0].value, expected)
  // On this thread (heap backend, no binding) the slices after the first see the close at once;
  // a native job stops at its next chunk, so a small tensor may be done before close() ran.
  if (!gg.model.isMmap) t.true(outcomes.every((o) => o.status === 'rejected'), 'slices on this thread stop at close()')
})

test('decode() into an ArrayBuffer that is detached mid-way stops with ERR_INVALID_STATE, never writes freed memory', async (t) => {
  const file = q8Model(256, 8192)
  using gg = openGguf(file)
  const w = gg.tensor('w')
  const into = new Float32Array(256 * 8192)
  const pending = w.decode({ into })
  if (typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function') {
    const moved = (into.buffer as ArrayBuffer & { transfer(n: number): ArrayBuffer }).transfer(16)
    t.is(moved.byteLength, 16)
    await t.throwsAsync(pending, { code: 'ERR_INVALID_STATE' })
  } else {
    t.is((await pending).length, 256 * 8192)
  }
})

test('decode() into a resizable ArrayBuffer shrunk mid-way stops with ERR_INVALID_STATE; one grown mid-way gets every value', async (t) => {
  const file = q8Model(256, 8192)
  using gg = openGguf(file)
  const w = gg.tensor('w')
  const n = 256 * 8192
  type Resizable = ArrayBuffer & { resize(n: number): void }
  const Ctor = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => Resizable
  if (typeof (ArrayBuffer.prototype as { resize?: unknown }).resize !== 'function') {
    t.pass('this runtime has no resizable ArrayBuffer')
    return
  }
  for (const fixedLength of [false, true]) {
    const buffer = new Ctor(n * 4, { maxByteLength: n * 4 })
    const pending = w.decode({ into: fixedLength ? new Float32Array(buffer, 0, n) : new Float32Array(buffer) })
    buffer.resize(1024)
    await t.throwsAsync(pending, { code: 'ERR_INVALID_STATE', message: /detached or shrunk/ })
  }
  const grown = new Ctor(n * 4, { maxByteLength: n * 8 })
  const pending = w.decode({ into: new Float32Array(grown) })
  grown.resize(n * 8)
  const values = await pending
  t.deepEqual(new Float32Array(values.buffer, 0, n), w.toFloat32())
})

test('openModel tensors have values too', async (t) => {
  const file = q8Model()
  using model = openModel(file)
  const tensor = model.tensor('w')
  t.deepEqual(await tensor.decode(), tensor.toFloat32())
})

test.serial('the event loop keeps turning while decode() runs (worst stall logged, not asserted)', async (t) => {
  const file = q8Model(1024, 8192)
  using gg = openGguf(file)
  const { worstMs, turns } = await worstEventLoopGap(() => gg.tensor('w').decode({ into: new Float32Array(1024 * 8192) }))
  t.log(`32 MiB decoded (${gg.model.backend}): worst event-loop gap ${worstMs.toFixed(1)} ms, ${turns} timer turns`)
  t.true(turns > 0, 'timers ran while decoding')
})

test('without the native binding (MODELMAP_NATIVE=0) the same API gives the same values', (t) => {
  const file = q8Model()
  using gg = openGguf(file)
  const expected = Buffer.from(gg.tensor('w').toFloat32().buffer).toString('base64').slice(0, 4096)
  const script = `
    const { openGguf, dequantize, ModelData } = require(${JSON.stringify(path.join(__dirname, '..'))})
    const gg = openGguf(${JSON.stringify(file)})
    const w = gg.tensor('w')
    w.decode({ concurrency: 1 }).then((v) => {
      const sync = w.toFloat32()
      console.log(JSON.stringify({ native: ModelData.nativeStatus.available, same: Buffer.compare(Buffer.from(v.buffer), Buffer.from(sync.buffer)) === 0, head: Buffer.from(sync.buffer).toString('base64').slice(0, 4096) }))
    })`
  const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, MODELMAP_NATIVE: '0' } })) as { native: boolean; same: boolean; head: string }
  t.false(out.native)
  t.true(out.same)
  t.is(out.head, expected)
})
