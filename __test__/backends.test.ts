import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as path from 'node:path'
import * as zlib from 'node:zlib'

import test from 'ava'

import { ModelData, ModelDataError } from '..'
import { guardUnchanged, heapForced, patternBytes, writeFixture } from './helpers'

const bytes = patternBytes(3 << 20, 17)
const file = writeFixture(bytes)
const sha = createHash('sha256').update(bytes).digest('hex')
const distEntry = path.join(__dirname, '..', 'dist', 'index.js')

/** Runs a snippet in a fresh Node with `env` added; returns its JSON output. */
function inChild(env: Record<string, string>, code: string): Record<string, unknown> {
  const child = spawnSync(process.execPath, ['-e', `const m = require(${JSON.stringify(distEntry)}); ${code}`], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  })
  if (child.status !== 0) throw new Error(`child failed (${child.status}): ${child.stderr}`)
  return JSON.parse(child.stdout) as Record<string, unknown>
}

test("backend: 'heap' serves the same bytes with the same API; views outlive close()", async (t) => {
  guardUnchanged(t, file)
  const model = ModelData.open(file, { backend: 'heap' })
  t.is(model.backend, 'heap')
  t.false(model.isMmap)
  t.is(model.byteLength, bytes.length)
  const view = model.view(100, 5000)
  t.true(view.equals(bytes.subarray(100, 5100)))
  t.deepEqual(model.residency(0, 10), { residentBytes: 10, totalBytes: 10 })
  model.advise('willneed')
  await model.prefetch()
  t.is(await model.checksum(), sha)
  model.close()
  t.true(view.equals(bytes.subarray(100, 5100)))
  t.throws(() => model.view(), { code: 'ERR_MODELMAP_CLOSED' })
})

test('MODELMAP_BACKEND=heap forces the heap backend', (t) => {
  const out = inChild({ MODELMAP_BACKEND: 'heap' }, `const d = m.ModelData.open(${JSON.stringify(file)}); console.log(JSON.stringify({ backend: d.backend }))`)
  t.is(out.backend, 'heap')
})

test('without a loadable native binary, nativeStatus says why and open falls back to heap', (t) => {
  const out = inChild(
    { NAPI_RS_NATIVE_LIBRARY_PATH: path.join(__dirname, 'no-such-binding.node'), MODELMAP_BACKEND: '' },
    `const s = m.ModelData.nativeStatus; const d = m.ModelData.open(${JSON.stringify(file)});
     let mmapError; try { m.ModelData.open(${JSON.stringify(file)}, { backend: 'mmap' }) } catch (e) { mmapError = e.code }
     console.log(JSON.stringify({ s, backend: d.backend, head: d.view(0, 4).toString('hex'), mmapError }))`,
  )
  const status = out.s as { available: boolean; reason?: string }
  t.false(status.available)
  t.regex(status.reason ?? '', /native binding failed to load/)
  t.is(out.backend, 'heap')
  t.is(out.head, bytes.subarray(0, 4).toString('hex'))
  t.is(out.mmapError, 'ERR_MODELMAP_NATIVE_UNAVAILABLE')
})

test('.gz files are decompressed into memory and served by the heap backend', async (t) => {
  const gz = writeFixture(zlib.gzipSync(bytes), 'model.bin.gz')
  guardUnchanged(t, gz)
  const model = ModelData.open(gz)
  t.is(model.backend, 'heap')
  t.is(model.path, gz)
  t.is(model.byteLength, bytes.length)
  const view = model.view(1 << 20, 4096)
  t.true(view.equals(bytes.subarray(1 << 20, (1 << 20) + 4096)))
  t.is(await model.checksum(), sha)
  t.false(model.isStale())
  model.close()
  t.true(view.equals(bytes.subarray(1 << 20, (1 << 20) + 4096)), 'views of decompressed bytes outlive close()')

  const raw = ModelData.open(gz, { decompress: false })
  t.is(raw.view(0, 2).toString('hex'), '1f8b', 'decompress: false maps the compressed bytes')
  raw.close()
  t.throws(() => ModelData.open(gz, { backend: 'mmap' }), { instanceOf: ModelDataError, code: 'ERR_MODELMAP_UNSUPPORTED' })
})

test('a gzip bomb stops at maxDecompressedBytes with a typed error', (t) => {
  const bomb = writeFixture(zlib.gzipSync(Buffer.alloc(64 << 20)), 'bomb.gz')
  t.true(require('node:fs').statSync(bomb).size < 200_000)
  const err = t.throws(() => ModelData.open(bomb, { maxDecompressedBytes: 1 << 20 }), { instanceOf: ModelDataError })
  t.is(err?.code, 'ERR_MODELMAP_DECOMPRESSED_TOO_LARGE')
  t.is(err?.path, bomb)
})

test('corrupt or mislabelled compressed files are ERR_MODELMAP_INVALID_COMPRESSED_DATA', (t) => {
  const notGzip = writeFixture(bytes.subarray(0, 1000), 'plain.gz')
  t.throws(() => ModelData.open(notGzip), { code: 'ERR_MODELMAP_INVALID_COMPRESSED_DATA' })
  const gz = zlib.gzipSync(bytes.subarray(0, 100_000))
  const truncated = writeFixture(gz.subarray(0, gz.length >> 1), 'truncated.gz')
  t.throws(() => ModelData.open(truncated), { code: 'ERR_MODELMAP_INVALID_COMPRESSED_DATA' })
})

test('.zst: decompressed where node:zlib has zstd, else ERR_MODELMAP_UNSUPPORTED_COMPRESSION', (t) => {
  const compress = (zlib as unknown as { zstdCompressSync?: (b: Uint8Array) => Buffer }).zstdCompressSync
  if (compress === undefined) {
    const zst = writeFixture(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]), 'model.zst')
    const err = t.throws(() => ModelData.open(zst), { instanceOf: ModelDataError })
    t.is(err?.code, 'ERR_MODELMAP_UNSUPPORTED_COMPRESSION')
    t.regex(err!.message, /zstd/)
    return
  }
  const zst = writeFixture(compress(bytes), 'model.bin.zst')
  const model = ModelData.open(zst)
  t.is(model.backend, 'heap')
  t.true(model.view().equals(bytes))
  model.close()
})

test('the heap-forced suite really runs on the heap backend', (t) => {
  t.is(ModelData.open(file).backend, heapForced ? 'heap' : 'mmap')
})
