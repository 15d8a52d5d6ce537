/**
 * `npm run stress`: the long reliability runs (not part of `npm test`). 100k open/view/close and
 * 100k open/drop cycles, then 8 workers reading while the main thread prefetches and hashes, with
 * the worst event-loop stall and abort latencies. Prints the figures; exits non-zero on a failure.
 */

import { createHash } from 'node:crypto'

import { ModelData } from '..'
import { runConcurrency } from '../__test__/concurrency'
import { patternBytes, writeFixture, sha256File } from '../__test__/helpers'
import { openDrop, openViewClose } from '../__test__/lifetimes'
import type { CycleResult } from '../__test__/lifetimes'

const MiB = 1 << 20
const cycles = Number(process.env.STRESS_CYCLES ?? 100_000)
let failures = 0
const fail = (message: string) => {
  failures++
  console.log(`FAIL: ${message}`)
}

function report(name: string, r: CycleResult): void {
  console.log(
    `| ${name} | ${r.cycles} | ${r.before.fds} → ${r.after.fds} | ${r.before.maps} → ${r.after.maps} | ${(r.before.rss / MiB).toFixed(1)} → ${(r.after.rss / MiB).toFixed(1)} MiB | ${((r.ms / r.cycles) * 1000).toFixed(1)} µs |`,
  )
  if (r.after.fds > r.before.fds) fail(`${name}: ${r.after.fds - r.before.fds} descriptors leaked`)
  if (r.after.maps > r.before.maps) fail(`${name}: ${r.after.maps - r.before.maps} mappings left`)
  if (r.after.rss - r.before.rss > 64 * MiB) fail(`${name}: RSS grew ${((r.after.rss - r.before.rss) / MiB).toFixed(1)} MiB`)
}

async function main(): Promise<void> {
  const backends = ModelData.nativeStatus.available ? ['mmap', 'heap'] : ['heap']
  const small = writeFixture(patternBytes(MiB, 3))
  const smallSha = sha256File(small)
  console.log(`# modelmap stress (Node ${process.version}, ${cycles} cycles)\n`)
  console.log('| run | cycles | fds | file mappings | RSS | per cycle |')
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const backend of backends) {
    process.env.MODELMAP_BACKEND = backend
    report(`open/view/close (${backend})`, await openViewClose(small, cycles))
    report(`open/drop + GC (${backend})`, await openDrop(small, cycles))
  }

  const bytes = patternBytes(64 * MiB, 5)
  const big = writeFixture(bytes)
  const sha = createHash('sha256').update(bytes).digest('hex')
  console.log('\n| concurrency run | worker reads | mismatches | checksums right | worst event-loop stall | abort latency median / worst |')
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const backend of backends) {
    process.env.MODELMAP_BACKEND = backend
    const r = await runConcurrency(big, { workers: 8, readsPerWorker: 20_000, rounds: 10, aborts: 100 })
    const reads = r.workers.reduce((a, w) => a + w.reads, 0)
    const mismatches = r.workers.reduce((a, w) => a + w.mismatches, 0)
    const right = r.checksums.filter((c) => c === sha).length
    const sorted = [...r.abortLatenciesMs].sort((a, b) => a - b)
    const median = sorted[sorted.length >> 1] ?? NaN
    const worst = sorted.at(-1) ?? NaN
    console.log(`| 8 workers + prefetch/checksum (${backend}) | ${reads} | ${mismatches} | ${right}/${r.checksums.length} | ${r.worstStallMs.toFixed(1)} ms | ${median.toFixed(2)} / ${worst.toFixed(2)} ms |`)
    if (mismatches > 0) fail(`${backend}: ${mismatches} reads returned wrong bytes`)
    if (right !== r.checksums.length) fail(`${backend}: wrong checksums`)
    if (worst >= 50) fail(`${backend}: abort took ${worst.toFixed(1)} ms`)
  }
  // Baseline: the same 8 readers with an idle main thread. On 2 cores, 8 busy threads alone delay
  // the event loop by OS scheduling; the rows above are judged against this.
  {
    process.env.MODELMAP_BACKEND = backends[0]
    const r = await runConcurrency(big, { workers: 8, readsPerWorker: 20_000, rounds: 0, aborts: 0 })
    console.log(`| baseline: 8 workers, idle main thread (${backends[0]}) | ${r.workers.reduce((a, w) => a + w.reads, 0)} | ${r.workers.reduce((a, w) => a + w.mismatches, 0)} | – | ${r.worstStallMs.toFixed(1)} ms | – |`)
  }
  // With the workers gone, the main thread alone: the event-loop target is for this case.
  for (const backend of backends) {
    process.env.MODELMAP_BACKEND = backend
    const model = ModelData.open(big)
    const { monitorEventLoopDelay } = await import('node:perf_hooks')
    const h = monitorEventLoopDelay({ resolution: 1 })
    h.enable()
    for (let i = 0; i < 10; i++) await model.checksum()
    h.disable()
    model.close()
    console.log(`\nmain thread alone, 10 checksums of 64 MiB (${backend}): worst event-loop stall ${(h.max / 1e6).toFixed(1)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms`)
  }
  if (sha256File(small) !== smallSha) fail('the small fixture changed')
  console.log(`\n${failures === 0 ? 'stress: all runs clean' : `stress: ${failures} failures`}`)
  process.exitCode = failures === 0 ? 0 : 1
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
