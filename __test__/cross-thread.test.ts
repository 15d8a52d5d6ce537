/**
 * A view's memory that reached another thread stays mapped until the last holder in any thread is
 * collected; a worker's exit never unmaps memory reachable elsewhere (DESIGN.md, "Threads").
 * Each case runs in a child process (a use-after-unmap is a SIGSEGV or another file's bytes):
 * a worker opens the file, hands a view's memory to the main thread and exits or is terminated;
 * the main thread collects garbage, maps and reads other files, then hashes what it received.
 * Before the fix, the `bypass` cases died with SIGSEGV or read another file's bytes.
 */

import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as path from 'node:path'

import test from 'ava'

import { ModelData } from '..'
import { guardUnchanged, heapForced, patternBytes, writeFixture } from './helpers'

const bytes = patternBytes(8 << 20, 51)
const expected = createHash('sha256').update(bytes.subarray(1 << 20, 3 << 20)).digest('hex')
const other = writeFixture(patternBytes(8 << 20, 52), 'other.bin')
const script = path.join(__dirname, 'children', 'cross-thread.cjs')
const shared = ModelData.nativeStatus.viewBuffer === 'shared'
const canTransfer = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function'

const cases: Array<{ how: string; viewBuffer: string; runs: boolean; why: string }> = [
  { how: 'share', viewBuffer: 'shared', runs: shared, why: 'no SharedArrayBuffer over external memory in this runtime' },
  { how: 'bypass', viewBuffer: 'arraybuffer', runs: canTransfer, why: 'no ArrayBuffer.prototype.transfer in this runtime' },
  { how: 'copy', viewBuffer: 'arraybuffer', runs: true, why: '' },
]

for (const { how, viewBuffer, runs, why } of cases) {
  for (const ending of ['exit', 'terminate']) {
    test(`${how} (${viewBuffer} views), worker ${ending}s: the main thread reads the file's bytes after GC and other mappings`, (t) => {
      if (heapForced || !runs) {
        t.log(heapForced ? 'heap backend: views are heap memory' : `${process.version}: ${why}`)
        return t.pass()
      }
      const file = writeFixture(bytes)
      guardUnchanged(t, file)
      const child = spawnSync(process.execPath, ['--expose-gc', script, how, ending, viewBuffer, file, other], { encoding: 'utf8', timeout: 120_000 })
      t.is(child.signal, null, `child killed by ${child.signal}: ${child.stderr}`)
      t.is(child.status, 0, `${child.stdout} ${child.stderr}`)
      const result = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>
      t.is(result.got, expected, JSON.stringify(result))
      t.is(result.kind, viewBuffer)
      t.is(result.shared, how === 'share', 'a shared view arrives as shared memory; anything else as an ArrayBuffer')
      if (how === 'share') t.is(result.siblingLength, 16, 'sharing leaves the sibling view intact')
    })
  }
}
