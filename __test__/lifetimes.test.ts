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

test('structuredClone of a view: shares a SharedArrayBuffer view, copies an ArrayBuffer one; a transfer copies or refuses, never detaches siblings', (t) => {
  const file = writeFixture(bytes)
  const model = ModelData.open(file)
  const view = model.view(0, 4096)
  const sibling = model.view(8192, 16)
  const clone = structuredClone(view)
  t.true(Buffer.from(clone).equals(bytes.subarray(0, 4096)))
  const before = view[0]!
  clone[0] = before ^ 0xff
  if (model.viewBuffer === 'shared') {
    t.is(view[0], before ^ 0xff, 'a shared view is shared by its clone (zero-copy), writes included')
    clone[0] = before
  } else {
    t.is(view[0], before, 'the clone does not share memory with the view')
  }

  const toTransfer = model.view(4096, 4096)
  let transferred: Uint8Array | undefined
  try {
    transferred = structuredClone(toTransfer, { transfer: [toTransfer.buffer as ArrayBuffer] })
  } catch (err) {
    t.is((err as Error).name, 'DataCloneError', 'a refusal is a clear DataCloneError')
  }
  t.is(sibling.length, 16, 'a transfer never detaches the window under sibling views')
  model.close()
  t.true(view.equals(bytes.subarray(0, 4096)), 'close() leaves views alone')
  if (transferred !== undefined) {
    // It was copied: the copy keeps its bytes after close.
    t.true(Buffer.from(transferred).equals(bytes.subarray(4096, 8192)))
  }
})

test('view.buffer.transfer() is refused with a clear error and never breaks other views or a parser', (t) => {
  const model = ModelData.open(writeFixture(bytes))
  const view = model.view(100, 1000)
  const sibling = model.view(200, 10)
  const buffer = view.buffer as ArrayBuffer & { transfer?: () => ArrayBuffer }
  if (model.viewBuffer === 'arraybuffer' && typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function') {
    t.throws(() => buffer.transfer!(), { code: 'ERR_MODELMAP_NOT_TRANSFERABLE' })
  } else if (model.viewBuffer === 'shared') {
    t.is(buffer.transfer, undefined, 'a SharedArrayBuffer has no transfer()')
  }
  t.is(view.length, 1000)
  t.true(sibling.equals(bytes.subarray(200, 210)))
  model.close()
})

test('postMessage of a view: a SharedArrayBuffer view arrives shared, an ArrayBuffer one as a copy; the original outlives close() too', async (t) => {
  const model = ModelData.open(writeFixture(bytes))
  const view = model.view(100, 1000)
  const { port1, port2 } = new MessageChannel()
  const received = new Promise<Uint8Array>((resolve) => port2.once('message', resolve))
  port1.postMessage(view)
  model.close()
  const got = await received
  t.true(Buffer.from(got).equals(bytes.subarray(100, 1100)))
  t.is(got.buffer instanceof SharedArrayBuffer, model.viewBuffer === 'shared')
  port1.close()
  t.true(view.equals(bytes.subarray(100, 1100)))
})
