/**
 * Cold loads: a 4 GiB file of random bytes is evicted from the page cache before every run
 * (`posix_fadvise(DONTNEED)` through `dd iflag=nocache`, after fsync), eviction is checked with
 * residency() = 0, and each method runs in a fresh process. Methods are interleaved, in an order
 * shuffled per round. Disk speed on a shared VM swings by 5× within minutes, so only ratios
 * within one round mean anything: each method's load time is compared with the best read-based
 * method (cat, a readSync loop, four parallel reads) of the same round, and the table gives the
 * median and spread of those ratios over the rounds. After each load, a scan of a fresh mapping
 * reports its page faults: a page cache left in large folios is mapped in large pieces (few
 * faults); one left in small pieces costs a fault per 4 KiB page.
 *
 * `npm run bench -- cold` (about 4 GiB of disk and a few minutes; not part of the default run).
 * MODELMAP_COLD_ROUNDS (default 9) and MODELMAP_COLD_GIB (default 4) change its size.
 */

import { execFileSync, spawnSync } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'

import { ModelData } from '..'
import { benchDir } from './fixtures'
import { formatBytes, markdownTable, median } from './stats'

const READS = ['cat', 'readSync', 'parallel-reads']
const METHODS = [...READS, 'prefetch', 'prefetch-1', 'prefetch-2', 'prefetch-4', 'populate', 'scan', 'sequential', 'willneed']
const LABEL: Record<string, string> = {
  cat: 'cat > /dev/null',
  readSync: 'readSync loop, 8 MiB',
  'parallel-reads': '4 parallel reads, 8 MiB',
  prefetch: 'prefetch() (default)',
  'prefetch-1': 'prefetch({ concurrency: 1 })',
  'prefetch-2': 'prefetch({ concurrency: 2 })',
  'prefetch-4': 'prefetch({ concurrency: 4 })',
  populate: 'open({ populate: true })',
  scan: 'touch every page of a fresh mapping',
  sequential: "advice 'sequential' + touch every page",
  willneed: "advice 'willneed' + touch every page",
}

interface Run {
  loadMs: number
  scanMs: number
  minflt: number
  majflt: number
}

/**
 * A shuffled copy (seeded, so runs are repeatable). Shuffled rather than rotated: with a fixed
 * cycle each method always followed the same one, and the VM's host cache made that a bias.
 */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items]
  let state = seed * 2654435761
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) >>> 0
    const j = state % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

function makeFile(gib: number): string {
  const file = path.join(benchDir, 'cold.bin')
  const fd = fs.openSync(file, 'w')
  const block = Buffer.allocUnsafe(64 << 20)
  for (let at = 0; at < gib * 2 ** 30; at += block.length) {
    randomFillSync(block)
    fs.writeSync(fd, block, 0, block.length, at)
  }
  fs.fsyncSync(fd)
  fs.closeSync(fd)
  return file
}

function evict(file: string): void {
  const r = spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none'])
  if (r.status !== 0) throw new Error(`dd iflag=nocache failed: ${r.stderr}`)
  using m = ModelData.open(file)
  const resident = m.residency().residentBytes
  if (resident !== 0) throw new Error(`eviction left ${resident} bytes of ${file} in the page cache`)
}

function runMethod(method: string, file: string): Run {
  const script = path.join(__dirname, 'children', 'cold-method.ts')
  return JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, method, file], { encoding: 'utf8' })) as Run
}

export function coldLoad(): string {
  if (process.platform !== 'linux') return '(Linux only: eviction uses posix_fadvise through dd)'
  const rounds = Number(process.env.MODELMAP_COLD_ROUNDS ?? 9)
  const gib = Number(process.env.MODELMAP_COLD_GIB ?? 4)
  const file = makeFile(gib)
  const size = fs.statSync(file).size
  const runs = new Map<string, Run[]>(METHODS.map((m) => [m, []]))
  const ratios = new Map<string, number[]>(METHODS.map((m) => [m, []]))
  for (let round = 0; round < rounds; round++) {
    const order = shuffled(METHODS, round + 1)
    const thisRound = new Map<string, Run>()
    for (const method of order) {
      evict(file)
      const run = runMethod(method, file)
      thisRound.set(method, run)
      runs.get(method)!.push(run)
    }
    const best = Math.min(...READS.map((m) => thisRound.get(m)!.loadMs))
    for (const m of METHODS) ratios.get(m)!.push(best / thisRound.get(m)!.loadMs)
    process.stderr.write(`cold round ${round + 1}/${rounds}: best read ${(size / 2 ** 30 / (best / 1000)).toFixed(2)} GiB/s\n`)
  }
  const rows = METHODS.map((m) => {
    const r = ratios.get(m)!
    const rs = runs.get(m)!
    const loadMs = median(rs.map((x) => x.loadMs))
    return [
      LABEL[m]!,
      `${median(r).toFixed(2)}×`,
      `${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)}×`,
      `${formatBytes(size / (loadMs / 1000))}/s`,
      `${median(rs.map((x) => x.scanMs)).toFixed(0)} ms`,
      String(median(rs.map((x) => x.minflt))),
      String(median(rs.map((x) => x.majflt))),
    ]
  })
  return [
    `${formatBytes(size)} of random bytes, evicted before each run; ${rounds} rounds. Speed: the best read-based method's time ÷ this method's, same round (> 1 is faster).`,
    '',
    markdownTable(['load method', 'speed vs best read (median)', 'spread', 'median throughput', 'then: scan of a fresh mapping', 'scan minor faults', 'scan major faults'], rows),
  ].join('\n')
}
