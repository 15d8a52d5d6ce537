import { createHash } from 'node:crypto'
import * as fs from 'node:fs'

import test from 'ava'

import { GGUFValueType, ModelData, ModelDataError, gguf, openGguf, typedArrayValue, writeGguf } from '..'
import { writeFixtures } from './gguf-fixtures'
import { guardUnchanged, tmpPath, tmpRoot } from './helpers'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const hf = require('@huggingface/gguf') as { gguf: (p: string, o: Record<string, unknown>) => Promise<Record<string, unknown>> }

const fixtures = writeFixtures()

test('fixtures cover every value type, every ggml dtype, versions 1-3 and both byte orders', (t) => {
  const types = new Set<number>()
  const subTypes = new Set<number>()
  for (const entry of Object.values(fixtures[0]!.metadata)) {
    types.add(entry.type)
    if (entry.subType !== undefined) subTypes.add(entry.subType)
  }
  t.is(types.size, 13, 'all 13 GGUF value types as values')
  t.true(subTypes.size >= 12, 'arrays of every scalar type, strings and arrays')
  t.log(`${fixtures.length} fixture files, ${fixtures[0]!.tensors.length} dtypes, ${Object.keys(fixtures[0]!.metadata).length} keys each`)
})

for (const fx of fixtures) {
  test(`round trip ${fx.name}: metadata and tensor bytes read back exactly`, (t) => {
    guardUnchanged(t, fx.path)
    using file = openGguf(fx.path)
    t.is(file.metadata.version, fx.version)
    t.is(file.littleEndian, fx.littleEndian)
    for (const [key, entry] of Object.entries(fx.metadata)) {
      t.deepEqual(file.metadata[key], entry.value, key)
      t.is(file.typedMetadata[key]!.type, entry.type, key)
    }
    t.is(file.tensorInfos.length, fx.tensors.length)
    for (const written of fx.tensors) {
      const tensor = file.tensor(written.name)
      t.deepEqual(tensor.shape, written.shape)
      const data = written.data as Uint8Array // fixtures give bytes, not hole sizes
      t.true(tensor.data.equals(data), written.name)
      t.is(tensor.byteOffset % file.alignment, 0)
      if (fx.littleEndian && tensor.dtype === 'F32') t.is(tensor.array?.length, data.length / 4)
      if (!fx.littleEndian) t.is(tensor.array, undefined, 'no typed array over big-endian bytes')
    }
  })

  test(`drop-in: gguf() equals @huggingface/gguf on ${fx.name}`, async (t) => {
    const params = { allowLocalFile: true, typedMetadata: true, computeParametersCount: true }
    const theirs = await hf.gguf(fx.path, params)
    const ours = await gguf(fx.path, params)
    t.deepEqual(ours, theirs)
  })
}

test('tensor data is a zero-copy view into the mapping', (t) => {
  const fx = fixtures.find((f) => f.name === 'default-alignment.gguf')!
  using file = openGguf(fx.path)
  const tensor = file.tensor('token_embd.weight')
  t.is(tensor.dtype, 'F32')
  t.deepEqual(Array.from(tensor.array as Float32Array).slice(0, 4), [0, 0.25, 0.5, 0.75])
  if (file.model.isMmap) {
    const again = file.model.view(tensor.byteOffset, 4)
    again[0] = again[0]! ^ 1
    t.is(tensor.data[0], again[0], 'same pages')
  }
  t.is(file.tensor('empty').byteLength, 0)
  t.throws(() => file.tensor('nope'), { instanceOf: TypeError })
})

test('lazy big arrays decode on first access and match the eager result', (t) => {
  const fx = fixtures[0]!
  using lazy = openGguf(fx.path, { lazyArraysOver: 2 })
  using eager = openGguf(fx.path, { lazyArraysOver: Infinity })
  const desc = Object.getOwnPropertyDescriptor(lazy.metadata, 'tokenizer.ggml.tokens')
  t.is(typeof desc?.get, 'function', 'not decoded yet')
  t.deepEqual(lazy.metadata['tokenizer.ggml.tokens'], eager.metadata['tokenizer.ggml.tokens'])
  t.deepEqual(lazy.typedMetadata['test.arr_of_arr']!.value, eager.typedMetadata['test.arr_of_arr']!.value)
})

test('openGguf over an existing ModelData (any backend)', (t) => {
  const fx = fixtures[1]!
  const model = ModelData.open(fx.path, { backend: 'heap' })
  const file = openGguf(model)
  t.is(file.model, model)
  const first = fx.tensors[0]!
  t.true(file.tensor(first.name).data.equals(first.data as Uint8Array))
  file.close()
  t.true(model.closed)
})

