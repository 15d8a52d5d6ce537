/**
 * V8 counts an external ArrayBuffer's length as external memory and runs a full GC of the
 * application's heap each time that count jumps; a SharedArrayBuffer made over external memory
 * is counted at 0. Counted in GC events, never in time, each against a contrast in the same run:
 * - headers read through small windows cost few full GCs, against a 256 MiB ArrayBuffer each;
 * - where the runtime can share external memory, 256 MiB views cost none, against the same
 *   views as ArrayBuffers.
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

/** 48 opens of a 1 GiB file, keeping one view of `length` bytes at `offset` of each. */
function loop(file: string, offset: number, length: number, viewBuffer: 'auto' | 'shared' | 'arraybuffer') {
  return () => {
    const kept: Buffer[] = []
    for (let i = 0; i < 48; i++) {
      const model = ModelData.open(file, { viewBuffer })
      kept.push(model.view(offset, length))
      model.close()
    }
  }
}

function sparse(): string {
  const file = tmpPath('sparse-1g.bin')
  fs.writeFileSync(file, 'GGUF')
  fs.truncateSync(file, GiB)
  return file
}

test.serial('reading the headers of 48 files of 1 GiB runs at most a few full GCs; a 256 MiB ArrayBuffer each runs many', async (t) => {
  if (heapForced) {
    t.log('heap backend: views are subarrays of a heap buffer, there are no windows to count')
    return t.pass()
  }
  const file = sparse()
  const headers = await majorGcsDuring(loop(file, 0, 8, 'auto'))
  const deeper = await majorGcsDuring(loop(file, HEAD, 8, 'auto'))
  const contrast = await majorGcsDuring(loop(file, 0, 256 * 2 ** 20, 'arraybuffer'))
  t.log(`full GCs for 48 files: ${headers} reading headers, ${deeper} reading at 16 MiB, ${contrast} with a 256 MiB ArrayBuffer each`)
  // Relative to the contrast of the same run: V8 versions differ in how often they collect.
  t.true(headers * 4 <= contrast, `header reads: ${headers} full GCs, against ${contrast} with 256 MiB ArrayBuffers`)
  t.true(deeper * 4 <= contrast, `reads at 16 MiB: ${deeper} full GCs, against ${contrast} with 256 MiB ArrayBuffers`)
})

test.serial('SharedArrayBuffer views cost the GC nothing at any size: 48 views of 256 MiB, against the same as ArrayBuffers', async (t) => {
  if (heapForced || ModelData.nativeStatus.viewBuffer !== 'shared') {
    t.log(`no shared views here (${heapForced ? 'heap backend' : process.version})`)
    return t.pass()
  }
  const file = sparse()
  const shared = await majorGcsDuring(loop(file, 0, 256 * 2 ** 20, 'shared'))
  const plain = await majorGcsDuring(loop(file, 0, 256 * 2 ** 20, 'arraybuffer'))
  t.log(`full GCs for 48 views of 256 MiB: ${shared} shared, ${plain} as ArrayBuffers`)
  t.true(shared * 4 <= plain, `shared: ${shared} full GCs, against ${plain} as ArrayBuffers`)
  t.true(shared <= 1, `shared: ${shared} full GCs`)
})
