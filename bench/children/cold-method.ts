/**
 * Child for bench/cold-load.ts: loads an evicted file one way, then scans a fresh mapping of it
 * (one byte per 4 KiB page) and reports both times and the scan's page faults. A fresh process
 * per run: its fault counters and mappings start clean.
 */

import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'

import { ModelData } from '../..'

const [method, file] = process.argv.slice(2) as [string, string]
const CHUNK = 8 << 20
const GiB = 2 ** 30

const gc = (globalThis as { gc?: () => void }).gc!

/** Views of the whole file, made before any timing starts: making a 2 GiB window starts a GC
 * under "external memory pressure", and a GC in the middle of a timed loop cost it hundreds of
 * ms of JIT churn, which is not what this benchmark measures. */
function viewsOf(model: ModelData): Buffer[] {
  const views: Buffer[] = []
  for (let at = 0; at < model.byteLength; at += GiB) views.push(model.view(at, Math.min(GiB, model.byteLength - at)))
  gc()
  gc()
  return views
}

/** Touches one byte per page; returns a checksum so nothing is optimised out. */
function touch(views: Buffer[]): number {
  let sum = 0
  for (const view of views) for (let i = 0; i < view.length; i += 4096) sum += view[i]!
  return sum
}

function readSyncLoop(): void {
  const fd = fs.openSync(file, 'r')
  const buf = Buffer.allocUnsafe(CHUNK)
  while (fs.readSync(fd, buf, 0, CHUNK, null) > 0);
  fs.closeSync(fd)
}

/** Four reads in flight (libuv's pool), each the next 8 MiB of the file. */
async function parallelReads(): Promise<void> {
  const handle = await fs.promises.open(file, 'r')
  const size = (await handle.stat()).size
  let next = 0
  const lane = async () => {
    const buf = Buffer.allocUnsafe(CHUNK)
    for (let at = (next += CHUNK) - CHUNK; at < size; at = (next += CHUNK) - CHUNK) await handle.read(buf, 0, CHUNK, at)
  }
  await Promise.all([lane(), lane(), lane(), lane()])
  await handle.close()
}

async function load(): Promise<void> {
  switch (method) {
    case 'cat':
      spawnSync('sh', ['-c', 'cat "$0" > /dev/null', file], { stdio: 'inherit' })
      return
    case 'readSync':
      return readSyncLoop()
    case 'parallel-reads':
      return parallelReads()
    case 'scan':
    case 'willneed':
    case 'sequential': {
      using m = ModelData.open(file, method === 'scan' ? {} : { advice: method })
      // The views (and the GCs that settle them) are part of this method's time: a few ms.
      touch(viewsOf(m))
      return
    }
    case 'populate': {
      ModelData.open(file, { populate: true }).close()
      return
    }
    default: {
      const concurrency = /^prefetch-(\d+)$/.exec(method)?.[1]
      using m = ModelData.open(file)
      await m.prefetch(concurrency === undefined ? {} : { concurrency: Number(concurrency) })
    }
  }
}

async function main(): Promise<void> {
  const t0 = performance.now()
  await load()
  const loadMs = performance.now() - t0
  using m = ModelData.open(file)
  const scanViews = viewsOf(m)
  const before = process.resourceUsage()
  const t1 = performance.now()
  touch(scanViews)
  const scanMs = performance.now() - t1
  const after = process.resourceUsage()
  const resident = m.residency().residentBytes
  console.log(JSON.stringify({ loadMs, scanMs, minflt: after.minorPageFault - before.minorPageFault, majflt: after.majorPageFault - before.majorPageFault, resident }))
}

void main()
