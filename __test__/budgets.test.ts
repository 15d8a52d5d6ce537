/**
 * Hostile files cost bounded memory and time (DESIGN.md). Each input is parsed in a child process
 * whose peak RSS above its own baseline is measured: within the limits, at most 8× the header
 * bytes plus 64 MiB; past a limit, a typed ERR_MODELMAP_LIMIT_EXCEEDED. Then every limit just
 * under (parses) and just over (the typed error naming it).
 */

import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import test from 'ava'

import { GGUF_LIMITS, GGUFValueType as T, ModelData, ModelDataError, openGguf, openSafetensors, SAFETENSORS_LIMITS, gguf, writeGguf } from '..'
import { ggufEmptyTensors, ggufManyKeys, gzipOfZeros, safetensorsMetadataKeys, safetensorsNested } from '../fixtures/hostile-inputs'
import { sparseFile, tmpPath } from './helpers'

const MiB = 1 << 20
const script = path.join(__dirname, '..', 'fixtures', 'children', 'parse-peak.cjs')

interface Peak {
  outcome: 'ok' | 'error'
  code?: string
  message?: string
  tensors?: number
  keys?: number
  ms: number
  peakBytes: number
}

function peak(call: string, file: string, options: Record<string, unknown> = {}): Peak {
  const r = spawnSync(process.execPath, [script, call, file, JSON.stringify(options)], { encoding: 'utf8', env: process.env, timeout: 120_000 })
  if (r.status !== 0) throw new Error(`child failed: ${r.status} ${r.signal} ${r.stderr}`)
  return JSON.parse(r.stdout) as Peak
}

