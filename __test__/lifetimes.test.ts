import { MessageChannel } from 'node:worker_threads'

import test from 'ava'

import { ModelData } from '..'
import { openDrop, openViewClose } from './lifetimes'
import { guardUnchanged, patternBytes, writeFixture } from './helpers'

const bytes = patternBytes(1 << 20, 31)
const MiB = 1 << 20

test.serial('5,000 open/view/close cycles: fds, mappings and RSS back to baseline', async (t) => {
  const file = writeFixture(bytes)
  guardUnchanged(t, file)
  const r = await openViewClose(file, 5_000)
  t.log(`fds ${r.before.fds}→${r.after.fds}, maps ${r.before.maps}→${r.after.maps}, RSS ${(r.before.rss / MiB).toFixed(1)}→${(r.after.rss / MiB).toFixed(1)} MiB, ${(r.ms / r.cycles * 1000).toFixed(1)} µs/cycle`)
  t.is(r.after.fds, r.before.fds)
  t.is(r.after.maps, r.before.maps)
  t.true(r.after.rss - r.before.rss < 32 * MiB)
})

test.serial('5,000 open/drop cycles with forced GC: finalizers release fds and mappings', async (t) => {
  const file = writeFixture(bytes)
  guardUnchanged(t, file)
  const r = await openDrop(file, 5_000)
  t.log(`fds ${r.before.fds}→${r.after.fds}, maps ${r.before.maps}→${r.after.maps}, RSS ${(r.before.rss / MiB).toFixed(1)}→${(r.after.rss / MiB).toFixed(1)} MiB`)
  t.is(r.after.fds, r.before.fds)
  t.is(r.after.maps, r.before.maps)
  t.true(r.after.rss - r.before.rss < 32 * MiB)
})

test('structuredClone of a view copies it; a transfer either copies or refuses, never aliases', (t) => {
  const file = writeFixture(bytes)
  const model = ModelData.open(file)
  const view = model.view(0, 4096)
  const clone = structuredClone(view)
  t.true(Buffer.from(clone).equals(bytes.subarray(0, 4096)))
  clone[0] = clone[0]! ^ 0xff
  t.not(clone[0], view[0], 'the clone does not share memory with the view')

  const toTransfer = model.view(4096, 4096)
  let transferred: Uint8Array | undefined
  try {
    transferred = structuredClone(toTransfer, { transfer: [toTransfer.buffer as ArrayBuffer] })
  } catch (err) {
    t.is((err as Error).name, 'DataCloneError', 'a refusal is a clear DataCloneError')
  }
  model.close()
  t.true(view.equals(bytes.subarray(0, 4096)), 'close() leaves views alone')
  if (transferred !== undefined) {
    // It was copied: the copy keeps its bytes after close.
    t.true(Buffer.from(transferred).equals(bytes.subarray(4096, 8192)))
  }
})

test('postMessage of a view delivers a copy; the original outlives close() too', async (t) => {
  const model = ModelData.open(writeFixture(bytes))
  const view = model.view(100, 1000)
  const { port1, port2 } = new MessageChannel()
  const received = new Promise<Uint8Array>((resolve) => port2.once('message', resolve))
  port1.postMessage(view)
  model.close()
  const copy = await received
  t.true(Buffer.from(copy).equals(bytes.subarray(100, 1100)))
  port1.close()
  t.true(view.equals(bytes.subarray(100, 1100)))
})