test('every tensor hashes the same through openGguf as straight from the file', (t) => {
  const fx = fixtures[0]!
  const raw = fs.readFileSync(fx.path)
  using file = openGguf(fx.path)
  for (const tensor of file.tensors()) {
    const direct = raw.subarray(tensor.byteOffset, tensor.byteOffset + tensor.byteLength)
    t.is(createHash('sha256').update(tensor.data).digest('hex'), createHash('sha256').update(direct).digest('hex'))
  }
})

test('not a GGUF file: typed error with the byte offset', (t) => {
  const fx = fixtures[0]!
  const bytes = fs.readFileSync(fx.path)
  const bad = Buffer.from(bytes)
  bad.write('GGUX', 0)
  const model = ModelData.fromBuffer(bad)
  const err = t.throws(() => openGguf(model), { instanceOf: ModelDataError })
  t.is(err?.code, 'ERR_MODELMAP_INVALID_GGUF')
  t.is(err?.byteOffset, 0)
  t.is(GGUFValueType.STRING, 8)
})

test('writeGguf writes zero tensors given as a byte count as holes, and they read back as zeros', (t) => {
  const file = require('./helpers').tmpPath('sparse.gguf') as string
  const { writeGguf: write } = require('..') as typeof import('..')
  write(file, { metadata: {}, tensors: [{ name: 'a', dtype: 'F32', shape: [4], data: new Uint8Array(16).fill(1) }, { name: 'zeros', dtype: 'F32', shape: [1 << 20], data: 4 << 20 }] })
  using f = openGguf(file)
  t.true(f.tensor('zeros').data.every((b) => b === 0))
  t.is(f.tensor('zeros').byteLength, 4 << 20)
  t.true(f.tensor('a').data.every((b) => b === 1))
  t.is(fs.statSync(file).size, f.tensor('zeros').byteOffset + (4 << 20))
})

test('gguf() keeps a leading byte-order mark in strings (as gguf-py does); @huggingface/gguf strips it', async (t) => {
  const file = tmpPath('bom.gguf')
  writeGguf(file, { metadata: { 'x.bom': { type: GGUFValueType.STRING, value: '\uFEFFhello' }, 'x.tokens': { type: GGUFValueType.ARRAY, subType: GGUFValueType.STRING, value: ['\uFEFF', 'a'] } } })
  const ours = await gguf(file, { allowLocalFile: true })
  const theirs = await hf.gguf(file, { allowLocalFile: true })
  const m = ours.metadata as Record<string, unknown>
  t.is(m['x.bom'], '\uFEFFhello')
  t.deepEqual(m['x.tokens'], ['\uFEFF', 'a'])
  t.is((theirs.metadata as Record<string, unknown>)['x.bom'], 'hello', 'the documented difference')
})

test('writeGguf validates what it writes and leaves no temporary file behind', (t) => {
  const dir = fs.mkdtempSync(`${tmpRoot}/w-`)
  const target = `${dir}/out.gguf`
  const leftovers = () => fs.readdirSync(dir).filter((f) => f !== 'out.gguf')
  for (const alignment of [0, 3, 48]) {
    t.throws(() => writeGguf(target, { metadata: { 'general.alignment': { type: GGUFValueType.UINT32, value: alignment } } }), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' }, `alignment ${alignment}`)
  }
  let deep: unknown = typedArrayValue([1], GGUFValueType.INT32)
  for (let i = 0; i < 4; i++) deep = typedArrayValue([deep as never], GGUFValueType.ARRAY)
  t.throws(() => writeGguf(target, { metadata: { deep: { type: GGUFValueType.ARRAY, subType: GGUFValueType.ARRAY, value: deep as never } } }), { code: 'ERR_INVALID_ARG_VALUE' })
  t.throws(() => writeGguf(target, null as never), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' })
  t.throws(() => writeGguf(target, { metadata: {}, version: 7 as never }), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' })
  t.throws(() => writeGguf(target, { metadata: { bad: { type: GGUFValueType.UINT8, value: 'x' } } }), { code: 'ERR_INVALID_ARG_VALUE' })
  t.deepEqual(leftovers(), [], 'a failure while writing leaves no temporary file')
  // The final rename fails (the target is a non-empty directory): the temporary file goes too.
  fs.mkdirSync(target)
  fs.writeFileSync(`${target}/keep`, 'x')
  t.throws(() => writeGguf(target, { metadata: {} }))
  t.deepEqual(leftovers(), [], 'no .tmp after a failed rename')
  t.true(fs.existsSync(`${target}/keep`))
})
