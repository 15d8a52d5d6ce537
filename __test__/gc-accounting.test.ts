/**
 * V8 counts each window's length as external memory and runs a full GC as that count grows, so
 * parsing a header must not make a 1 GiB window per file (opening a 100-shard set cost a hundred
 * full GCs). Counted in GC events, never in time: headers read through the 16 MiB head window,
 * with the same loop making a 1 GiB window per file as the contrast, in the same run.
 *
 * (Taking windows back out of V8's count with napi_adjust_external_memory is not an option: the
 * count goes negative between V8 freeing a store and the finalizer running, and Node 24's V8
 * aborts on that.)
 */

import * as fs from 'node:fs'
import { constants, PerformanceObserver } from 'node:perf_hooks'
import type { PerformanceEntry } from 'node:perf_hooks'

import test from 'ava'

import { ModelData } from '..'
import { collectGarbage, heapForced, tmpPath } from './helpers'

const GiB = 2 ** 30
const HEAD = 16 * 2 ** 20

async function majorGcsDuring(fn: () => void): Promise<number> {
  await collectGarbage()
  let majors = 0
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++
  })
  observer.observe({ entryTypes: ['gc'] })
  fn()
  await new Promise((resolve) => setTimeout(resolve, 100))
  observer.disconnect()
  return majors
}

test('reading the headers of 48 files of 1 GiB runs at most a few full GCs; a 1 GiB window each runs many', async (t) => {
  if (heapForced) {
    t.log('heap backend: views are subarrays of a heap buffer, there are no windows to count')
    return t.pass()
  }
  const file = tmpPath('sparse-1g.bin')
  fs.writeFileSync(file, 'GGUF')
  fs.truncateSync(file, GiB)
  const loop = (offset: number) => () => {
    const kept: Buffer[] = []
    for (let i = 0; i < 48; i++) {
      const model = ModelData.open(file)
      kept.push(model.view(offset, 8))
      model.close()
    }
  }
  const headers = await majorGcsDuring(loop(0))
  const windows = await majorGcsDuring(loop(HEAD))
  t.log(`full GCs for 48 files: ${headers} reading headers, ${windows} with a 1 GiB window each`)
  // Relative to the contrast of the same run: V8 versions differ in how often they collect
  // (Linux: 1-2 against 24-29; Windows: 8 against 38).
  t.true(headers * 4 <= windows, `header reads: ${headers} full GCs, against ${windows} with 1 GiB windows`)
})
