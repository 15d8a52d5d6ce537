import { constants as bufferConstants } from 'node:buffer'

import test from 'ava'

import { ModelData } from '..'
import { guardUnchanged, heapForced, rssBytes, sparseFile } from './helpers'

const GiB = 1024 ** 3
const SIZE = 6 * GiB
const markers: Array<[number, Buffer]> = [
  [0, Buffer.from('HEAD-MARKER')],
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
