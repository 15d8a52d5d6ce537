import { createHash } from 'node:crypto'
import * as fs from 'node:fs'

import test from 'ava'

import { ModelData, ModelDataError, openSafetensors } from '..'
import { guardUnchanged, patternBytes, tmpPath, tmpRoot } from './helpers'
import { hasPythonModule, runPython } from './python'

/** A safetensors file from a header object and data, for the hostile cases. */
function build(header: Record<string, unknown>, data: Uint8Array, headerText?: string): Buffer {
  const json = Buffer.from(headerText ?? JSON.stringify(header))
  const out = Buffer.alloc(8 + json.length + data.length)
  out.writeBigUInt64LE(BigInt(json.length), 0)
  json.copy(out, 8)
  out.set(data, 8 + json.length)
  return out
}

const good = build({ __metadata__: { a: 'b' }, x: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, y: { dtype: 'U8', shape: [3], data_offsets: [16, 19] } }, new Uint8Array(19).map((_, i) => i))

test('reads header, metadata and zero-copy tensors', (t) => {
  const file = tmpPath('good.safetensors')
  fs.writeFileSync(file, good)
  guardUnchanged(t, file)
  using st = openSafetensors(file)
  t.deepEqual(st.metadata, { a: 'b' })
  t.deepEqual(Object.keys(st.tensorInfos), ['x', 'y'])
  const x = st.tensor('x')
  t.is(x.dtype, 'F32')
  t.deepEqual(x.shape, [2, 2])
  t.is(x.byteLength, 16)
  t.true(x.data.equals(good.subarray(st.dataOffset, st.dataOffset + 16)))
  t.deepEqual(Array.from(st.tensor('y').array as Uint8Array), [16, 17, 18])
})

