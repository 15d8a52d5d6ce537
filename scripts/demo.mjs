#!/usr/bin/env node
// `npm start [file]`: what modelmap does, on your file or on a generated 512 MiB sample.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

import { ModelData } from '../index.mjs'

const MiB = 1 << 20
const fmt = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(1)} ms`)
const time = (fn) => {
  const start = process.hrtime.bigint()
  const value = fn()
  return [value, Number(process.hrtime.bigint() - start) / 1e6]
}

let file = process.argv[2]
let cleanup = () => {}
if (file === undefined) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmap-demo-'))
  file = path.join(dir, 'sample-512MiB.bin')
  const block = Buffer.alloc(8 * MiB)
  for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24
  const fd = fs.openSync(file, 'w')
  for (let at = 0; at < 512 * MiB; at += block.length) fs.writeSync(fd, block, 0, block.length, at)
  fs.closeSync(fd)
  cleanup = () => fs.rmSync(dir, { recursive: true, force: true })
  console.log(`No file given: generated ${file}\n`)
}

const status = ModelData.nativeStatus
console.log(`native binding: ${status.available ? 'loaded' : `unavailable (${status.reason})`}`)

const [model, openMs] = time(() => ModelData.open(file))
console.log(`open:       ${fmt(openMs)}  (${model.backend}, ${(model.byteLength / MiB).toFixed(1)} MiB)`)
if (model.byteLength < 2 ** 31 - 1) {
  const [, readMs] = time(() => fs.readFileSync(file))
  console.log(`readFile:   ${fmt(readMs)}  (${(readMs / openMs).toFixed(0)}× the open time, and a full heap copy)`)
}

const [head, viewMs] = time(() => model.view(0, Math.min(16, model.byteLength)))
console.log(`view(0,16): ${fmt(viewMs)}  ${head.toString('hex')}`)

const before = model.residency()
await model.prefetch({ onProgress: () => {} })
const after = model.residency()
const pct = (r) => (r.residentBytes === null ? 'unknown' : `${((100 * r.residentBytes) / Math.max(1, r.totalBytes)).toFixed(0)}%`)
console.log(`resident:   ${pct(before)} before prefetch, ${pct(after)} after`)

let last = 0
const [sha, shaMs] = await (async () => {
  const start = performance.now()
  const digest = await model.checksum('sha256', {
    onProgress: ({ bytesDone, totalBytes }) => {
      const p = Math.floor((100 * bytesDone) / Math.max(1, totalBytes))
      if (p >= last + 25) process.stdout.write(`            checksum ${(last = p)}%\n`)
    },
  })
  return [digest, performance.now() - start]
})()
console.log(`sha256:     ${sha}  (${((model.byteLength / MiB / shaMs) * 1000).toFixed(0)} MiB/s, off the main thread)`)

model.close()
console.log(`close:      handle closed; a view handed out earlier still reads ${head.length} bytes (the GC releases the mapping)`)
cleanup()
