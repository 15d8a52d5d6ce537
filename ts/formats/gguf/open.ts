/** `openGguf` (zero-copy tensor views) and `gguf` (a drop-in for @huggingface/gguf on local files). */

import { ModelData } from '../../model-data.js'
import type { OpenOptions } from '../../model-data.js'
import { typeError } from '../../errors.js'
import { invalidGguf, parseGguf, tensorByteLength } from './parse.js'
import type { MetadataValue, ParsedGguf, ParsedTensorInfo } from './parse.js'
import { GGML_TYPES, GGUFValueType, TYPED_ARRAYS } from './types.js'
import type { TensorArray } from './types.js'
import { tensorBytes } from '../tensor-view.js'

export type GGUFMetadata = Record<string, MetadataValue> & { version: number; tensor_count: bigint; kv_count: bigint }

export interface GGUFTypedEntry {
  value: MetadataValue
  type: GGUFValueType
  subType?: GGUFValueType
}
export type GGUFTypedMetadata = Record<string, GGUFTypedEntry>

/** As @huggingface/gguf reports a tensor. */
export interface GGUFTensorInfo {
  name: string
  n_dims: number
  shape: bigint[]
  dtype: number
  offset: bigint
}

export interface GgufTensor {
  name: string
  /** ggml type name: 'F32', 'F16', 'Q4_K', ... */
  dtype: string
  /** ggml type id, as in tensorInfos. */
  ggmlType: number
  shape: number[]
  /** Absolute position of the tensor's bytes in the file. */
  byteOffset: number
  byteLength: number
  /** Zero-copy view of the tensor's bytes (created on first access). */
  readonly data: Buffer
  /** A typed array over `data` for plain dtypes, when aligned and little-endian; else undefined. */
  readonly array: TensorArray | undefined
}

export interface GgufFile {
  model: ModelData
  metadata: GGUFMetadata
  typedMetadata: GGUFTypedMetadata
  tensorInfos: GGUFTensorInfo[]
  tensorDataOffset: bigint
  littleEndian: boolean
  alignment: number
  tensor(name: string): GgufTensor
  tensors(): GgufTensor[]
  close(): void
  [Symbol.dispose](): void
}

export interface OpenGgufOptions extends OpenOptions {
  /**
   * Arrays with more elements than this (default 1024) are decoded on first access, so a
   * 256k-token vocabulary costs nothing until read. `Infinity` decodes everything up front.
   */
  lazyArraysOver?: number
}

/** Defines `key` on `target` as a getter that decodes once and then becomes a plain value. */
function defineLazy(target: Record<string, unknown>, key: string, decode: () => unknown): void {
  Object.defineProperty(target, key, {
    configurable: true,
    enumerable: true,
    get() {
      const value = decode()
      Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: true })
      return value
    },
  })
}

function buildMetadata(parsed: ParsedGguf): { metadata: GGUFMetadata; typed: GGUFTypedMetadata } {
  const metadata: Record<string, unknown> = { version: parsed.version, tensor_count: parsed.tensorCount, kv_count: parsed.kvCount }
  const countType = parsed.version === 1 ? GGUFValueType.UINT32 : GGUFValueType.UINT64
  const typed: Record<string, unknown> = {
    version: { value: parsed.version, type: GGUFValueType.UINT32 },
    tensor_count: { value: parsed.tensorCount, type: countType },
    kv_count: { value: parsed.kvCount, type: countType },
  }
  for (const entry of parsed.entries) {
    const { key, type, subType, value } = entry
    if (typeof value === 'function') {
      let cached: { v: MetadataValue } | undefined
      const decode = () => (cached ??= { v: value() }).v
      defineLazy(metadata, key, decode)
      const typedEntry: Record<string, unknown> = { type, subType }
      defineLazy(typedEntry, 'value', decode)
      typed[key] = typedEntry
    } else {
      metadata[key] = value
      typed[key] = subType === undefined ? { value, type } : { value, type, subType }
    }
  }
  return { metadata: metadata as GGUFMetadata, typed: typed as GGUFTypedMetadata }
}

