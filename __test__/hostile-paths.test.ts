/**
 * Hostile paths and names, and careless arguments: each case a defect seen before, with what
 * must happen instead. Anything that could hang or crash runs in a child process with a time
 * limit (a test that waits on a FIFO would hang the suite, not fail it).
 */

import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import test from 'ava'

import { ModelData, openModel, writeGguf } from '..'
import { ggufSet, hubCache, someTensors, tmpDir } from './model-fixtures'
import { collectGarbage, heapForced, liveMappings, patternBytes, settleMappings, tmpPath, writeFixture } from './helpers'

const bin = path.join(__dirname, '..', 'bin', 'modelmap.js')
const root = path.join(__dirname, '..')

/** Runs `args` (a CLI call, or `-e <script>`) in a child with a time limit; never hangs the suite. */
function child(args: string[], timeoutMs = 30_000) {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 256 << 20 })
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, timedOut: r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' }
}

function mkfifo(file: string): boolean {
  return spawnSync('mkfifo', [file]).status === 0
}

const posix = process.platform !== 'win32'

/** Opens and closes a model in its own frame, so nothing of it stays reachable from the caller. */
function tensorCountOf(file: string): number {
  const model = openModel(file)
  const count = model.tensorCount
  model.close()
  return count
}

test('a FIFO named *.index.json: openModel, every CLI command and a hub-cache id answer ERR_MODELMAP_NOT_REGULAR_FILE at once', (t) => {
  if (!posix) return t.pass('no FIFOs on Windows')
  const dir = tmpDir('fifo')
  const fifo = path.join(dir, 'model.safetensors.index.json')
  if (!mkfifo(fifo)) return t.pass('mkfifo is not available here')
  const api = child(['-e', `try { require(${JSON.stringify(root)}).openModel(${JSON.stringify(fifo)}) } catch (e) { console.log(e.code); process.exit(0) } process.exit(1)`])
  t.false(api.timedOut, 'openModel returned (it blocked in open(2) before)')
  t.is(api.stdout.trim(), 'ERR_MODELMAP_NOT_REGULAR_FILE')
  for (const command of [['inspect'], ['verify'], ['warm'], ['residency'], ['residency', '--tensors'], ['tensor']]) {
    const args = command[0] === 'tensor' ? [bin, 'tensor', fifo, 'w'] : [bin, ...command, fifo]
    const r = child(args)
    t.false(r.timedOut, `${command.join(' ')} returned`)
    t.is(r.code, 2, `${command.join(' ')}: ${r.stderr}`)
    t.regex(r.stderr, /ERR_MODELMAP_NOT_REGULAR_FILE: .*is a FIFO/, command.join(' '))
  }
  // The same FIFO reached through a repo id in the hub cache.
  const source = tmpDir('fifo-source')
  fs.writeFileSync(path.join(source, 'README.md'), 'x')
  const cache = hubCache('org/fifo', source)
  const snapshot = path.join(cache, 'models--org--fifo', 'snapshots')
  const commitDir = path.join(snapshot, fs.readdirSync(snapshot)[0]!)
  t.true(mkfifo(path.join(commitDir, 'model.safetensors.index.json')))
  fs.rmSync(path.join(commitDir, 'README.md'))
  for (const [id, code] of [['org/fifo/model.safetensors.index.json', 'ERR_MODELMAP_NOT_REGULAR_FILE'], ['org/fifo', 'ERR_MODELMAP_NO_MODEL']] as const) {
    const hub = child(['-e', `try { require(${JSON.stringify(root)}).openModel('${id}', { cacheDir: ${JSON.stringify(cache)} }) } catch (e) { console.log(e.code); process.exit(0) } process.exit(1)`])
    t.false(hub.timedOut, id)
    t.is(hub.stdout.trim(), code, `${id} (a folder whose only entry is a FIFO holds no model)`)
  }
  // And as a checksum list.
  const model = writeFixture(patternBytes(4096, 3))
  const checksums = path.join(dir, 'SHA256SUMS')
  t.true(mkfifo(checksums))
  const verify = child([bin, 'verify', model, '--checksums', checksums])
  t.false(verify.timedOut)
  t.regex(verify.stderr, /ERR_MODELMAP_NOT_REGULAR_FILE/)
})

