/**
 * Inside an application: the same work with an empty heap and with ~300 MB of live JS objects,
 * on Node 20, 22 and 24 (installed from npm into .node-versions/ when missing), each case in a
 * fresh process (fixtures/children/live-heap.cjs). An empty-heap benchmark hid that each window once
 * cost a full GC of the application's heap; this one measures what a server or an engine pays.
 *
 * - first view: open + 16-byte view at a spread offset of a 4 GiB file (on disk, cached) + read +
 *   close, against fs open + fstat + pread + close in the same process, 200 cycles each;
 * - model set: openModel of 10 shards of 3 GiB (100 tensors), first byte of every tensor read;
 * - kept load: one open of a 32 GiB sparse file, a 4 MiB view every 4 MiB, all kept, none read.
 *
 * MODELMAP_BENCH_ROOT=<another checkout> measures that checkout with the same script (how the
 * "before" figures in README were taken).
 */

import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import { GGUFValueType, writeGguf } from '..'
import { nodeBinary } from '../scripts/node-versions.cjs'
import { benchDir, makeFile } from './fixtures'
import { formatMs, markdownTable } from './stats'

const MiB = 2 ** 20
const GiB = 2 ** 30
const HEAPS = [0, 300]

interface FirstView {
  floorUs: number
  oursUs: number
  floorMajors: number
  oursMajors: number
  cycles: number
}
interface Timed {
  ms: number
  majors: number
}
interface Common {
  heapUsedMB: number
  viewBuffer?: string
  error?: string
}

function modelSet(): string {
  const dir = path.join(benchDir, 'heap-set')
  if (fs.existsSync(path.join(dir, 'model-00001-of-00010.gguf'))) return path.join(dir, 'model-00001-of-00010.gguf')
  fs.mkdirSync(dir, { recursive: true })
  const tensorBytes = 300 * MiB // sparse: written as holes
  const tensors = Array.from({ length: 100 }, (_, i) => ({ name: `blk.${i}.weight`, dtype: 'F32', shape: [tensorBytes / 4], data: tensorBytes }))
  const metadata = { 'general.architecture': { type: GGUFValueType.STRING, value: 'llama' } }
  return writeGguf(path.join(dir, 'model.gguf'), { metadata, tensors, split: { maxTensors: 10 } })[0]!
}

function runChild(node: string, which: string, heapMB: number, file: string, env: NodeJS.ProcessEnv = {}): unknown {
  const script = path.join(__dirname, '..', 'fixtures', 'children', 'live-heap.cjs')
  const out = execFileSync(node, ['--expose-gc', script, which, String(heapMB), file], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 20 })
  return JSON.parse(out.trim().split('\n').at(-1)!) as unknown
}

export interface Runtime {
  label: string
  node: string
  env?: NodeJS.ProcessEnv
}

export function runtimes(): Runtime[] {
  const list: Runtime[] = [{ label: `Node ${process.versions.node}`, node: process.execPath }]
  for (const major of ['22', '24']) {
    if (process.versions.node.startsWith(`${major}.`)) continue
    const node = nodeBinary(major)
    if (node === undefined) continue
    const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim().slice(1)
    list.push({ label: `Node ${version}`, node })
    if (major === '24') list.push({ label: `Node ${version}, viewBuffer 'arraybuffer'`, node, env: { MODELMAP_VIEW_BUFFER: 'arraybuffer' } })
  }
  return list
}

export function appHeap(list = runtimes()): string {
  const file4g = makeFile('heap-4g.bin', 4 * GiB, 4 * GiB)
  const file32g = makeFile('heap-32g.bin', 32 * GiB)
  const shard = modelSet()
  const first: string[][] = []
  const others: string[][] = []
  for (const rt of list) {
    const byHeap: Record<number, { set: Timed & Common; kept: Timed & Common }> = {}
    for (const heapMB of HEAPS) {
      const fv = runChild(rt.node, 'first-view', heapMB, file4g, rt.env) as FirstView & Common
      if (fv.error !== undefined) throw new Error(`${rt.label}: ${fv.error}`)
      const views = fv.viewBuffer ?? 'arraybuffer'
      first.push([
        rt.label,
        `${fv.heapUsedMB} MB`,
        views,
        formatMs(fv.oursUs / 1000),
        formatMs(fv.floorUs / 1000),
        `${(fv.oursUs / fv.floorUs).toFixed(2)}×`,
        `${fv.oursMajors} / ${fv.floorMajors}`,
      ])
      byHeap[heapMB] = {
        set: runChild(rt.node, 'model-set', heapMB, shard, rt.env) as Timed & Common,
        kept: runChild(rt.node, 'kept', heapMB, file32g, rt.env) as Timed & Common,
      }
    }
    for (const kind of ['set', 'kept'] as const) {
      const empty = byHeap[HEAPS[0]!]![kind]
      const big = byHeap[HEAPS[1]!]![kind]
      const name = kind === 'set' ? 'openModel 10 × 3 GiB, a byte of every tensor' : 'kept load: 8,192 views of 4 MiB over 32 GiB'
      others.push([rt.label, name, `${empty.ms.toFixed(1)} ms (${empty.majors})`, `${big.ms.toFixed(1)} ms (${big.majors})`, `${(big.ms / empty.ms).toFixed(2)}×`])
    }
  }
  return (
    '**First view**: open + 16-byte view at a spread offset of a 4 GiB file (on disk, page cache hot) + read of its first byte + close, against the floor fs.openSync + fstatSync + readSync(16 B) + closeSync; 200 cycles each in alternating blocks of 40, one event-loop turn per cycle; medians; mark-compacts counted over each side\'s 200 cycles.\n\n' +
    markdownTable(['runtime', 'live JS heap', 'view.buffer', 'modelmap', 'fs floor', 'modelmap / floor', 'mark-compacts (modelmap / floor)'], first) +
    '\n\n**Model loads**, each with an empty heap and with ~300 MB of live JS objects (median ms; mark-compacts in parentheses):\n\n' +
    markdownTable(['runtime', 'work', 'empty heap', '~300 MB live heap', 'live / empty'], others)
  )
}
