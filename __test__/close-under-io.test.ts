/**
 * close() while Node's own asynchronous consumers still read a view (DESIGN.md, "Views never
 * dangle"). Each scenario runs in a child process, so a use-after-free abort or a segfault fails
 * one test instead of the suite: the consumer must deliver exactly the file's bytes.
 */

import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as path from 'node:path'

import test from 'ava'

import { guardUnchanged, patternBytes, tmpPath, writeFixture } from './helpers'

const bytes = patternBytes(16 << 20, 41)
const sha = createHash('sha256').update(bytes).digest('hex')
const other = writeFixture(patternBytes(16 << 20, 42), 'other.bin')
const script = path.join(__dirname, 'children', 'close-under-io.cjs')
const nodeMajor = Number(process.versions.node.split('.')[0])

function runScenario(scenario: string, env: NodeJS.ProcessEnv = process.env): { status: number | null; signal: string | null; result: Record<string, unknown>; stderr: string } {
  const file = writeFixture(bytes)
  const child = spawnSync(process.execPath, ['--expose-gc', script, scenario, file, other, tmpPath('out.bin')], {
    encoding: 'utf8',
    env,
    timeout: 120_000,
  })
  const line = child.stdout.trim().split('\n').at(-1) ?? '{}'
  let result: Record<string, unknown>
  try {
    result = JSON.parse(line) as Record<string, unknown>
  } catch {
    result = { unparsed: child.stdout }
  }
  return { status: child.status, signal: child.signal, result, stderr: child.stderr }
}

for (const scenario of ['pipe', 'socket', 'zlib', 'fs-write', 'stream']) {
  test(`${scenario}: close() while a write of a view is pending delivers exactly the file's bytes`, (t) => {
    const r = runScenario(scenario)
    t.is(r.signal, null, `child killed by ${r.signal}: ${r.stderr}`)
    t.is(r.status, 0, `${JSON.stringify(r.result)} ${r.stderr}`)
    t.is(r.result.got, sha, JSON.stringify(r.result))
    if ('write' in r.result) t.is(r.result.write, 'ok')
  })
}

test('ArrayBuffer.prototype.transfer.call(view.buffer): the moved backing store keeps the bytes after close() + GC, and a write into it is harmless (Node 22+)', (t) => {
  if (nodeMajor < 22) {
    t.pass(`Node ${process.version} has no ArrayBuffer.prototype.transfer; the suite runs on 22 and 24 too`)
    return
  }
  const file = writeFixture(bytes)
  guardUnchanged(t, file)
  const r = runScenario('transfer', { ...process.env, MODELMAP_VIEW_BUFFER: 'arraybuffer' })
  t.is(r.signal, null, `child killed by ${r.signal}: ${r.stderr}`)
  t.is(r.status, 0, `${JSON.stringify(r.result)} ${r.stderr}`)
  t.is(r.result.got, sha)
})
