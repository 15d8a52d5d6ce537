/** Fixtures for the ava suites: files in a private temp dir, hashed before and after use. */

import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

import type { ExecutionContext } from 'ava'

export const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmap-test-'))
process.on('exit', () => {
  try {
    fs.rmSync(tmpRoot, { recursive: true, force: true })
  } catch {
    // Windows: a file stays undeletable while a view of it is alive, and at exit the last views
    // may not have been collected. The OS temp dir is cleaned by the OS.
  }
})

let counter = 0
export function tmpPath(name = 'model.bin'): string {
  counter += 1
  return path.join(tmpRoot, `${counter}-${name}`)
}

export { patternBytes } from '../scripts/pattern-bytes'

export function writeFixture(bytes: Uint8Array, name?: string): string {
  const file = tmpPath(name)
  fs.writeFileSync(file, bytes)
  return file
}

export function sha256File(file: string): string {
  const hash = createHash('sha256')
  const fd = fs.openSync(file, 'r')
  try {
    const buf = Buffer.allocUnsafe(8 << 20)
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      hash.update(buf.subarray(0, n))
    }
  } finally {
    fs.closeSync(fd)
  }
  return hash.digest('hex')
}

/**
 * Registers `file` so the test fails unless it is byte-identical (and has the same size and
 * mtime) when the test ends: nothing modelmap does may write to the user's file.
 */
export function guardUnchanged(t: ExecutionContext, file: string): void {
  const before = { hash: sha256File(file), stat: fs.statSync(file) }
  t.teardown(() => {
    if (!fs.existsSync(file)) return
    const after = fs.statSync(file)
    if (after.size !== before.stat.size || after.mtimeMs !== before.stat.mtimeMs || sha256File(file) !== before.hash) {
      throw new Error(`${file} was modified by the test`)
    }
  })
}

/** A sparse file of `size` bytes with the given bytes written at the given offsets. */
export function sparseFile(size: number, markers: Array<[number, Uint8Array]>): string {
  const file = tmpPath('sparse.bin')
  const fd = fs.openSync(file, 'w')
  try {
    fs.ftruncateSync(fd, size)
    for (const [offset, bytes] of markers) fs.writeSync(fd, bytes, 0, bytes.length, offset)
  } finally {
    fs.closeSync(fd)
  }
  return file
}

export function rssBytes(): number {
  return process.memoryUsage.rss()
}

/** Lines of /proc/self/maps that map `file` (Linux only). */
export function mappingsOf(file: string): string[] {
  const real = fs.realpathSync(file)
  return fs
    .readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => line.endsWith(` ${real}`) || line.endsWith(` ${real} (deleted)`))
}

/** Runs full GCs and lets finalizers (which napi runs at the next immediate) complete. */
export async function collectGarbage(rounds = 4): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('run with --expose-gc')
  for (let i = 0; i < rounds; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/**
 * The mappings of `file` once nothing holds them: the last share of a mapping is unmapped on a
 * background thread (src/reaper.rs), so after the GC let go of it this polls for the unmapping
 * (up to 10 s: an end state waited for, not a duration asserted) and returns what is left.
 */
export async function mappingsOnceReleased(file: string): Promise<string[]> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const left = mappingsOf(file)
    if (left.length === 0 || Date.now() > deadline) return left
    await collectGarbage(1)
  }
}

/**
 * This process's live file mappings as the native binding counts them (every OS), or undefined
 * on the heap backend; `settleMappings` waits until that count is back to `baseline`.
 */
export function liveMappings(): number | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { binding } = (require('../dist/native.js') as typeof import('../ts/native')).nativeBinding()
  return binding?.liveMappings()
}

export async function settleMappings(baseline: number | undefined): Promise<number | undefined> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const now = liveMappings()
    if (now === undefined || baseline === undefined || now <= baseline || Date.now() > deadline) return now
    await collectGarbage(1)
  }
}

export const isLinux = process.platform === 'linux'
export const heapForced = process.env.MODELMAP_BACKEND === 'heap'

// The cross-target runs (scripts/xplat.sh) set this: a binary that fails to load must fail the
// run, not quietly test the heap fallback.
if (process.env.MODELMAP_REQUIRE_NATIVE === '1' && !heapForced) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const status = (require('..') as typeof import('..')).ModelData.nativeStatus
  if (!status.available) throw new Error(`MODELMAP_REQUIRE_NATIVE=1 but the native binding did not load: ${status.reason}`)
}
