import { createHash } from 'node:crypto'

import test from 'ava'

import { ModelData } from '..'
import { runConcurrency } from './concurrency'
import { guardUnchanged, patternBytes, writeFixture } from './helpers'

test.serial('8 workers read random ranges while the main thread prefetches and hashes: bytes right, loop responsive, aborts prompt', async (t) => {
  const bytes = patternBytes(32 << 20, 77)
  const file = writeFixture(bytes)
  guardUnchanged(t, file)
  const sha = createHash('sha256').update(bytes).digest('hex')
  const result = await runConcurrency(file, { workers: 8, readsPerWorker: 2000, rounds: 3, aborts: 10 })
  t.is(result.workers.length, 8)
  for (const w of result.workers) {
    t.is(w.mismatches, 0)
    t.is(w.reads, 2000)
  }
  t.deepEqual(result.checksums, [sha, sha, sha])
  if (ModelData.nativeStatus.available && result.workers[0]!.backend === 'mmap') {
    t.true(result.workers.every((w) => w.liveMappings !== undefined && w.liveMappings >= 1))
  }
  const worstAbort = Math.max(...result.abortLatenciesMs)
  t.log(`worst event-loop stall ${result.worstStallMs.toFixed(1)} ms while 8 workers read; worst abort latency ${worstAbort.toFixed(1)} ms over ${result.abortLatenciesMs.length}`)
  t.true(worstAbort < 50, `abort took ${worstAbort} ms`)
  // Starting 8 workers that each load the addon and read a 32 MiB file competes for 2 cores; the
  // design target (10 ms) is measured by `npm run stress`, this bound only catches real blocking.
  t.true(result.worstStallMs < 250, `event loop stalled ${result.worstStallMs} ms`)
})
