/**
 * Open latency by file size, view creation cost, and RSS after opening a large file.
 * modelmap (mmap) side by side with fs.readFile and fs.open + a 4 KiB header read.
 */

import * as fs from 'node:fs'

import { ModelData } from '..'
import { makeFile } from './fixtures'
import { formatBytes, formatMs, headline, markdownTable, median, timeRuns } from './stats'

const MiB = 1 << 20
const GiB = 1 << 30
const READFILE_LIMIT = 2 * GiB - 1

export function openLatency(sizes = [MiB, 64 * MiB, GiB, 6 * GiB, 16 * GiB], runs = 41): string {
  const rows: string[][] = []
  // Medians for the smallest and the largest file (sizes ascend): flat latency means a ratio of 1.
  let smallestFileMs: number | undefined
  let largestFileMs = 0
  for (const size of sizes) {
    const file = makeFile(`open-${size}.bin`, size)
    const mm = median(timeRuns(runs, () => ModelData.open(file).close()))
    smallestFileMs ??= mm
    largestFileMs = mm
    const header = Buffer.alloc(4096)
    const openRead = median(
      timeRuns(runs, () => {
        const fd = fs.openSync(file, 'r')
        fs.readSync(fd, header, 0, header.length, 0)
        fs.closeSync(fd)
      }),
    )
    // readFile is the peer people replace; it refuses files over 2 GiB, and on large files we
    // take fewer runs (each reads the whole file).
    const readFile = size <= READFILE_LIMIT ? median(timeRuns(size >= GiB ? 3 : runs, () => void fs.readFileSync(file), 1)) : undefined
    if (size === GiB && readFile !== undefined) headline('open 1 GiB: fs.readFileSync / modelmap open', readFile / mm)
    rows.push([
      formatBytes(size),
      formatMs(mm),
      `${(mm / smallestFileMs).toFixed(2)}×`,
      formatMs(openRead),
      readFile === undefined ? 'refuses (> 2 GiB)' : formatMs(readFile),
      readFile === undefined ? '–' : `${(readFile / mm).toFixed(0)}×`,
    ])
    fs.rmSync(file)
  }
  headline(`open latency: 16 GiB vs 1 MiB (flat = 1×)`, (smallestFileMs ?? largestFileMs) / largestFileMs)
  return markdownTable(
    ['file size', 'modelmap open+close (median)', 'vs smallest', 'fs.open + 4 KiB read', 'fs.readFileSync', 'readFile / modelmap'],
    rows,
  ) + `\n\n${mmapIoNote()}`
}

/** mmap-io is the other mmap addon people reach for; say whether it could be measured here. */
function mmapIoNote(): string {
  try {
    require.resolve('mmap-io')
    return 'mmap-io is installed but not benchmarked yet.'
  } catch {
    return 'mmap-io (1.1.7) is not in this table: it does not build on Node 20 here (its binding.gyp compiles V8 headers without C++17: "remove_cv_t is not a member of std").'
  }
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
