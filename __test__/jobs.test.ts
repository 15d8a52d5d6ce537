import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'

import test from 'ava'

import { AbortError, ModelData } from '..'
import type { Progress } from '..'
import { guardUnchanged, isLinux, heapForced, patternBytes, writeFixture } from './helpers'

const SIZE = 48 << 20
const bytes = patternBytes(SIZE, 5)
const file = writeFixture(bytes)
const expected = createHash('sha256').update(bytes).digest('hex')

test('checksum matches node:crypto and reports progress up to the total', async (t) => {
  guardUnchanged(t, file)
  const model = ModelData.open(file)
  const seen: Progress[] = []
  const sha = await model.checksum('sha256', { onProgress: (p) => seen.push(p) })
  t.is(sha, expected)
  t.true(seen.length >= 1)
  t.deepEqual(seen.at(-1), { bytesDone: SIZE, totalBytes: SIZE })
  for (let i = 1; i < seen.length; i++) t.true(seen[i]!.bytesDone >= seen[i - 1]!.bytesDone)
  const part = await model.checksum('sha256', { byteOffset: 123, byteLength: 4567 })
  t.is(part, createHash('sha256').update(bytes.subarray(123, 123 + 4567)).digest('hex'))
  model.close()
})

// Serial: concurrent tests in this file hash fixtures on the main thread, which would be measured too.
test.serial('checksum runs off the main thread: the event loop keeps turning', async (t) => {
  const model = ModelData.open(file)
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  let turns = 0
  for (let i = 0; i < 3; i++) {
    // A checksum that ran on this thread in one go would let no immediate or timer run before it
    // resolved. (Counted over three: under load Bun may finish one before its first immediate.)
    const tick = (): void => {
      turns++
      pending = setImmediate(tick)
    }
    let pending = setImmediate(tick)
    const timer = setInterval(() => turns++, 1)
    await model.checksum()
    clearImmediate(pending)
    clearInterval(timer)
  }
  t.true(turns > 0, 'the event loop turned while the checksums ran')
  delay.disable()
  // Reported, not asserted: a stall bound fails at random on a shared 2-core machine; the
  // design target (<10 ms) is measured by `npm run stress` and bench/.
  t.log(`worst event-loop delay during 3 checksums of ${SIZE >> 20} MiB: ${(delay.max / 1e6).toFixed(2)} ms (${model.backend})`)
  model.close()
})

test('prefetch makes the range resident and reports progress', async (t) => {
  guardUnchanged(t, file)
  const model = ModelData.open(file)
  let last: Progress | undefined
  await model.prefetch({ byteOffset: 4096, byteLength: SIZE - 8192, concurrency: 3, onProgress: (p) => (last = p) })
  t.deepEqual(last, { bytesDone: SIZE - 8192, totalBytes: SIZE - 8192 })
  const r = model.residency(4096, SIZE - 8192)
  if (process.platform !== 'win32') t.is(r.residentBytes, SIZE - 8192)
  model.close()
})

test.serial('an aborted checksum rejects with AbortError and leaves the model usable', async (t) => {
  const model = ModelData.open(file)
  const controller = new AbortController()
  const started = performance.now()
  const pending = model.checksum('sha256', { signal: controller.signal })
  setTimeout(() => controller.abort(new Error('user cancelled')), 2)
  const err = await t.throwsAsync(pending, { instanceOf: AbortError })
  const elapsed = performance.now() - started
  t.is(err?.name, 'AbortError')
  t.is((err as AbortError).code, 'ABORT_ERR')
  t.is(((err as Error).cause as Error).message, 'user cancelled')
  t.log(`abort latency including the 2 ms delay: ${elapsed.toFixed(1)} ms (reported; measured by npm run stress)`)
  t.is(await model.checksum(), expected, 'still usable')
  model.close()
})

test('an already aborted signal rejects before any work', async (t) => {
  const model = ModelData.open(file)
  await t.throwsAsync(model.prefetch({ signal: AbortSignal.abort() }), { instanceOf: AbortError })
  await t.throwsAsync(model.checksum('sha256', { signal: AbortSignal.abort() }), { instanceOf: AbortError })
  model.close()
})

test('close() during a checksum: the checksum rejects, nothing crashes', async (t) => {
  const model = ModelData.open(file)
  const pending = model.checksum()
  await new Promise((resolve) => setTimeout(resolve, 1))
  model.close()
  const outcome = await pending.then(
    (sha) => ({ sha }),
    (err: { code?: string }) => ({ code: err.code }),
  )
  // Either it finished before close, or it stopped with ERR_MODELMAP_CLOSED.
  t.true('sha' in outcome ? outcome.sha === expected : outcome.code === 'ERR_MODELMAP_CLOSED', JSON.stringify(outcome))
})

test('prefetch of a file truncated under the mapping rejects with ERR_MODELMAP_FILE_CHANGED', async (t) => {
  if (!isLinux || heapForced) {
    t.pass('needs MADV_POPULATE_READ (Linux) and a mapping')
    return
  }
  const own = writeFixture(patternBytes(8 << 20, 9))
  const model = ModelData.open(own)
  t.false(model.isStale())
  fs.truncateSync(own, 4096)
  t.true(model.isStale())
  const err = await t.throwsAsync(model.prefetch(), { code: 'ERR_MODELMAP_FILE_CHANGED' })
  t.is((err as { byteOffset?: number }).byteOffset, 4096, 'the first byte the file lost')
  const again = await t.throwsAsync(model.checksum(), { code: 'ERR_MODELMAP_FILE_CHANGED' })
  t.is((again as { byteOffset?: number }).byteOffset, 4096)
  model.close()
})

test('an onProgress that throws rejects the job with its error; nothing escapes as an uncaught exception', async (t) => {
  const model = ModelData.open(file)
  const boom = new Error('progress callback failed')
  const onProgress = (): void => {
    throw boom
  }
  t.is(await t.throwsAsync(model.checksum('sha256', { onProgress })), boom)
  t.is(await t.throwsAsync(model.prefetch({ onProgress })), boom)
  t.is(await model.checksum(), expected, 'the model stays usable')
  model.close()
})