function makeTensor(model: ModelData, parsed: ParsedGguf, info: ParsedTensorInfo): GgufTensor {
  const type = GGML_TYPES.get(info.dtype)!
  const byteLength = Number(tensorByteLength(info.dtype, info.shape) as bigint)
  const byteOffset = parsed.tensorDataOffset + Number(info.offset)
  const shape = info.shape.map((d) => {
    if (d > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidGguf(model, byteOffset, `tensor '${info.name}' has a dimension of ${d}`)
    return Number(d)
  })
  // Typed arrays read host (little-endian) order, so none over a big-endian file's bytes.
  const bytes = tensorBytes(model, byteOffset, byteLength, parsed.littleEndian ? TYPED_ARRAYS[type.name] : undefined)
  return Object.defineProperties(
    { name: info.name, dtype: type.name, ggmlType: info.dtype, shape, byteOffset, byteLength },
    Object.getOwnPropertyDescriptors(bytes),
  ) as GgufTensor
}

/** Opens a GGUF file (or reads one from a ModelData) and gives zero-copy tensor views. */
export function openGguf(source: string | Buffer | URL | ModelData, options: OpenGgufOptions = {}): GgufFile {
  const { lazyArraysOver = 1024, ...openOptions } = options
  const owned = !(source instanceof ModelData)
  const model = source instanceof ModelData ? source : ModelData.open(source, openOptions)
  let parsed: ParsedGguf
  try {
    parsed = parseGguf(model, { lazyArraysOver })
  } catch (err) {
    if (owned) model.close()
    throw err
  }
  const { metadata, typed } = buildMetadata(parsed)
  const byName = new Map(parsed.tensorInfos.map((info) => [info.name, info]))
  const file: GgufFile = {
    model,
    metadata,
    typedMetadata: typed,
    tensorInfos: parsed.tensorInfos.map((i) => ({ name: i.name, n_dims: i.n_dims, shape: i.shape, dtype: i.dtype, offset: i.offset })),
    tensorDataOffset: BigInt(parsed.tensorDataOffset),
    littleEndian: parsed.littleEndian,
    alignment: parsed.alignment,
    tensor(name: string) {
      const info = byName.get(name)
      if (info === undefined) throw typeError('ERR_INVALID_ARG_VALUE', `no tensor named '${name}' in ${model.path ?? 'the model'}`)
      return makeTensor(model, parsed, info)
    },
    tensors() {
      return parsed.tensorInfos.map((info) => makeTensor(model, parsed, info))
    },
    close() {
      model.close()
    },
    [Symbol.dispose]() {
      model.close()
    },
  }
  return file
}

export interface GgufParams {
  allowLocalFile?: boolean
  typedMetadata?: boolean
  computeParametersCount?: boolean
}

/**
 * Same signature and result as @huggingface/gguf's `gguf()` for a local file: switch with a
 * one-line import change. Every value is decoded eagerly (as theirs is), then the file is closed.
 */
export async function gguf(path: string, params?: GgufParams): Promise<Record<string, unknown>> {
  if (/^https?:\/\//.test(path)) throw typeError('ERR_INVALID_ARG_VALUE', 'modelmap reads local files only; use @huggingface/gguf for URLs')
  if (params?.allowLocalFile !== true) throw new Error('Access to local file is not enabled, please set allowLocalFile to true')
  const model = ModelData.open(path)
  try {
    const parsed = parseGguf(model)
    const { metadata, typed } = buildMetadata(parsed)
    const tensorInfos = parsed.tensorInfos.map((i) => ({ name: i.name, n_dims: i.n_dims, shape: i.shape, dtype: i.dtype, offset: i.offset }))
    const result: Record<string, unknown> = {
      metadata,
      tensorInfos,
      tensorDataOffset: BigInt(parsed.tensorDataOffset),
      littleEndian: parsed.littleEndian,
      tensorInfoByteRange: parsed.tensorInfoByteRange,
    }
    if (params.computeParametersCount) {
      result.parameterCount = tensorInfos.map((t) => t.shape.reduce((a, d) => a * Number(d), 1)).reduce((a, b) => a + b, 0)
    }
    if (params.typedMetadata) result.typedMetadata = typed
    return result
  } finally {
    model.close()
  }
}
