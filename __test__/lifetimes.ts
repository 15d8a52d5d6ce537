/** Open/view/close and open/drop cycles, measuring what must come back to baseline. */

import * as fs from 'node:fs'

import { ModelData } from '..'
import { collectGarbage, liveMappings, mappingsOf, settleMappings } from './helpers'

export interface Snapshot {
  fds: number
  maps: number
  rss: number
}

export function snapshot(file: string): Snapshot {
  const linux = process.platform === 'linux'
  return {
    fds: linux ? fs.readdirSync('/proc/self/fd').length : -1,
    maps: linux ? mappingsOf(file).length : -1,
    rss: process.memoryUsage.rss(),
  }
}

export interface CycleResult {
  cycles: number
  before: Snapshot
  after: Snapshot
  ms: number
}

/** One cycle, in its own (non-async) frame: nothing of it stays reachable from the caller's. */
function openViewCloseOnce(file: string, i: number): void {
  const model = ModelData.open(file)
  const view = model.view(i % 4096, 64)
  const first = view[0]
  if (first === undefined) throw new Error('empty view')
  model.close()
  if (view.length !== 64 || view[0] !== first) throw new Error('a view changed at close()')
}

/** open → view (read it) → close, `cycles` times; the GC then releases every mapping. */
export async function openViewClose(file: string, cycles: number): Promise<CycleResult> {
  await collectGarbage()
  const live = liveMappings()
  const before = snapshot(file)
  const start = performance.now()
  for (let i = 0; i < cycles; i++) {
    openViewCloseOnce(file, i)
    if (i % 10_000 === 9_999) await collectGarbage(1)
  }
  const ms = performance.now() - start
  await collectGarbage(8)
  // The last share of each mapping is unmapped on a background thread: wait for it.
  await settleMappings(live)
  return { cycles, before, after: snapshot(file), ms }
}

/** In its own (non-async) frame, so no suspended async frame keeps the last model alive. */
function openAndDrop(file: string, i: number): void {
  const model = ModelData.open(file)
  if (model.view(i % 4096, 64).length !== 64) throw new Error('short view')
}

/** open → view → drop (no close), with forced GCs: the finalizers must release everything. */
export async function openDrop(file: string, cycles: number): Promise<CycleResult> {
  await collectGarbage()
  const live = liveMappings()
  const before = snapshot(file)
  const start = performance.now()
  for (let i = 0; i < cycles; i++) {
    openAndDrop(file, i)
    if (i % 1_000 === 999) await collectGarbage(1)
  }
  const ms = performance.now() - start
  await collectGarbage(8)
  // The last share of each mapping is unmapped on a background thread: wait for it.
  await settleMappings(live)
  return { cycles, before, after: snapshot(file), ms }
}