test('verify --checksums /dev/zero is refused at once, in bounded memory; an oversized checksum file too', (t) => {
  if (!posix) return t.pass('no /dev/zero on Windows')
  const model = writeFixture(patternBytes(4096, 3))
  const r = child([bin, 'verify', model, '--checksums', '/dev/zero'])
  t.false(r.timedOut)
  t.is(r.signal, null, 'no SIGABRT (it grew to 16.8 GB and aborted before)')
  t.is(r.code, 2)
  t.regex(r.stderr, /ERR_MODELMAP_NOT_REGULAR_FILE: '\/dev\/zero' is a character device/)
  const big = tmpPath('SHA256SUMS')
  fs.writeFileSync(big, '')
  fs.truncateSync(big, 64 << 20)
  const tooBig = child([bin, 'verify', model, '--checksums', big])
  t.is(tooBig.code, 2)
  t.regex(tooBig.stderr, /ERR_INVALID_ARG_VALUE: .*67108864 bytes: a checksum file of more than 16777216 bytes is refused/)
})

test('inspect, inspect --json and residency --tensors work on 140,000 tensors (below the 262,144 limit)', (t) => {
  const file = tmpPath('many.gguf')
  writeGguf(file, { metadata: {}, tensors: Array.from({ length: 140_000 }, (_, i) => ({ name: `t.${i}`, dtype: 'F32', shape: [1], data: 4 })) })
  for (const args of [['inspect', file], ['inspect', file, '--json'], ['residency', file, '--tensors']]) {
    const r = child([bin, ...args], 120_000)
    t.is(r.code, 0, `${args.join(' ')}: ${r.stderr.slice(0, 300)}`)
    t.notRegex(r.stderr, /Maximum call stack/)
  }
})

test('a file truncated between open() and its first view: ERR_MODELMAP_FILE_CHANGED, not SIGBUS, on both backends', (t) => {
  if (!posix) return t.pass('Windows keeps a mapped file from being truncated')
  for (const backend of heapForced ? ['heap'] : ['mmap', 'heap']) {
    const file = writeFixture(patternBytes(1 << 20, 5))
    const script = `
      const fs = require('fs')
      const { ModelData } = require(${JSON.stringify(root)})
      const model = ModelData.open(${JSON.stringify(file)}, { backend: '${backend}' })
      fs.truncateSync(${JSON.stringify(file)}, 4096)
      console.log(model.isStale())
      try { model.view(8192, 16)[0]; console.log('no error') } catch (e) { console.log(e.code, e.byteOffset) }`
    const r = child(['-e', script])
    t.is(r.signal, null, `${backend}: killed by ${r.signal}`)
    const [stale, error] = r.stdout.trim().split('\n')
    t.is(stale, 'true', `${backend}: ${r.stderr}`)
    // mmap names the first byte the file lost; the heap backend, the first byte its read missed.
    t.regex(error ?? '', backend === 'mmap' ? /^ERR_MODELMAP_FILE_CHANGED 4096$/ : /^ERR_MODELMAP_FILE_CHANGED 8192$/, `${backend}: ${r.stderr}`)
  }
})

test('heap backend: every byte reachable through view.buffer is the file\'s or zero', (t) => {
  const bytes = patternBytes(1 << 16, 7)
  const model = ModelData.open(writeFixture(bytes), { backend: 'heap' })
  let exposed = 0
  for (let i = 0; i < 40_000; i++) {
    const offset = (i * 7919) % (bytes.length - 64)
    const view = model.view(offset, 64)
    const whole = new Uint8Array(view.buffer, 0, view.byteOffset)
    for (const b of whole) if (b !== 0) exposed++
  }
  model.close()
  t.is(exposed, 0, 'bytes before a view (its alignment lead) are zero, never left-over heap')
})

test('output into a closed pipe stops quietly, as coreutils do (exit 141, nothing on stderr)', (t) => {
  if (!posix) return t.pass('POSIX pipes')
  const file = tmpPath('pipe.gguf')
  writeGguf(file, { metadata: {}, tensors: Array.from({ length: 20_000 }, (_, i) => ({ name: `t.${i}`, dtype: 'F32', shape: [1], data: 4 })) })
  const r = spawnSync('bash', ['-c', `"${process.execPath}" "${bin}" inspect "${file}" | head -1; echo "status \${PIPESTATUS[0]}" >&2`], { encoding: 'utf8', timeout: 60_000 })
  t.is(r.stdout.trim(), file)
  t.is(r.stderr.trim(), 'status 141', 'no EPIPE stack trace')
})

