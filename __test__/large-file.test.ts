import { constants as bufferConstants } from 'node:buffer'

import test from 'ava'

import { ModelData } from '..'
import { PLAIN_MAX_STRIDE, PLAIN_STRIDE, SHARED_STRIDE } from '../dist/backends/native.js'
import { guardUnchanged, heapForced, rssBytes, sparseFile } from './helpers'

const GiB = 1024 ** 3
const SIZE = 6 * GiB
const markers: Array<[number, Buffer]> = [
  [0, Buffer.from('HEAD-MARKER')],
  [GiB - 8, Buffer.from('ACROSS-THE-1GiB-EDGE')],
  [3 * GiB + 5, Buffer.from('ODD-OFFSET-3GiB')],
  [4.5 * GiB, Buffer.from('MIDDLE-4.5GiB')],
  [SIZE - 4, Buffer.from('TAIL')],
]

test('a 6 GiB sparse file: windowed views anywhere, RSS grows by less than 64 MiB', (t) => {
  const file = sparseFile(SIZE, markers)
  guardUnchanged(t, file)
  const before = rssBytes()
  const model = ModelData.open(file)
  t.is(model.byteLength, SIZE)
  for (const [offset, marker] of markers) {
    t.true(model.view(offset, marker.length).equals(marker), `marker at ${offset}`)
  }
  t.is(model.view(SIZE - 1, 1)[0], 'L'.charCodeAt(0))
  t.is(model.view(SIZE).length, 0)
  // A 1 GiB window in the middle reads zeros where nothing was written.
  const window = model.view(2 * GiB, GiB)
  t.is(window.length, GiB)
  t.is(window[123_456_789], 0)
  const grown = rssBytes() - before
  t.log(`RSS growth after opening ${SIZE / GiB} GiB and reading windows: ${(grown / 2 ** 20).toFixed(1)} MiB (${model.backend})`)
  if (!heapForced) t.true(grown < 64 * 2 ** 20, `RSS grew ${grown} bytes`)
  model.close()
})

test('a view longer than buffer.constants.MAX_LENGTH is a clear RangeError naming the limit (Node 20); a whole-file view where it fits', (t) => {
  const max = bufferConstants.MAX_LENGTH
  const file = sparseFile(SIZE, markers)
  const model = ModelData.open(file)
  if (max >= SIZE) {
    // Node 22+: MAX_LENGTH is 2^53 - 1, so one view covers the whole 6 GiB file.
    if (!heapForced) {
      const whole = model.view()
      t.is(whole.length, SIZE)
      t.is(whole.subarray(SIZE - 4).toString(), 'TAIL')
    }
    model.close()
    return
  }
  const err = t.throws(() => model.view(), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' })
  t.true(err!.message.includes(String(max)), err!.message)
  if (!heapForced) t.is(model.view(SIZE - max, max).length, max, 'a window of exactly MAX_LENGTH works')
  model.close()
})

test('mmap views: shared windows across edges, long views with their own buffer at the file offset\'s alignment', (t) => {
  const file = sparseFile(SIZE, markers)
  const model = ModelData.open(file, heapForced ? {} : { backend: 'mmap' })
  // Every marker, including the one that straddles the first window stride, from any start.
  for (const [offset, marker] of markers) {
    for (const lead of [0, 1, 7, 4096]) {
      if (offset < lead) continue
      const v = model.view(offset - lead, marker.length + lead)
      t.true(v.subarray(lead).equals(marker), `marker at ${offset} seen from ${lead} bytes before`)
    }
  }
  // A view longer than any window stride at an odd offset.
  const start = GiB - 8 - 3
  const long = model.view(start, GiB + 100)
  t.is(long.length, GiB + 100)
  t.true(long.subarray(3, 3 + 20).equals(markers[1]![1]))
  t.is(long.byteOffset % 8, start % 8, 'the view sits at its file offset\'s alignment')
  if (!heapForced) {
    const stride = model.viewBuffer === 'shared' ? SHARED_STRIDE : PLAIN_STRIDE
    t.true(model.windowCount <= markers.length * 2, `${model.windowCount} windows for ${markers.length} markers`)
    const a = model.view(10, 10)
    const b = model.view(stride - 5, 10)
    t.is(a.buffer, b.buffer, 'views within one stride share a window')
    t.true(a.buffer.byteLength <= 2 * (model.viewBuffer === 'shared' ? SHARED_STRIDE : PLAIN_MAX_STRIDE), 'a window maps two strides at most')
  }
  model.close()
})

test.serial('heap backend: a view of exactly 4 GiB (past the 2 GiB a single read allows) reads in chunks', (t) => {
  const file = sparseFile(SIZE, markers)
  const model = ModelData.open(file, { backend: 'heap' })
  const four = 4 * GiB
  t.true(bufferConstants.MAX_LENGTH >= four, 'every supported Node allows 4 GiB Buffers')
  const w = model.view(GiB, four)
  t.is(w.length, four)
  t.true(w.subarray(2 * GiB + 5, 2 * GiB + 20).equals(markers[2]![1]))
  t.true(w.subarray(3.5 * GiB, 3.5 * GiB + 13).equals(markers[3]![1]))
  model.close()
})
