/**
 * Open latency by file size, view creation cost, and RSS after opening a large file.
 * modelmap (mmap) side by side with fs.readFile and fs.open + a 4 KiB header read.
 */

import * as fs from 'node:fs'

import { ModelData } from '..'
import { makeFile } from './fixtures'
import { mmapIo, mmapIoError } from './peers'
import { formatBytes, formatMs, headline, markdownTable, median, timeRuns } from './stats'

const MiB = 1 << 20
const GiB = 1 << 30
const READFILE_LIMIT = 2 * GiB - 1

/**
 * open + a 16-byte view at `offset` + a read of its first byte + close, against fs.openSync +
 * fstatSync + readSync(16 B) + closeSync, interleaved in 5 rounds; the medians.
 */
function firstView(file: string, offset: number, runs: number): { ours: number; floor: number } {
  const buf = Buffer.alloc(16)
  let sink = 0
  const ours: number[] = []
  const floor: number[] = []
  for (let round = 0; round < 5; round++) {
    floor.push(
      ...timeRuns(runs, () => {
        const fd = fs.openSync(file, 'r')
        fs.fstatSync(fd)
        fs.readSync(fd, buf, 0, 16, offset)
        sink += buf[0]!
        fs.closeSync(fd)
      }),
    )
    ours.push(
      ...timeRuns(runs, () => {
        const model = ModelData.open(file)
        sink += model.view(offset, 16)[0]!
        model.close()
      }),
    )
  }
  if (sink === -1) console.log('')
  return { ours: median(ours), floor: median(floor) }
}

export function openLatency(sizes = [MiB, 64 * MiB, GiB, 6 * GiB, 16 * GiB], runs = 401): string {
  const rows: string[][] = []
  const viewRows: string[][] = []
  const peer = mmapIo()
  // Medians for the smallest and the largest file (sizes ascend): flat latency means a ratio of 1.
  let smallestFileMs: number | undefined
  let largestFileMs = 0
  const floorRatios: number[] = []
  for (const size of sizes) {
    // The first 16 MiB are real data (views read it from the page cache); the rest is sparse.
    const file = makeFile(`open-${size}.bin`, size, Math.min(size, 16 * MiB))
    // The floor: what any open of a file costs from JavaScript. Interleaved with modelmap's open
    // so drift on a shared machine hits both alike.
    const floorRuns: number[] = []
    const mmRuns: number[] = []
    for (let round = 0; round < 5; round++) {
      floorRuns.push(
        ...timeRuns(runs, () => {
          const fd = fs.openSync(file, 'r')
          fs.fstatSync(fd)
          fs.closeSync(fd)
        }),
      )
      mmRuns.push(...timeRuns(runs, () => ModelData.open(file).close()))
    }
    const floor = median(floorRuns)
    const mm = median(mmRuns)
    floorRatios.push(mm / floor)
    smallestFileMs ??= mm
    largestFileMs = mm
    // mmap-io, the other mmap addon: open, map the whole file, close (it unmaps at GC).
    let peerCell = typeof peer === 'string' ? peer : ''
    if (typeof peer !== 'string') {
      try {
        const t = median(
          timeRuns(runs, () => {
            const fd = fs.openSync(file, 'r')
            try {
              peer.map(size, peer.PROT_READ, peer.MAP_SHARED, fd, 0)
            } finally {
              fs.closeSync(fd)
            }
          }),
        )
        peerCell = `${formatMs(t)} (${(t / floor).toFixed(2)}× floor)`
      } catch (err) {
        peerCell = mmapIoError(err)
      }
    }
    // readFile is the peer people replace; it refuses files over 2 GiB, and on large files we
    // take fewer runs (each reads the whole file).
    const readFile = size <= READFILE_LIMIT ? median(timeRuns(size >= GiB ? 3 : 41, () => void fs.readFileSync(file), 1)) : undefined
    if (size === GiB && readFile !== undefined) headline('open 1 GiB: fs.readFileSync / modelmap open', readFile / mm)
    rows.push([
      formatBytes(size),
      formatMs(mm),
      formatMs(floor),
      `${(mm / floor).toFixed(2)}×`,
      `${(mm / smallestFileMs).toFixed(2)}×`,
      peerCell,
      readFile === undefined ? 'refuses (> 2 GiB)' : formatMs(readFile),
      readFile === undefined ? '–' : `${(readFile / mm).toFixed(0)}×`,
    ])
    for (const offset of [4096, 8 * MiB, size - 4096].filter((o, i, all) => o + 16 <= size && all.indexOf(o) === i)) {
      const r = firstView(file, offset, Math.max(41, runs >> 2))
      viewRows.push([formatBytes(size), offset === size - 4096 ? `${formatBytes(offset)} (end, sparse)` : formatBytes(offset), formatMs(r.ours), formatMs(r.floor), `${(r.ours / r.floor).toFixed(2)}×`])
    }
    fs.rmSync(file)
  }
  headline(`open latency: 16 GiB vs 1 MiB (flat = 1×)`, (smallestFileMs ?? largestFileMs) / largestFileMs)
  return (
    markdownTable(
      ['file size', 'modelmap open+close (median)', 'floor: fs.open + fstat + close', 'modelmap / floor', 'vs smallest', 'mmap-io 1.1.7 open + map + close', 'fs.readFileSync', 'readFile / modelmap'],
      rows,
    ) +
    `\n\nmodelmap / floor over all sizes: ${Math.min(...floorRatios).toFixed(2)}–${Math.max(...floorRatios).toFixed(2)}× (medians of 5 interleaved rounds × ${runs}). ` +
    'The range is mapped at its first use, so an open that is closed at once costs no mmap (mmap + munmap alone cost 4-11 µs on this VM). ' +
    mmapIoOffsets(peer) +
    '\n\n**First view**: open + a 16-byte view + a read of its first byte + close, against fs.openSync + fstatSync + readSync(16 B) + closeSync (medians of 5 interleaved rounds). A view maps its window and faults its first page in; munmap follows on a background thread.\n\n' +
    markdownTable(['file size', 'view at', 'modelmap open + view + read + close', 'floor: fs open + fstat + pread + close', 'modelmap / floor'], viewRows)
  )
}

