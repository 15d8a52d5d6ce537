/** GGUF fixtures written by the project's own writer: every value type, every ggml dtype, v1-v3, both byte orders. */

import { GGML_TYPES, GGUFValueType, typedArrayValue, writeGguf } from '..'
import type { WriteMetadataEntry, WriteTensor } from '..'
import { patternBytes, tmpPath } from './helpers'

const T = GGUFValueType

/** One entry of every scalar type, arrays of every scalar type, strings, nested arrays. */
export function everyValueType(): Record<string, WriteMetadataEntry> {
  return {
    'general.architecture': { type: T.STRING, value: 'llama' },
    'general.name': { type: T.STRING, value: 'modelmap fixture ✓ ünïcödé' },
    'general.alignment': { type: T.UINT32, value: 64 },
    'test.u8': { type: T.UINT8, value: 255 },
    'test.i8': { type: T.INT8, value: -128 },
    'test.u16': { type: T.UINT16, value: 65535 },
    'test.i16': { type: T.INT16, value: -32768 },
    'test.u32': { type: T.UINT32, value: 4294967295 },
    'test.i32': { type: T.INT32, value: -2147483648 },
    'test.f32': { type: T.FLOAT32, value: 0.5 },
    'test.bool_true': { type: T.BOOL, value: true },
    'test.bool_false': { type: T.BOOL, value: false },
    'test.u64': { type: T.UINT64, value: 18446744073709551615n },
    'test.i64': { type: T.INT64, value: -9223372036854775808n },
    'test.f64': { type: T.FLOAT64, value: 3.141592653589793 },
    'test.empty_string': { type: T.STRING, value: '' },
    'test.arr_u8': { type: T.ARRAY, subType: T.UINT8, value: [0, 1, 255] },
    'test.arr_i8': { type: T.ARRAY, subType: T.INT8, value: [-1, 0, 127] },
    'test.arr_u16': { type: T.ARRAY, subType: T.UINT16, value: [1, 65535] },
    'test.arr_i16': { type: T.ARRAY, subType: T.INT16, value: [-2, 2] },
    'test.arr_u32': { type: T.ARRAY, subType: T.UINT32, value: [7, 4000000000] },
    'test.arr_i32': { type: T.ARRAY, subType: T.INT32, value: [-7, 7] },
    'test.arr_f32': { type: T.ARRAY, subType: T.FLOAT32, value: [0.25, -1.5] },
    'test.arr_bool': { type: T.ARRAY, subType: T.BOOL, value: [true, false, true] },
    'test.arr_u64': { type: T.ARRAY, subType: T.UINT64, value: [0n, 1n << 63n] },
    'test.arr_i64': { type: T.ARRAY, subType: T.INT64, value: [-1n, 1n] },
    'test.arr_f64': { type: T.ARRAY, subType: T.FLOAT64, value: [1e-300, -2.5] },
    'test.arr_empty': { type: T.ARRAY, subType: T.INT32, value: [] },
    'tokenizer.ggml.tokens': { type: T.ARRAY, subType: T.STRING, value: ['<s>', '</s>', 'hello', ' wörld', '🙂', ''] },
    'test.arr_of_arr': {
      type: T.ARRAY,
      subType: T.ARRAY,
      value: [typedArrayValue([1, 2, 3], T.INT32), typedArrayValue([], T.INT32), typedArrayValue([4], T.INT32)],
    },
    'test.arr_of_arr_str': { type: T.ARRAY, subType: T.ARRAY, value: [typedArrayValue(['a', 'b'], T.STRING), typedArrayValue(['c'], T.STRING)] },
  }
}

/** One tensor of every ggml dtype, each a few blocks, with distinct bytes. */
export function everyDtype(): WriteTensor[] {
  return [...GGML_TYPES.values()].map((type, i) => {
    const rows = 2
    const cols = type.blockSize * 2
    const bytes = (rows * cols / type.blockSize) * type.typeSize
    return { name: `blk.${i}.${type.name.toLowerCase()}.weight`, dtype: type.name, shape: [cols, rows], data: patternBytes(bytes, 100 + i) }
  })
}

export interface Fixture {
  name: string
  path: string
  version: 1 | 2 | 3
  littleEndian: boolean
  metadata: Record<string, WriteMetadataEntry>
  tensors: WriteTensor[]
}

export function writeFixtures(): Fixture[] {
  const out: Fixture[] = []
  for (const version of [3, 2, 1] as const) {
    for (const littleEndian of [true, false]) {
      const name = `v${version}-${littleEndian ? 'le' : 'be'}.gguf`
      const path = tmpPath(name)
      const metadata = everyValueType()
      const tensors = everyDtype()
      writeGguf(path, { version, littleEndian, metadata, tensors })
      out.push({ name, path, version, littleEndian, metadata, tensors })
    }
  }
  const plain = tmpPath('default-alignment.gguf')
  const metadata = { 'general.architecture': { type: T.STRING, value: 'gpt2' } } satisfies Record<string, WriteMetadataEntry>
  const tensors: WriteTensor[] = [
    { name: 'token_embd.weight', dtype: 'F32', shape: [8, 4], data: new Uint8Array(new Float32Array(32).map((_, i) => i / 4).buffer) },
    { name: 'output_norm.weight', dtype: 'F16', shape: [8], data: patternBytes(16, 9) },
    { name: 'empty', dtype: 'F32', shape: [0], data: new Uint8Array(0) },
  ]
  writeGguf(plain, { metadata, tensors })
  out.push({ name: 'default-alignment.gguf', path: plain, version: 3, littleEndian: true, metadata, tensors })
  return out
}