const budget = (headerBytes: number) => 8 * headerBytes + 64 * MiB
const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`

const rows: Array<{ name: string; call: string; make: (file: string) => number; options?: Record<string, unknown>; expect: 'ok' | string }> = [
  { name: 'safetensors header of 4M nested [ (8 MB)', call: 'openSafetensors.tensors', make: (f) => safetensorsNested(f, 4_000_000), expect: 'ERR_MODELMAP_LIMIT_EXCEEDED' },
  { name: 'safetensors, 600k __metadata__ keys', call: 'openSafetensors.tensors', make: (f) => safetensorsMetadataKeys(f, 600_000), expect: 'ERR_MODELMAP_LIMIT_EXCEEDED' },
  { name: 'safetensors, 60k __metadata__ keys (within the limit)', call: 'openSafetensors.tensors', make: (f) => safetensorsMetadataKeys(f, 60_000), expect: 'ok' },
  { name: 'GGUF, 300k empty tensors', call: 'openGguf.tensors', make: (f) => ggufEmptyTensors(f, 300_000), expect: 'ERR_MODELMAP_LIMIT_EXCEEDED' },
  { name: 'GGUF, 200k empty tensors (within the limit)', call: 'openGguf.tensors', make: (f) => ggufEmptyTensors(f, 200_000), expect: 'ok' },
  { name: 'GGUF, 100k metadata keys, gguf()', call: 'gguf', make: (f) => ggufManyKeys(f, 100_000), expect: 'ERR_MODELMAP_LIMIT_EXCEEDED' },
  { name: 'GGUF, 60k metadata keys, gguf() (within the limit)', call: 'gguf', make: (f) => ggufManyKeys(f, 60_000), expect: 'ok' },
]

for (const row of rows) {
  test(`budget: ${row.name} → ${row.expect}, peak RSS ≤ 8× header + 64 MiB`, (t) => {
    const file = tmpPath(row.call.startsWith('openSafetensors') ? 'h.safetensors' : 'h.gguf')
    const size = row.make(file)
    const p = peak(row.call, file, row.options)
    t.log(`${mib(size)} file: ${p.outcome === 'ok' ? 'parsed' : p.code}, peak RSS +${mib(p.peakBytes)} (${(p.peakBytes / size).toFixed(1)}× the file), ${p.ms.toFixed(0)} ms`)
    if (row.expect === 'ok') t.is(p.outcome, 'ok', p.message)
    else t.is(p.code, row.expect, p.message)
    t.true(p.peakBytes <= budget(size), `peak ${mib(p.peakBytes)} over ${mib(budget(size))}`)
  })
}

test('budget: a 1 MB .gz of 1 GiB of zeros stops at the ratio cap (100× the input), same on every Node', (t) => {
  const file = tmpPath('bomb.gguf.gz')
  const size = gzipOfZeros(file, 1024)
  const p = peak('open', file)
  t.log(`${mib(size)} .gz: ${p.code}, peak RSS +${mib(p.peakBytes)}, ${p.ms.toFixed(0)} ms`)
  t.is(p.code, 'ERR_MODELMAP_DECOMPRESSED_TOO_LARGE', p.message)
  t.regex(p.message ?? '', /maxDecompressionRatio/)
  t.true(p.peakBytes <= 100 * size + 64 * MiB + 64 * MiB, `peak ${mib(p.peakBytes)}`)
  const raised = peak('open', file, { maxDecompressionRatio: 2000 })
  t.is(raised.outcome, 'ok', raised.message)
  const absolute = peak('open', file, { maxDecompressionRatio: 2000, maxDecompressedBytes: 512 * MiB })
  t.regex(absolute.message ?? '', /maxDecompressedBytes \(536870912 bytes\)/)
})

test('budget: a 1 GiB sparse file named .gz that is not gzip is refused from its magic, nothing read', (t) => {
  const file = sparseFile(1 << 30, [])
  const named = `${file}.gguf.gz`
  fs.renameSync(file, named)
  const p = peak('open', named)
  t.is(p.code, 'ERR_MODELMAP_INVALID_COMPRESSED_DATA', p.message)
  t.true(p.peakBytes < 16 * MiB, `peak ${mib(p.peakBytes)}`)
})

// ---- every limit just under and just over -------------------------------------------------

function overLimit(t: import('ava').ExecutionContext, fn: () => unknown, limit: string): void {
  const err = t.throws(fn, { instanceOf: ModelDataError }, `${limit} just over`)
  t.is(err?.code, 'ERR_MODELMAP_LIMIT_EXCEEDED')
  t.true(err?.message.includes(`limits.${limit}`), err?.message)
  t.is(typeof err?.byteOffset, 'number')
}

function smallGguf(): { file: string; headerBytes: number } {
  const file = tmpPath('limits.gguf')
  writeGguf(file, {
    metadata: {
      'general.architecture': { type: T.STRING, value: 'a'.repeat(100) },
      'x.ints': { type: T.ARRAY, subType: T.INT32, value: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
      'x.u8': { type: T.UINT8, value: 1 },
    },
    tensors: ['t0', 't1', 't2'].map((name) => ({ name, dtype: 'F32', shape: [4], data: new Uint8Array(16) })),
  })
  const parsed = openGguf(file)
  const headerBytes = Number(parsed.tensorDataOffset)
  parsed.close()
  return { file, headerBytes }
}

test('GGUF limits: each just under parses, just over is ERR_MODELMAP_LIMIT_EXCEEDED naming it', async (t) => {
  const { file } = smallGguf()
  // The header ends where the tensor infos end (tensorInfoByteRange[1]).
  const infoEnd = ((await gguf(file, { allowLocalFile: true })).tensorInfoByteRange as [number, number])[1]
  const cases: Array<[keyof typeof GGUF_LIMITS, number]> = [
    ['maxTensors', 3],
    ['maxMetadataEntries', 3],
    ['maxHeaderBytes', infoEnd],
    ['maxArrayElements', 10],
    ['maxStringBytes', 100],
  ]
  for (const [limit, exact] of cases) {
    t.notThrows(() => openGguf(file, { limits: { [limit]: exact } }).close(), `${limit} = ${exact}`)
    overLimit(t, () => openGguf(file, { limits: { [limit]: exact - 1 } }), limit)
  }
  // The same limits hold for the drop-in.
  await t.throwsAsync(gguf(file, { allowLocalFile: true, limits: { maxTensors: 2 } }), { code: 'ERR_MODELMAP_LIMIT_EXCEEDED' })
  // A lazily decoded array is checked when it is decoded.
  const lazy = openGguf(file, { lazyArraysOver: 4, limits: { maxArrayElements: 9 } })
  overLimit(t, () => lazy.metadata['x.ints'], 'maxArrayElements')
  lazy.close()
  t.throws(() => openGguf(file, { limits: { maxTensor: 1 } as never }), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' })
  t.throws(() => openGguf(file, { limits: { maxTensors: -1 } }), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' })
})

test('safetensors limits: each just under parses (or fails on its own merits), just over is the limit error', (t) => {
  const header = { __metadata__: { a: 'x'.repeat(100), b: 'y', c: 'z' }, t0: { dtype: 'U8', shape: [1, 1, 2], data_offsets: [0, 2] }, t1: { dtype: 'U8', shape: [2], data_offsets: [2, 4] } }
  const json = Buffer.from(JSON.stringify(header))
  const bytes = Buffer.alloc(8 + json.length + 4)
  bytes.writeBigUInt64LE(BigInt(json.length))
  json.copy(bytes, 8)
  const open = (limits: Record<string, number>) => openSafetensors(ModelData.fromBuffer(bytes), { limits })
  const cases: Array<[keyof typeof SAFETENSORS_LIMITS, number]> = [
    ['maxTensors', 2],
    ['maxMetadataEntries', 3],
    ['maxHeaderBytes', json.length],
    ['maxDepth', 3],
    ['maxArrayElements', 3 + 2 + 1 + 2],
    ['maxStringBytes', 100],
  ]
  for (const [limit, exact] of cases) {
    t.notThrows(() => open({ [limit]: exact }), `${limit} = ${exact}`)
    overLimit(t, () => open({ [limit]: exact - 1 }), limit)
  }
})

test('the default limits are documented and admit real models with a wide margin', (t) => {
  t.deepEqual(GGUF_LIMITS, { maxTensors: 262_144, maxMetadataEntries: 65_536, maxHeaderBytes: 512 * MiB, maxDepth: 4, maxArrayElements: 16_777_216, maxStringBytes: 64 * MiB, maxShards: 4096 })
  t.is(SAFETENSORS_LIMITS.maxHeaderBytes, 100_000_000)
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8')
  for (const name of Object.keys(GGUF_LIMITS)) t.true(readme.includes(name), `README documents ${name}`)
})