/** What mmap-io does past 2 GiB: a 4 KiB map at offsets around 2 GiB of a 6 GiB file. */
function mmapIoOffsets(peer: ReturnType<typeof mmapIo>): string {
  if (typeof peer === 'string') return ''
  const file = makeFile('offsets.bin', 6 * GiB)
  const fd = fs.openSync(file, 'r')
  const at = (offset: number) => {
    try {
      peer.map(4096, peer.PROT_READ, peer.MAP_SHARED, fd, offset)
      return 'works'
    } catch (err) {
      return mmapIoError(err)
    }
  }
  const out = `mmap-io mapping 4 KiB of a 6 GiB file at offset 2 GiB − 4 KiB: ${at(2 * GiB - 4096)}; at 2 GiB: ${at(2 * GiB)}; at 3 GiB: ${at(3 * GiB)} (modelmap: any offset).`
  fs.closeSync(fd)
  fs.rmSync(file)
  return out
}

export function viewCost(count = 200_000): string {
  const size = 256 * MiB
  const file = makeFile('views.bin', size, size)
  const model = ModelData.open(file)
  const heap = fs.readFileSync(file)
  const offsets = Array.from({ length: count }, (_, i) => ((i * 2654435761) % (size - 4096)) >>> 0)
  let sink = 0
  const mm = median(
    timeRuns(5, () => {
      for (const o of offsets) sink += model.view(o, 4096).length
    }),
  )
  const sub = median(
    timeRuns(5, () => {
      for (const o of offsets) sink += heap.subarray(o, o + 4096).length
    }),
  )
  model.close()
  fs.rmSync(file)
  if (sink === 42) console.log('')
  return markdownTable(
    ['operation', `per view (median of 5 × ${count})`, 'ratio'],
    [
      ['modelmap view(offset, 4096)', formatMs(mm / count), `${(mm / sub).toFixed(1)}×`],
      ['Buffer.subarray on a heap copy', formatMs(sub / count), '1.0×'],
    ],
  )
}

export function rssAfterOpen(size = 6 * GiB): string {
  const file = makeFile('rss.bin', size)
  const before = process.memoryUsage.rss()
  const model = ModelData.open(file)
  const afterOpen = process.memoryUsage.rss()
  const views = [0, 1, 2, 3, 4, 5].map((g) => model.view(g * GiB, 4096))
  const afterViews = process.memoryUsage.rss()
  const rows = [
    ['after open', formatBytes(afterOpen - before)],
    [`after ${views.length} views (one page read each)`, formatBytes(afterViews - before)],
  ]
  model.close()
  fs.rmSync(file)
  return markdownTable([`RSS growth, ${formatBytes(size)} file`, 'bytes'], rows)
}
