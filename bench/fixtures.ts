/** Benchmark input files, made on demand in a temp dir and removed at exit. */

import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

export const benchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmap-bench-'))
process.on('exit', () => fs.rmSync(benchDir, { recursive: true, force: true }))

/** A file of `size` bytes: `dense` bytes of real data at the start, the rest sparse. */
export function makeFile(name: string, size: number, dense = Math.min(size, 1 << 20)): string {
  const file = path.join(benchDir, name)
  const fd = fs.openSync(file, 'w')
  try {
    const block = Buffer.alloc(Math.min(dense, 8 << 20))
    for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24
    for (let at = 0; at < dense; at += block.length) fs.writeSync(fd, block, 0, Math.min(block.length, dense - at), at)
    fs.ftruncateSync(fd, size)
  } finally {
    fs.closeSync(fd)
  }
  return file
}
