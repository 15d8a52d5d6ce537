import * as fs from 'node:fs'

import test from 'ava'

import { ModelData, ModelDataError } from '..'
import { collectGarbage, guardUnchanged, heapForced, isLinux, mappingsOf, patternBytes, writeFixture } from './helpers'

const bytes = patternBytes(2 << 20, 3)

test('close() detaches live views: length 0, safe to read, later calls throw ERR_MODELMAP_CLOSED', (t) => {
  const file = writeFixture(bytes)
  guardUnchanged(t, file)
  const model = ModelData.open(file)
  const whole = model.view()
  const part = model.view(100, 1000)
  const sub = part.subarray(10, 20)
  const floats = new Float32Array(whole.buffer, whole.byteOffset, 1024)
  t.is(part[0], bytes[100])

  model.close()
  t.true(model.closed)
  for (const v of [whole, part, sub]) {
    t.is(v.length, 0)
    t.is(v[0], undefined)
    t.is(v.toString('hex'), '')
  }
  t.is(floats.length, 0)
  t.is(whole.buffer.byteLength, 0)

  for (const call of [
    () => model.view(),
    () => model.advise('willneed'),
    () => model.residency(),
    () => model.adviseSequential(),
    () => model.releaseCpuPages(),
  ]) {
    const err = t.throws(call, { instanceOf: ModelDataError })
    t.is(err?.code, 'ERR_MODELMAP_CLOSED')
    t.is(err?.path, file)
    t.true(err?.message.includes(file))
  }
  t.notThrows(() => model.close(), 'closing twice is harmless')
})

test('async calls after close reject with ERR_MODELMAP_CLOSED', async (t) => {
  const model = ModelData.open(writeFixture(bytes))
  model.close()
  await t.throwsAsync(model.checksum(), { code: 'ERR_MODELMAP_CLOSED' })
  await t.throwsAsync(model.prefetch(), { code: 'ERR_MODELMAP_CLOSED' })
})

test('Symbol.dispose closes (using)', (t) => {
  const file = writeFixture(bytes)
  let view: Buffer
  let handle: ModelData
  {
    using model = ModelData.open(file)
    handle = model
    view = model.view(0, 10)
    t.is(view.length, 10)
  }
  t.true(handle.closed)
  t.is(view.length, 0)
})

test('views stay valid and correct after the ModelData is dropped and collected', async (t) => {
  const file = writeFixture(bytes)
  guardUnchanged(t, file)
  const views = (() => {
    const model = ModelData.open(file)
    return [model.view(0, 4096), model.view(1 << 20, 4096)]
  })()
  await collectGarbage()
  t.true(views[0]!.equals(bytes.subarray(0, 4096)))
  t.true(views[1]!.equals(bytes.subarray(1 << 20, (1 << 20) + 4096)))
})

test('after the last view and the ModelData are collected the file is unmapped', async (t) => {
  if (!isLinux || heapForced) {
    t.pass(heapForced ? 'heap backend maps nothing' : '/proc/self/maps is Linux-only')
    return
  }
  const file = writeFixture(bytes)
  let view: Buffer | undefined
  ;(() => {
    const model = ModelData.open(file)
    view = model.view(0, 100)
  })()
  await collectGarbage()
  t.true(mappingsOf(file).length > 0, 'a live view keeps the mapping')
  t.is(view!.length, 100)
  view = undefined
  await collectGarbage()
  t.deepEqual(mappingsOf(file), [])
})

test('close() unmaps the file at once even while views are still referenced', (t) => {
  if (!isLinux || heapForced) {
    t.pass(heapForced ? 'heap backend maps nothing' : '/proc/self/maps is Linux-only')
    return
  }
  const file = writeFixture(bytes)
  const model = ModelData.open(file)
  const view = model.view()
  t.true(mappingsOf(file).length > 0)
  model.close()
  t.deepEqual(mappingsOf(file), [], 'the file is no longer mapped')
  t.is(view.length, 0)
})

test('two opens of one file share one mapping; closing one leaves the other working', (t) => {
  const file = writeFixture(bytes)
  const a = ModelData.open(file)
  const b = ModelData.open(file)
  const va = a.view(0, 64)
  if (isLinux && !heapForced) t.is(mappingsOf(file).length, 1)
  a.close()
  t.is(va.length, 0)
  t.true(b.view(0, 64).equals(bytes.subarray(0, 64)))
  b.close()
})

test('views created and dropped in bulk are not tracked forever', async (t) => {
  const file = writeFixture(bytes)
  const model = ModelData.open(file)
  for (let i = 0; i < 20_000; i++) model.view(i % 1000, 16)
  await collectGarbage()
  for (let i = 0; i < 2_000; i++) model.view(i % 1000, 16)
  t.true(model.trackedViews < 5_000, `still tracking ${model.trackedViews} views`)
  model.close()
  t.true(fs.existsSync(file))
})