const hostile: Array<[string, Buffer]> = [
  ['shorter than 8 bytes', Buffer.from([1, 2, 3])],
  ['header length past the end', (() => { const b = Buffer.from(good); b.writeBigUInt64LE(10_000n, 0); return b })()],
  ['header not JSON', build({}, new Uint8Array(0), '{"x": nope}')],
  ['header is an array', build({}, new Uint8Array(0), '[1, 2]   ')],
  ['unknown dtype', build({ x: { dtype: 'F7', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1))],
  ['dtype × shape ≠ length', build({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4))],
  ['offsets past the data', build({ x: { dtype: 'U8', shape: [8], data_offsets: [0, 8] } }, new Uint8Array(4))],
  ['overlapping tensors', build({ x: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, y: { dtype: 'U8', shape: [4], data_offsets: [2, 6] } }, new Uint8Array(6))],
  ['gap between tensors', build({ x: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, y: { dtype: 'U8', shape: [2], data_offsets: [4, 6] } }, new Uint8Array(6))],
  ['trailing bytes not covered', build({ x: { dtype: 'U8', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(5))],
  ['reversed offsets', build({ x: { dtype: 'U8', shape: [0], data_offsets: [2, 0] } }, new Uint8Array(2))],
  ['negative shape', build({ x: { dtype: 'U8', shape: [-1], data_offsets: [0, 0] } }, new Uint8Array(0))],
  ['metadata value not a string', build({ __metadata__: { a: 1 } }, new Uint8Array(0))],
]

test('a header length over limits.maxHeaderBytes (100 MB, the format\'s cap) in a file that long is ERR_MODELMAP_LIMIT_EXCEEDED before any of it is read', (t) => {
  const file = tmpPath('big-header.safetensors')
  const prefix = Buffer.alloc(8)
  prefix.writeBigUInt64LE(200_000_000n, 0)
  fs.writeFileSync(file, prefix)
  fs.truncateSync(file, 250_000_000)
  const err = t.throws(() => openSafetensors(file), { instanceOf: ModelDataError })
  t.is(err?.code, 'ERR_MODELMAP_LIMIT_EXCEEDED')
  t.regex(err!.message, /200000000 header bytes, over the limit of 100000000 \(limits\.maxHeaderBytes\)/)
  t.is(err?.byteOffset, 0)
})

test('corrupt is not a limit: a header length the file cannot hold (random bytes) is ERR_MODELMAP_INVALID_SAFETENSORS naming the claim and the size', (t) => {
  const b = Buffer.from(good)
  b.writeBigUInt64LE(200_000_000n, 0)
  const err = t.throws(() => openSafetensors(ModelData.fromBuffer(b)), { instanceOf: ModelDataError })
  t.is(err?.code, 'ERR_MODELMAP_INVALID_SAFETENSORS')
  t.regex(err!.message, new RegExp(`header length 200000000 runs past the end of the ${b.length}-byte file`))
  const random = ModelData.fromBuffer(patternBytes(1 << 20, 9))
  t.throws(() => openSafetensors(random), { code: 'ERR_MODELMAP_INVALID_SAFETENSORS', message: /runs past the end of the 1048576-byte file/ })
})

for (const [name, bytes] of hostile) {
  test(`hostile safetensors: ${name} → ERR_MODELMAP_INVALID_SAFETENSORS with a byte offset`, (t) => {
    const err = t.throws(() => openSafetensors(ModelData.fromBuffer(bytes)), { instanceOf: ModelDataError })
    t.is(err?.code, 'ERR_MODELMAP_INVALID_SAFETENSORS')
    t.is(typeof err?.byteOffset, 'number')
  })
}

test('cross-check: files written by the Python safetensors package read identically', (t) => {
  if (!hasPythonModule(t, 'safetensors') || !hasPythonModule(t, 'numpy')) return t.pass()
  const dir = fs.mkdtempSync(`${tmpRoot}/st-`)
  const report = runPython('safetensors_fixtures.py', [dir]) as Record<string, { path: string; metadata: Record<string, string>; tensors: Record<string, { shape: number[]; sha256: string }> }>
  t.is(Object.keys(report).length, 2)
  for (const [name, ref] of Object.entries(report)) {
    guardUnchanged(t, ref.path)
    for (const backend of ['mmap', 'heap'] as const) {
      using st = openSafetensors(ref.path, { backend })
      t.deepEqual(st.metadata, ref.metadata, name)
      t.deepEqual(Object.keys(st.tensorInfos).sort(), Object.keys(ref.tensors).sort(), name)
      for (const [key, tensor] of Object.entries(ref.tensors)) {
        const ours = st.tensor(key)
        t.deepEqual(ours.shape, tensor.shape, `${name}:${key}`)
        t.is(createHash('sha256').update(ours.data).digest('hex'), tensor.sha256, `${name}:${key}`)
      }
    }
  }
})

test('tensor.array is decided by the real address alignment, the same on every backend', (t) => {
  // Header padded so the F32 tensor starts at a file offset ≡ 2 (mod 4): misaligned everywhere.
  const misaligned = (pad: number) =>
    build({}, new Uint8Array(16).map((_, i) => i), JSON.stringify({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }) + ' '.repeat(pad))
  for (let pad = 0; pad < 4; pad++) {
    const bytes = misaligned(pad)
    const file = tmpPath('align.safetensors')
    fs.writeFileSync(file, bytes)
    const dataOffset = bytes.readUInt32LE(0) + 8
    const aligned = dataOffset % 4 === 0
    for (const backend of ['mmap', 'heap'] as const) {
      if (backend === 'mmap' && !ModelData.nativeStatus.available) continue
      using st = openSafetensors(ModelData.open(file, { backend }))
      const x = st.tensor('x')
      t.true(x.data.equals(bytes.subarray(dataOffset, dataOffset + 16)))
      t.is(x.array !== undefined, aligned, `${backend}, data at file offset ${dataOffset}`)
    }
    // In memory, the address is the caller's: the same bytes placed 0..3 bytes into an
    // ArrayBuffer give an array exactly when the tensor's address is a multiple of 4.
    for (let shift = 0; shift < 4; shift++) {
      const holder = new Uint8Array(bytes.length + shift)
      holder.set(bytes, shift)
      const st = openSafetensors(ModelData.fromBuffer(holder.subarray(shift)))
      t.is(st.tensor('x').array !== undefined, (shift + dataOffset) % 4 === 0, `fromBuffer shifted by ${shift}`)
    }
  }
})
