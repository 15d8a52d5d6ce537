// Child for bench/app-heap.ts: one case, in a fresh process, with `heapMB` of live JS objects
// built first (an application's heap: kept in a module-level array and summed at the end, so V8
// can never collect them). Prints one JSON line.
//
//   node --expose-gc app-heap.cjs <case> <heapMB> <file>
//
// Cases:
//   first-view  open + 16-byte view at a spread offset + read + close, against the floor fs.openSync
//               + fstatSync + readSync(16 B) + closeSync, 5 alternating blocks of 40 cycles each, one
//               event-loop turn per cycle (as a server runs them); medians and mark-compacts of each.
//   model-set   openModel of a GGUF set, read the first byte of every tensor, close; median of 5.
//   kept        one open of a large file, a 4 MiB view every 4 MiB, all kept, none read, in one
//               synchronous loop (as a loader runs); median of 3.
// MODELMAP_BENCH_ROOT points at the package to measure (default: this checkout), so an older
// checkout can be measured with the same script.
const fs = require('node:fs')
const path = require('node:path')
const { PerformanceObserver, constants } = require('node:perf_hooks')

const root = process.env.MODELMAP_BENCH_ROOT || path.join(__dirname, '..', '..')
const { ModelData, openModel } = require(path.join(root, 'dist', 'index.js'))

const [which, heapMB, file] = [process.argv[2], Number(process.argv[3]), process.argv[4]]
const MiB = 2 ** 20

const live = []
function buildHeap() {
  while (process.memoryUsage().heapUsed < heapMB * MiB) {
    for (let i = 0; i < 50_000; i++) live.push({ id: live.length, name: `k${live.length % 4096}`, pair: [i, i + 1] })
  }
}
function liveSum() {
  let s = 0
  for (let i = 0; i < live.length; i += 97) s += live[i].id + live[i].pair[1]
  return s
}

let majors = 0
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.detail && e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++
}).observe({ entryTypes: ['gc'] })

const turn = () => new Promise((resolve) => setImmediate(resolve))
const settle = () => new Promise((resolve) => setTimeout(resolve, 50))
const median = (values) => {
  const s = [...values].sort((a, b) => a - b)
  return s[s.length >> 1]
}
const now = () => Number(process.hrtime.bigint()) / 1e3 // µs

async function firstView() {
  const size = fs.statSync(file).size
  const buf = Buffer.alloc(16)
  let sink = 0
  const floor = (offset) => {
    const fd = fs.openSync(file, 'r')
    fs.fstatSync(fd)
    fs.readSync(fd, buf, 0, 16, offset)
    sink += buf[0]
    fs.closeSync(fd)
  }
  const ours = (offset) => {
    const model = ModelData.open(file)
    sink += model.view(offset, 16)[0]
    model.close()
  }
  const times = { floor: [], ours: [] }
  const gcs = { floor: 0, ours: 0 }
  let cycle = 0
  for (let block = 0; block < 10; block++) {
    const who = block % 2 === 0 ? 'floor' : 'ours'
    const fn = who === 'floor' ? floor : ours
    const before = majors
    for (let i = 0; i < 40; i++, cycle++) {
      const offset = Number((BigInt(cycle) * 2654435761n) % BigInt(size - 16))
      const t0 = now()
      fn(offset)
      times[who].push(now() - t0)
      await turn()
    }
    await settle()
    gcs[who] += majors - before
  }
  return { floorUs: median(times.floor), oursUs: median(times.ours), floorMajors: gcs.floor, oursMajors: gcs.ours, cycles: times.ours.length, sink: sink > -1 }
}

async function modelSet() {
  const runs = []
  let reads = 0
  const before = majors
  for (let r = 0; r < 6; r++) {
    const t0 = now()
    const model = openModel(file)
    for (const tensor of model.tensors()) reads += tensor.data[0] === undefined ? 0 : 1
    model.close()
    if (r > 0) runs.push((now() - t0) / 1000)
    await turn()
  }
  await settle()
  return { ms: median(runs), majors: majors - before, reads }
}

async function kept() {
  const size = fs.statSync(file).size
  const runs = []
  const before = majors
  for (let r = 0; r < 3; r++) {
    const t0 = now()
    const model = ModelData.open(file)
    const views = []
    for (let at = 0; at + 4 * MiB <= size; at += 4 * MiB) views.push(model.view(at, 4 * MiB))
    runs.push((now() - t0) / 1000)
    model.close()
    views.length = 0
    await settle()
  }
  await settle()
  return { ms: median(runs), majors: majors - before, views: Math.floor(size / (4 * MiB)) }
}

function viewBufferUsed() {
  const model = ModelData.open(__filename)
  const kind = model.viewBuffer
  model.close()
  return kind
}

;(async () => {
  buildHeap()
  global.gc()
  await settle()
  majors = 0
  const cases = { 'first-view': firstView, 'model-set': modelSet, kept }
  const result = await cases[which]()
  console.log(JSON.stringify({ ...result, heapUsedMB: Math.round(process.memoryUsage().heapUsed / MiB), liveObjects: live.length, liveSum: liveSum() > -1, viewBuffer: viewBufferUsed() }))
})().catch((err) => {
  console.log(JSON.stringify({ error: String(err && err.stack) }))
  process.exit(1)
})
