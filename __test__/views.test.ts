import * as fs from 'node:fs'

import test from 'ava'
import fc from 'fast-check'

import { ModelData } from '..'
import { guardUnchanged, heapForced, patternBytes, writeFixture } from './helpers'

const SIZE = 3 * 1024 * 1024 + 123
const bytes = patternBytes(SIZE, 7)
const file = writeFixture(bytes)

test('opens with the mmap backend where native works, and reports it', (t) => {
  guardUnchanged(t, file)
  const model = ModelData.open(file)
  t.is(model.byteLength, SIZE)
  t.is(model.path, file)
  t.false(model.closed)
  if (heapForced) {
    t.is(model.backend, 'heap')
    t.false(model.isMmap)
  } else {
    t.true(ModelData.nativeStatus.available, ModelData.nativeStatus.reason)
    t.is(model.backend, 'mmap')
    t.true(model.isMmap)
  }
  model.close()
})

test('bytes read through views equal the file (property-based)', (t) => {
  guardUnchanged(t, file)
  const model = ModelData.open(file)
  fc.assert(
    fc.property(fc.nat(SIZE), fc.nat(SIZE), (a, b) => {
      const offset = Math.min(a, b)
      const length = Math.max(a, b) - offset
      const view = model.view(offset, length)
      return view.length === length && view.equals(bytes.subarray(offset, offset + length))
    }),
    { seed: 20261124, numRuns: 500 },
  )
  t.true(model.view().equals(bytes))
  t.true(model.view(SIZE).length === 0)
  t.true(model.view(SIZE - 1).equals(bytes.subarray(SIZE - 1)))
  model.close()
})

test('views of one range share memory with each other (no copies)', (t) => {
  if (heapForced) {
    t.pass('heap backend: views are positioned reads, copies by nature')
    return
  }
  const model = ModelData.open(file)
  const a = model.view(4096, 16)
  const b = model.view(4096, 16)
  a[0] = (a[0]! + 1) & 0xff
  t.is(b[0], a[0], 'a write through one view is seen through the other: same pages')
  model.close()
})

test('a write into a copy-on-write view never reaches the file', (t) => {
  const own = writeFixture(bytes)
  guardUnchanged(t, own)
  const model = ModelData.open(own)
  const view = model.view(0, 1024)
  view.fill(0xab)
  t.true(view.every((b) => b === 0xab))
  t.true(fs.readFileSync(own).subarray(0, 1024).equals(bytes.subarray(0, 1024)))
  model.close()
  // A fresh open sees the file's bytes, not the private copy.
  const again = ModelData.open(own)
  t.true(again.view(0, 1024).equals(bytes.subarray(0, 1024)))
  again.close()
})

test("mapping: 'readonly' reads the same bytes", (t) => {
  guardUnchanged(t, file)
  const model = ModelData.open(file, { mapping: 'readonly', advice: 'random' })
  t.true(model.view(1000, 5000).equals(bytes.subarray(1000, 6000)))
  model.close()
})

test('empty files open with byteLength 0', (t) => {
  const empty = writeFixture(Buffer.alloc(0))
  const model = ModelData.open(empty)
  t.is(model.byteLength, 0)
  t.is(model.view().length, 0)
  t.deepEqual(model.residency(), { residentBytes: 0, totalBytes: 0 })
  model.close()
})

test('fromBuffer gives the same API over bytes in memory', async (t) => {
  const model = ModelData.fromBuffer(bytes)
  t.is(model.backend, 'heap')
  t.is(model.path, undefined)
  t.true(model.view(10, 100).equals(bytes.subarray(10, 110)))
  model.advise('sequential')
  model.releaseCpuPages()
  t.deepEqual(model.residency(0, 100), { residentBytes: 100, totalBytes: 100 })
  t.false(model.isStale())
  const sha = await model.checksum()
  t.is(sha, (await import('node:crypto')).createHash('sha256').update(bytes).digest('hex'))
  model.close()
  t.throws(() => model.view(), { code: 'ERR_MODELMAP_CLOSED' })
})

test('advice, residency, prefetch and release work on any range', async (t) => {
  guardUnchanged(t, file)
  const model = ModelData.open(file)
  for (const advice of ['normal', 'sequential', 'random', 'willneed', 'dontneed'] as const) {
    model.advise(advice, 4096, 8192)
  }
  model.adviseSequential()
  await model.prefetch()
  const r = model.residency()
  t.is(r.totalBytes, SIZE)
  if (process.platform !== 'win32') t.is(r.residentBytes, SIZE)
  model.releaseCpuPages()
  t.true(model.view(0, 4096).equals(bytes.subarray(0, 4096)), 'pages re-fault from the file')
  t.false(model.isStale())
  model.close()
})
