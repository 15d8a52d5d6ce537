/**
 * What views cost the garbage collector, and what close() costs with many views alive. Views
 * share a few external "windows" (see ts/backends/native.ts), so GC work must not grow with the
 * size or number of views; these runs show it, with a no-view baseline in the same run.
 */

import * as fs from 'node:fs'
import { constants, PerformanceObserver } from 'node:perf_hooks'
import type { PerformanceEntry } from 'node:perf_hooks'

import { ModelData } from '..'
import { makeFile } from './fixtures'
import { mmapIo, mmapIoError } from './peers'
import { formatMs, markdownTable, median } from './stats'

const MiB = 1 << 20
const GiB = 1 << 30

interface GcCount {
  major: number
  minor: number
  ms: number
}

/** Runs `fn` and counts the garbage collections it caused (PerformanceObserver 'gc' entries). */
async function gcDuring(fn: () => void): Promise<GcCount & { wallMs: number }> {
  const entries: PerformanceEntry[] = []
  const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()))
  observer.observe({ entryTypes: ['gc'] })
  const start = performance.now()
  fn()
  const wallMs = performance.now() - start
  // Entries are delivered asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 100))
  observer.disconnect()
  const kind = (e: PerformanceEntry) => (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind
  return {
    major: entries.filter((e) => kind(e) === constants.NODE_PERFORMANCE_GC_MAJOR).length,
    minor: entries.filter((e) => kind(e) === constants.NODE_PERFORMANCE_GC_MINOR).length,
    ms: entries.reduce((sum, e) => sum + e.duration, 0),
    wallMs,
  }
}

/** Some ordinary allocation: objects and small Buffers, as a server handling requests makes. */
function allocationWorkload(): number {
  let sink = 0
  for (let i = 0; i < 2_000_000; i++) sink += { i, s: `k${i & 1023}` }.s.length
  for (let i = 0; i < 20_000; i++) sink += Buffer.alloc(4096).length
  return sink
}

export async function viewGc(): Promise<string> {
  const size = 8 * GiB
  const file = makeFile('gc.bin', size)
  const model = ModelData.open(file)
  const rows: string[][] = []
  const row = (name: string, r: GcCount & { wallMs: number }) =>
    rows.push([name, String(r.major), String(r.minor), formatMs(r.ms), formatMs(r.wallMs)])
  let sink = 0

  // The loop: 4 × (make and drop 128 views of 64 MiB over 8 GiB), then the same with 4 KiB.
  for (const viewBytes of [64 * MiB, 4096]) {
    row(
      `4 × 128 views of ${viewBytes === 4096 ? '4 KiB' : '64 MiB'} made and dropped`,
      await gcDuring(() => {
        for (let round = 0; round < 4; round++) {
          for (let i = 0; i < 128; i++) sink += model.view(i * 64 * MiB, viewBytes).length
        }
      }),
    )
  }
  // mmap-io maps the whole file as one Buffer (views are subarrays of it), where it can.
  const peer = mmapIo()
  if (typeof peer === 'string') rows.push(['mmap-io 1.1.7', peer, '–', '–', '–'])
  else {
    const fd = fs.openSync(file, 'r')
    try {
      const whole = peer.map(size, peer.PROT_READ, peer.MAP_SHARED, fd, 0)
      row('mmap-io 1.1.7: 4 × 128 subarrays of 64 MiB', await gcDuring(() => {
        for (let round = 0; round < 4; round++) for (let i = 0; i < 128; i++) sink += whole.subarray(i * 64 * MiB, (i + 1) * 64 * MiB).length
      }))
    } catch (err) {
      rows.push([`mmap-io 1.1.7: mapping the ${size / GiB} GiB file`, mmapIoError(err), '–', '–', '–'])
    } finally {
      fs.closeSync(fd)
    }
  }
  row('allocation workload, no views alive', await gcDuring(() => void (sink += allocationWorkload())))
  const held = Array.from({ length: 128 }, (_, i) => model.view(i * 64 * MiB, 64 * MiB))
  row('allocation workload, 8 GiB of views alive', await gcDuring(() => void (sink += allocationWorkload())))
  sink += held.length
  model.close()

  // close() with 100k live views: no per-view work (nothing to detach).
  const closeTimes: number[] = []
  for (let run = 0; run < 9; run++) {
    const m = ModelData.open(file)
    const views = Array.from({ length: 100_000 }, (_, i) => m.view((i * 4096) % (size - 4096), 4096))
    const start = process.hrtime.bigint()
    m.close()
    closeTimes.push(Number(process.hrtime.bigint() - start) / 1e6)
    sink += views.length
  }
  fs.rmSync(file)
  if (sink === 42) console.log('')
  return (
    markdownTable(['run (mmap, one 8 GiB sparse file)', 'mark-compact GCs', 'scavenges', 'GC time', 'wall time'], rows) +
    `\n\nclose() with 100,000 live views: ${formatMs(median(closeTimes))} (median of 9).`
  )
}