test('shard names that name no shard are typed errors, never another file than the one named', (t) => {
  const dir = tmpDir('names')
  const zero = path.join(dir, 'a-00001-of-00000.gguf')
  fs.writeFileSync(zero, 'GGUF')
  const only = path.join(tmpDir('names-source'), 'c.gguf')
  writeGguf(only, { metadata: {}, tensors: someTensors(2) })
  const third = path.join(dir, 'c-00003-of-00001.gguf')
  fs.copyFileSync(only, path.join(dir, 'c-00001-of-00001.gguf'))
  fs.copyFileSync(only, third)
  for (const name of [zero, third]) {
    t.throws(() => openModel(name), { code: 'ERR_MODELMAP_INCONSISTENT_MODEL', message: /no set has/ })
    const r = child([bin, 'inspect', name])
    t.is(r.code, 2)
    t.regex(r.stderr, /ERR_MODELMAP_INCONSISTENT_MODEL/)
  }
})

test('verify, warm and residency apply limits.maxShards as openModel does', (t) => {
  const dir = tmpDir('many-shards')
  const weightMap = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`w${i}`, `model-${String(i + 1).padStart(5, '0')}-of-05000.safetensors`]))
  const index = path.join(dir, 'model.safetensors.index.json')
  fs.writeFileSync(index, JSON.stringify({ metadata: {}, weight_map: weightMap }))
  t.throws(() => openModel(index), { code: 'ERR_MODELMAP_LIMIT_EXCEEDED' })
  for (const command of ['verify', 'warm', 'residency']) {
    const r = child([bin, command, index])
    t.is(r.code, 2, command)
    t.regex(r.stderr, /ERR_MODELMAP_LIMIT_EXCEEDED: .*5000 files, over the limit of 4096 \(limits\.maxShards\)/, command)
  }
})

test('openModel checks its arguments before any I/O, with Node codes', (t) => {
  const nowhere = path.join(tmpDir('args'), 'no-such-cache')
  t.throws(() => openModel('org/name', { revision: 5 as unknown as string, cacheDir: nowhere }), { code: 'ERR_INVALID_ARG_TYPE', message: /"revision" option must be a non-empty string/ })
  t.throws(() => openModel('org/name', { cacheDir: 7 as unknown as string }), { code: 'ERR_INVALID_ARG_TYPE' })
  t.throws(() => openModel('org/name', { backend: 'gpu' as 'heap', cacheDir: nowhere }), { code: 'ERR_INVALID_ARG_VALUE' })
  t.throws(() => openModel('org/name', { limits: { maxShards: -1 }, cacheDir: nowhere }), { code: 'ERR_OUT_OF_RANGE' })
  t.throws(() => openModel(5 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' })
  t.false(fs.existsSync(nowhere))
})

test('a hub-cache ref that is not a commit hash (../../elsewhere, a FIFO) is ERR_MODELMAP_NO_MODEL naming the ref', (t) => {
  const source = tmpDir('refs-source')
  writeGguf(path.join(source, 'model.gguf'), { metadata: {}, tensors: someTensors(2) })
  const cache = hubCache('org/refs', source)
  const ref = path.join(cache, 'models--org--refs', 'refs', 'evil')
  fs.writeFileSync(ref, '../../elsewhere')
  t.throws(() => openModel('org/refs', { cacheDir: cache, revision: 'evil' }), { code: 'ERR_MODELMAP_NO_MODEL', message: /refs[\\/]evil' holds "\.\.\/\.\.\/elsewhere", not a 40-hex commit hash/ })
  if (posix && mkfifo(path.join(cache, 'models--org--refs', 'refs', 'pipe'))) {
    const r = child(['-e', `try { require(${JSON.stringify(root)}).openModel('org/refs', { cacheDir: ${JSON.stringify(cache)}, revision: 'pipe' }) } catch (e) { console.log(e.code); process.exit(0) } process.exit(1)`])
    t.false(r.timedOut)
    t.is(r.stdout.trim(), 'ERR_MODELMAP_NO_MODEL')
  }
})

test('a split set mixing shards of two writes (a rewrite stopped midway) is refused', async (t) => {
  const live = liveMappings()
  const tensors = someTensors(6)
  const dir = tmpDir('mixed')
  const first = ggufSet(tensors, { maxTensors: 2 }, 'm.gguf', dir)
  const other = ggufSet(tensors, { maxTensors: 2 }, 'm.gguf', tmpDir('mixed-2'))
  t.is(tensorCountOf(first[0]!), 6)
  // Windows refuses to replace a file while a mapping of it lives: let the GC end the views the
  // first open made before rewriting a shard (elsewhere this changes nothing).
  await collectGarbage()
  await settleMappings(live)
  fs.copyFileSync(other[1]!, first[1]!)
  t.throws(() => openModel(first[0]!), { code: 'ERR_MODELMAP_INCONSISTENT_MODEL', message: /written by another run than shard 1/ })
})
