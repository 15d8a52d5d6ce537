/** checksum('sha256') throughput vs the sha256sum tool on the same page-cached file, and the worst event-loop stall meanwhile. */

import { execFileSync } from 'node:child_process'
import { monitorEventLoopDelay } from 'node:perf_hooks'

import { ModelData } from '..'
import { makeFile } from './fixtures'
import { headline, markdownTable, median } from './stats'

export async function checksum(size = 1 << 30): Promise<string> {
  const file = makeFile('sha.bin', size, size)
  const model = ModelData.open(file)
  await model.prefetch()
  const ours: number[] = []
  const theirs: number[] = []
  let worstStall = 0
  let digest = ''
  for (let i = 0; i < 5; i++) {
    const delay = monitorEventLoopDelay({ resolution: 1 })
    delay.enable()
    const t0 = performance.now()
    digest = await model.checksum()
    ours.push(performance.now() - t0)
    delay.disable()
    worstStall = Math.max(worstStall, delay.max / 1e6)
  }
  // Baseline: the same process with an idle event loop for as long as one checksum took, so GC
  // and scheduling noise on this machine can be told apart from blocking by checksum().
  const idle = monitorEventLoopDelay({ resolution: 1 })
  idle.enable()
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, median(ours)))
  idle.disable()
  // sha256sum afterwards, not interleaved: a synchronous child run blocks this event loop, and
  // the delay monitor would count that against the next checksum.
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now()
    const out = execFileSync('sha256sum', [file], { encoding: 'utf8' })
    theirs.push(performance.now() - t0)
    if (!out.startsWith(digest)) throw new Error('digests differ')
  }
  model.close()
  const rate = (ms: number) => `${(size / 2 ** 20 / (ms / 1000)).toFixed(0)} MiB/s`
  const m = median(ours)
  const s = median(theirs)
  headline('sha256 throughput vs sha256sum', s / m)
  return markdownTable(['sha256 of 1 GiB (page cache hot), median of 5', 'throughput', 'vs sha256sum', 'worst event-loop stall'], [
    ['modelmap checksum()', rate(m), `${(s / m).toFixed(2)}×`, `${worstStall.toFixed(1)} ms`],
    ['sha256sum (coreutils)', rate(s), '1.00×', '–'],
    ['(baseline: idle event loop, same process and duration)', '–', '–', `${(idle.max / 1e6).toFixed(1)} ms`],
  ])
}
