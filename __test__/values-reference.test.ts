/**
 * Tensor values against llama.cpp's gguf-py 0.19 (and numpy / ml_dtypes for element types), as
 * python/value_references.py writes them: random blocks of every type (NaN, infinite and
 * subnormal scales included), hand-made edge blocks, and weights gguf-py quantized itself. Bits
 * must be equal, NaN compared as NaN (numpy's NaN payloads are not deterministic themselves),
 * through the native kernels and the TypeScript port, and through toFloat32 / decode of GGUF
 * and safetensors files on the mmap and heap backends, as F32, F16 and BF16.
 */

import * as fs from 'node:fs'
import * as path from 'node:path'

import test from 'ava'
import type { ExecutionContext } from 'ava'

import { dequantize, openGguf, openSafetensors, writeGguf } from '..'
import { decodeNow } from '../dist/values/engine.js'
import { valueType } from '../dist/values/dtypes.js'
import { hasPythonModule, runPython } from './python'
import { heapForced, tmpPath } from './helpers'

interface Entry {
  type: string
  case: string
  elements: number
  blockSize: number
  typeSize: number
  narrow: boolean
}

let cached: { dir: string; entries: Entry[] } | undefined
function references(t: ExecutionContext): { dir: string; entries: Entry[] } | undefined {
  if (!hasPythonModule(t, 'gguf')) return undefined
  if (cached === undefined) {
    const dir = tmpPath('value-references')
    fs.mkdirSync(dir)
    cached = { dir, entries: runPython('value_references.py', [dir]) as Entry[] }
  }
  return cached
}

function read(dir: string, e: Entry, ext: string): Buffer {
  return fs.readFileSync(path.join(dir, `${e.type}.${e.case}.${ext}`))
}

/** Elements whose bits differ, NaN against NaN not counted; and the first one. */
function differences(ours: Float32Array | Uint16Array, ref: Buffer, kind: 'F32' | 'F16' | 'BF16'): { count: number; first?: string } {
  const wide = kind === 'F32'
  const theirs = wide ? new Uint32Array(ref.buffer, ref.byteOffset, ref.length / 4) : new Uint16Array(ref.buffer, ref.byteOffset, ref.length / 2)
  const mine = wide ? new Uint32Array(ours.buffer, ours.byteOffset, ours.length) : (ours as Uint16Array)
  const isNaN = (bits: number) => (wide ? (bits & 0x7fffffff) >>> 0 > 0x7f800000 : kind === 'F16' ? (bits & 0x7fff) > 0x7c00 : (bits & 0x7fff) > 0x7f80)
  let count = 0
  let first: string | undefined
  if (mine.length !== theirs.length) return { count: Math.abs(mine.length - theirs.length), first: `lengths ${mine.length} and ${theirs.length}` }
  for (let i = 0; i < mine.length; i++) {
    const a = mine[i]!
    const b = theirs[i]!
    if (a !== b && !(isNaN(a) && isNaN(b))) {
      count++
      first ??= `element ${i}: ${a.toString(16)} against gguf-py's ${b.toString(16)}`
    }
  }
  return { count, first }
}

test('every type, random and edge blocks and gguf-py-quantized weights: native kernels and the TypeScript port equal gguf-py, as F32, F16 and BF16', (t) => {
  const refs = references(t)
  if (refs === undefined) return t.pass()
  const types = new Set<string>()
  for (const e of refs.entries) {
    const bytes = read(refs.dir, e, 'bin')
    const type = valueType(e.type)
    const kinds = e.narrow ? (['F32', 'F16', 'BF16'] as const) : (['F32'] as const)
    for (const using of ['native', 'typescript'] as const) {
      for (const kind of kinds) {
        const ours = decodeNow(type, bytes, e.elements, kind, true, 2, undefined, using)
        const d = differences(ours, read(refs.dir, e, kind.toLowerCase()), kind)
        t.is(d.count, 0, `${e.type} ${e.case}, ${using}, ${kind}: ${d.count} of ${e.elements} differ (${d.first})`)
      }
    }
    t.is(differences(dequantize(bytes, e.type, e.elements), read(refs.dir, e, 'f32'), 'F32').count, 0, `dequantize(${e.type})`)
    types.add(e.type)
  }
  t.log(`${refs.entries.length} reference sets over ${types.size} types: ${[...types].join(', ')}`)
  for (const expected of ['Q4_0', 'Q2_K', 'Q6_K', 'IQ1_S', 'IQ1_M', 'IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ4_NL', 'IQ4_XS', 'TQ1_0', 'TQ2_0', 'MXFP4', 'NVFP4', 'BF16', 'I64', 'F64']) {
    t.true(types.has(expected), `${expected} was cross-checked`)
  }
})

/** One GGUF of every GGML type's random blocks (one row of 256 or 64 per block... as written). */
function ggufOfReferences(refs: { dir: string; entries: Entry[] }, cases: string[]): { file: string; entries: Entry[] } {
  const entries = refs.entries.filter((e) => cases.includes(e.case) && !['U8', 'U16', 'U32', 'U64', 'BOOL', 'F8_E4M3', 'F8_E5M2'].includes(e.type))
  const file = tmpPath('values.gguf')
  writeGguf(file, {
    metadata: {},
    tensors: entries.map((e) => {
      // Rows of 4 blocks (or 256 elements), so `rows` has something to cut.
      const row = e.blockSize === 1 ? 256 : 4 * e.blockSize
      return { name: `${e.type}.${e.case}`, dtype: e.type, shape: [row, e.elements / row], data: read(refs.dir, e, 'bin') }
    }),
  })
  return { file, entries }
}

