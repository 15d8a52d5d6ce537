/** Cross-check against llama.cpp's Python `gguf` package (GGUFReader) on the project's fixtures. */

import { createHash } from 'node:crypto'

import test from 'ava'

import { GGML_TYPES, GGUFValueType, openGguf } from '..'
import type { MetadataValue } from '..'
import { writeFixtures } from './gguf-fixtures'
import { hasPythonModule, runPython } from './python'

interface Dump {
  error?: string
  fields: Record<string, { types: number[]; value: unknown }>
  tensors: Array<{ name: string; type: number; shape: number[]; data_offset: number; n_bytes: number; sha256: string }>
}

/** Our values in the dump's JSON form: 64-bit integers outside the safe range as strings. */
function plain(v: MetadataValue): unknown {
  if (Array.isArray(v)) return v.map(plain)
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()
  return v
}

const fixtures = writeFixtures()

for (const fx of fixtures) {
  test(`GGUFReader agrees on ${fx.name}: keys, values, types, tensor names, shapes, dtypes, offsets, sha256`, (t) => {
    if (!hasPythonModule(t, 'gguf')) return t.pass()
    const dump = runPython('gguf_dump.py', [fx.path]) as Dump
    if (fx.version === 1) {
      t.regex(dump.error ?? '', /version 1/, 'the reference reader does not read version 1; modelmap does (round-trip tested)')
      return
    }
    t.is(dump.error, undefined)
    using file = openGguf(fx.path, { lazyArraysOver: Infinity })
    const ours = Object.keys(file.typedMetadata).filter((k) => !['version', 'tensor_count', 'kv_count'].includes(k))
    t.deepEqual(ours.sort(), Object.keys(dump.fields).sort())
    for (const key of ours) {
      const typed = file.typedMetadata[key]!
      const ref = dump.fields[key]!
      t.is(ref.types[0], typed.type, `${key} type`)
      // The reference reader records no element type for an empty array.
      const empty = Array.isArray(typed.value) && typed.value.length === 0
      if (typed.type === GGUFValueType.ARRAY && !empty) t.is(ref.types[1], typed.subType, `${key} element type`)
      if (ref.value !== null) t.deepEqual(plain(typed.value), ref.value, key)
      else t.is(typed.subType, GGUFValueType.ARRAY, `${key}: only nested arrays are left to the round-trip test`)
    }
    t.is(dump.tensors.length, file.tensorInfos.length)
    for (const ref of dump.tensors) {
      const tensor = file.tensor(ref.name)
      t.is(tensor.ggmlType, ref.type, ref.name)
      t.deepEqual(tensor.shape, ref.shape, ref.name)
      t.is(tensor.byteOffset, ref.data_offset, ref.name)
      t.is(tensor.byteLength, ref.n_bytes, ref.name)
      t.is(createHash('sha256').update(tensor.data).digest('hex'), ref.sha256, ref.name)
    }
  })
}

test('the ggml type table equals the reference GGML_QUANT_SIZES', (t) => {
  if (!hasPythonModule(t, 'gguf')) return t.pass()
  const ref = runPython('ggml_types.py', []) as Array<[number, string, number, number]>
  const ours = [...GGML_TYPES.values()].map((g) => [g.id, g.name, g.blockSize, g.typeSize])
  t.deepEqual(ours, ref)
})
