import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import test from 'ava'

import { ModelData } from '..'
import { collectGarbage, heapForced, patternBytes, tmpPath, writeFixture } from './helpers'

const bytes = patternBytes(1 << 20, 21)

test('truncation while mapped: isStale() is true before touching; touching anyway is SIGBUS (child process)', (t) => {
  const file = writeFixture(bytes)
  const child = spawnSync(process.execPath, [path.join(__dirname, 'children', 'touch-truncated.cjs'), file, '4096'], {
    encoding: 'utf8',
    env: process.env,
  })
  const lines = child.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
  if (process.platform === 'win32' && lines[0]?.backend === 'mmap') {
    t.truthy(lines[0]?.truncateRefused, 'Windows refuses to truncate a mapped file')
    t.is(lines[0]?.stale, false, 'and so nothing changed')
    return
  }
  t.is(lines[0]?.stale, true, child.stderr)
  if (heapForced || lines[0]?.backend === 'heap') {
    // The heap backend read nothing lazily here: the whole-file view was read at view() time.
    t.is(child.status, 0, child.stderr)
    t.is(lines[1]?.survived, true)
  } else {
    t.is(child.signal, 'SIGBUS', `child exited with ${child.status} ${child.signal}: ${child.stderr}`)
    t.is(lines.length, 1, 'the child died at the touch')
  }
})

test('file replaced by rename: the old mapping keeps the old bytes, isStale() is true', (t) => {
  const file = writeFixture(bytes)
  const model = ModelData.open(file)
  const view = model.view(0, 4096)
  const replacement = tmpPath('replacement.bin')
  fs.writeFileSync(replacement, patternBytes(bytes.length, 99))
  if (process.platform === 'win32' && model.isMmap) {
    t.throws(() => fs.renameSync(replacement, file), { code: 'EPERM' }, 'Windows: a mapped file cannot be replaced')
    t.false(model.isStale())
    t.true(view.equals(bytes.subarray(0, 4096)))
    model.close()
    return
  }
  fs.renameSync(replacement, file)
  t.true(model.isStale())
  t.true(view.equals(bytes.subarray(0, 4096)))
  t.true(model.view(4096, 4096).equals(bytes.subarray(4096, 8192)))
  model.close()
})

/** Opens, views, closes, in its own frame: afterwards nothing reachable holds the mapping. */
function viewAndClose(file: string): number {
  const model = ModelData.open(file)
  const n = model.view().length
  model.close()
  return n
}

test('file deleted: the mapping stays readable on POSIX, isStale() is true; Windows: deletable once the views are collected', async (t) => {
  const file = writeFixture(bytes)
  if (process.platform === 'win32') {
    const model = ModelData.open(file)
    const view = model.view()
    // The heap backend holds only a descriptor (Node opens with FILE_SHARE_DELETE): nothing to keep.
    if (!heapForced) t.throws(() => fs.rmSync(file), undefined, 'Windows keeps a mapped file from being deleted')
    model.close()
    if (!heapForced) t.throws(() => fs.rmSync(file), undefined, 'still mapped while a view is alive, after close() too')
    t.true(view.equals(bytes))
    const other = writeFixture(bytes)
    t.is(viewAndClose(other), bytes.length)
    await collectGarbage()
    t.notThrows(() => fs.rmSync(other), 'the last view collected, the file is released')
    return
  }
  const model = ModelData.open(file)
  const view = model.view()
  fs.rmSync(file)
  t.true(model.isStale())
  t.true(view.equals(bytes))
  model.close()
})

test('rewritten in place with the mtime restored (touch -r): isStale() is true', (t) => {
  const file = writeFixture(bytes)
  // A whole-second mtime, so restoring it is exact to the nanosecond.
  const stamp = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000)
  fs.utimesSync(file, stamp, stamp)
  const before = fs.statSync(file, { bigint: true })
  const model = ModelData.open(file)
  const changed = Buffer.from(bytes)
  changed[0] = changed[0]! ^ 1
  if (process.platform === 'win32' && model.isMmap) {
    t.throws(() => fs.writeFileSync(file, changed), undefined, 'Windows: a mapped file cannot be rewritten (truncated) in place')
    model.close()
    return
  }
  fs.writeFileSync(file, changed)
  fs.utimesSync(file, stamp, stamp)
  const after = fs.statSync(file, { bigint: true })
  t.is(after.mtimeNs, before.mtimeNs, 'mtime restored exactly')
  t.is(after.size, before.size)
  t.is(model.isStale(), process.platform !== 'win32', 'ctime moved (Windows: not exposed, documented)')
  model.close()
})

test('file grown: views of the old length stay fine, isStale() is true', (t) => {
  const file = writeFixture(bytes)
  const model = ModelData.open(file)
  fs.appendFileSync(file, Buffer.alloc(8192, 1))
  t.true(model.isStale())
  t.is(model.byteLength, bytes.length)
  t.true(model.view(bytes.length - 100).equals(bytes.subarray(bytes.length - 100)))
  model.close()
})

test('permission changes after open: the open model keeps reading; isStale() errs on the side of stale (ctime moved)', (t) => {
  const file = writeFixture(bytes)
  const model = ModelData.open(file)
  t.false(model.isStale())
  fs.chmodSync(file, 0o000)
  try {
    t.true(model.view(1000, 1000).equals(bytes.subarray(1000, 2000)))
    // ctime is in the identity so that a rewrite with its mtime restored is caught; chmod moves
    // ctime too, and isStale() cannot tell the two apart (README: verify with checksum()).
    t.is(model.isStale(), process.platform !== 'win32')
  } finally {
    fs.chmodSync(file, 0o644)
    model.close()
  }
})