for (const backend of ['mmap', 'heap'] as const) {
  test(`GGUF tensors of every type (${backend}): toFloat32, decode() with and without into, rows, and F16 / BF16 equal gguf-py`, async (t) => {
    const refs = references(t)
    if (refs === undefined) return t.pass()
    if (backend === 'mmap' && heapForced) return t.pass('heap backend forced')
    const { file, entries } = ggufOfReferences(refs, ['random', 'quantized'])
    using gg = openGguf(file, { backend })
    for (const e of entries) {
      const tensor = gg.tensor(`${e.type}.${e.case}`)
      const f32 = read(refs.dir, e, 'f32')
      const label = `${e.type} ${e.case} (${backend})`
      t.is(differences(tensor.toFloat32(), f32, 'F32').count, 0, `${label} toFloat32`)
      t.is(differences(await tensor.decode(), f32, 'F32').count, 0, `${label} decode`)
      const into = new Float32Array(e.elements)
      t.is(await tensor.decode({ into }), into, `${label}: decode returns its into`)
      t.is(differences(into, f32, 'F32').count, 0, `${label} decode into an ArrayBuffer`)
      const shared = new Float32Array(new SharedArrayBuffer(e.elements * 4))
      await tensor.decode({ into: shared, concurrency: 2 })
      t.is(differences(shared, f32, 'F32').count, 0, `${label} decode into a SharedArrayBuffer`)
      const rows = tensor.shape[1]!
      const from = Math.floor(rows / 3)
      const perRow = tensor.shape[0]!
      const part = tensor.toFloat32({ rows: [from, rows - 1] })
      t.is(differences(part, f32.subarray(from * perRow * 4, (rows - 1) * perRow * 4), 'F32').count, 0, `${label} rows`)
      if (e.narrow) {
        for (const kind of ['F16', 'BF16'] as const) {
          const values = await tensor.decode({ dtype: kind })
          t.true(values instanceof Uint16Array)
          t.is(differences(values, read(refs.dir, e, kind.toLowerCase()), kind).count, 0, `${label} ${kind}`)
        }
      }
    }
  })
}

test('safetensors tensors of the element types (numpy, ml_dtypes) decode as numpy converts them', (t) => {
  const refs = references(t)
  if (refs === undefined) return t.pass()
  const st = refs.entries.filter((e) => ['U8', 'U16', 'U32', 'U64', 'I8', 'I16', 'I32', 'I64', 'F64', 'BOOL', 'F8_E4M3', 'F8_E5M2', 'F16', 'BF16', 'F32'].includes(e.type) && e.case === 'random')
  const header: Record<string, unknown> = {}
  const parts: Buffer[] = []
  let at = 0
  for (const e of st) {
    const bytes = read(refs.dir, e, 'bin')
    header[e.type] = { dtype: e.type, shape: [e.elements], data_offsets: [at, at + bytes.length] }
    parts.push(bytes)
    at += bytes.length
  }
  const json = Buffer.from(JSON.stringify(header))
  const prefix = Buffer.alloc(8)
  prefix.writeBigUInt64LE(BigInt(json.length))
  const file = tmpPath('values.safetensors')
  fs.writeFileSync(file, Buffer.concat([prefix, json, ...parts]))
  using sf = openSafetensors(file)
  for (const e of st) {
    t.is(differences(sf.tensor(e.type).toFloat32(), read(refs.dir, e, 'f32'), 'F32').count, 0, e.type)
  }
  t.true(st.some((e) => e.type === 'F8_E4M3') || !hasPythonModule(t, 'ml_dtypes'), 'F8 types were cross-checked where ml_dtypes is installed')
})

test('a big-endian GGUF decodes element types in its byte order; blocks stay little-endian', async (t) => {
  const values = Float32Array.from([1.5, -2.25, 3e-5, 65504, -0, 1e-40, Infinity, 7])
  const be = Buffer.alloc(values.length * 4)
  for (let i = 0; i < values.length; i++) be.writeFloatBE(values[i]!, 4 * i)
  const block = Buffer.alloc(18)
  block.writeUInt16LE(0x3c00, 0) // d = 1.0, little-endian as in any file
  block[2] = 0x9f
  const file = tmpPath('big-endian.gguf')
  writeGguf(file, {
    littleEndian: false,
    metadata: {},
    tensors: [
      { name: 'f32', dtype: 'F32', shape: [values.length], data: be },
      { name: 'q4', dtype: 'Q4_0', shape: [32], data: block },
    ],
  })
  using gg = openGguf(file)
  t.false(gg.littleEndian)
  t.deepEqual(gg.tensor('f32').toFloat32(), values)
  t.deepEqual(await gg.tensor('f32').decode(), values)
  const q4 = gg.tensor('q4').toFloat32()
  t.deepEqual([q4[0], q4[16], q4[1]], [7, 1, -8])
  t.deepEqual(dequantize(be, 'F32', values.length, { littleEndian: false }), values)
  t.deepEqual(decodeNow(valueType('F32'), be, values.length, 'F32', false, 1, undefined, 'typescript'), values)
})
