/** `openGguf` (zero-copy tensor views) and `gguf` (a drop-in for @huggingface/gguf on local files). */

import { ModelData } from '../../model-data.js'
import type { OpenOptions } from '../../model-data.js'
import { typeError } from '../../errors.js'
import { GGUF_LIMITS, resolveLimits } from '../limits.js'
import type { ParseLimits } from '../limits.js'
import { parseGguf, tableTensorByteLength } from './parse.js'
import type { MetadataValue, ParsedGguf } from './parse.js'
import { GGML_TYPES, GGUFValueType, TYPED_ARRAYS } from './types.js'
import type { TensorArray } from './types.js'
import { TensorView } from '../tensor-view.js'

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

/** One tensor: its description as own fields; `data` and `array` made on first access. */
export class GgufTensor extends TensorView<TensorArray> {
  /** ggml type id, as in tensorInfos (`dtype` is its name: 'F32', 'Q4_K', ...). */
  readonly ggmlType: number

  constructor(model: ModelData, parsed: ParsedGguf, i: number) {
    const table = parsed.tensors
    const ggmlType = table.dtypes[i]!
    const type = GGML_TYPES.get(ggmlType)!
    // Typed arrays read host (little-endian) order, so none over a big-endian file's bytes.
    const Ctor = parsed.littleEndian ? TYPED_ARRAYS[type.name] : undefined
    super(model, table.names[i]!, type.name, table.shape(i), parsed.tensorDataOffset + table.offsets[i]!, tableTensorByteLength(table, i), Ctor, {
      littleEndian: parsed.littleEndian,
      rowsAlongLast: true,
      format: 'gguf',
    })
    this.ggmlType = ggmlType
  }
}

export interface GgufFile {
  model: ModelData
  metadata: GGUFMetadata
  typedMetadata: GGUFTypedMetadata
  tensorInfos: GGUFTensorInfo[]
  /** Tensor names in file order (no objects made per tensor, unlike tensorInfos). */
  tensorNames: readonly string[]
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
  /** Parsing budgets (README, "Limits"); raise one for a trusted file that needs it. */
  limits?: ParseLimits
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

/**
 * `metadata` now; `typedMetadata` only when asked for (a function): a file with many keys would
 * otherwise pay for a second object per key that most callers never read. Lazily decoded arrays
 * are decoded once, whichever of the two reads them first.
 */
function buildMetadata(parsed: ParsedGguf): { metadata: GGUFMetadata; typed: () => GGUFTypedMetadata } {
  const metadata: Record<string, unknown> = { version: parsed.version, tensor_count: parsed.tensorCount, kv_count: parsed.kvCount }
  const lazy = new Map<string, () => MetadataValue>()
  for (const entry of parsed.entries) {
    const { key, value } = entry
    if (typeof value === 'function') {
      let cached: { v: MetadataValue } | undefined
      const decode = () => (cached ??= { v: value() }).v
      lazy.set(key, decode)
      defineLazy(metadata, key, decode)
    } else {
      metadata[key] = value
    }
  }
  const typed = (): GGUFTypedMetadata => {
    const countType = parsed.version === 1 ? GGUFValueType.UINT32 : GGUFValueType.UINT64
    const out: Record<string, unknown> = {
      version: { value: parsed.version, type: GGUFValueType.UINT32 },
      tensor_count: { value: parsed.tensorCount, type: countType },
      kv_count: { value: parsed.kvCount, type: countType },
    }
    for (const { key, type, subType, value } of parsed.entries) {
      const decode = lazy.get(key)
      if (decode !== undefined) {
        const typedEntry: Record<string, unknown> = { type, subType }
        defineLazy(typedEntry, 'value', decode)
        out[key] = typedEntry
      } else {
        out[key] = subType === undefined ? { value, type } : { value, type, subType }
      }
    }
    return out as GGUFTypedMetadata
  }
  return { metadata: metadata as GGUFMetadata, typed }
}

/** Opens a GGUF file (or reads one from a ModelData) and gives zero-copy tensor views. */
export function openGguf(source: string | Buffer | URL | ModelData, options: OpenGgufOptions = {}): GgufFile {
  const { lazyArraysOver = 1024, limits: givenLimits, ...openOptions } = options
  const limits = resolveLimits(givenLimits, GGUF_LIMITS)
  const owned = !(source instanceof ModelData)
  const model = source instanceof ModelData ? source : ModelData.open(source, openOptions)
  let parsed: ParsedGguf
  try {
    parsed = parseGguf(model, { lazyArraysOver, limits })
  } catch (err) {
    if (owned) model.close()
    throw err
  }
  const { metadata, typed } = buildMetadata(parsed)
  const table = parsed.tensors
  const file: Omit<GgufFile, 'typedMetadata' | 'tensorInfos'> = {
    model,
    metadata,
    tensorNames: table.names,
    tensorDataOffset: BigInt(parsed.tensorDataOffset),
    littleEndian: parsed.littleEndian,
    alignment: parsed.alignment,
    tensor(name: string) {
      const i = table.index.get(name)
      if (i === undefined) throw typeError('ERR_INVALID_ARG_VALUE', `no tensor named '${name}' in ${model.path ?? 'the model'}`)
      return new GgufTensor(model, parsed, i)
    },
    tensors() {
      return Array.from({ length: table.count }, (_, i) => new GgufTensor(model, parsed, i))
    },
    close() {
      model.close()
    },
    [Symbol.dispose]() {
      model.close()
    },
  }
  defineLazy(file as unknown as Record<string, unknown>, 'typedMetadata', typed)
  // As @huggingface/gguf gives them; made on first access (a file may list 100k tensors).
  defineLazy(file as unknown as Record<string, unknown>, 'tensorInfos', () => Array.from({ length: table.count }, (_, i) => table.info(i)))
  return file as GgufFile
}

export interface GgufParams {
  allowLocalFile?: boolean
  typedMetadata?: boolean
  computeParametersCount?: boolean
  /** Parsing budgets (README, "Limits"). Not in @huggingface/gguf: modelmap's own. */
  limits?: ParseLimits
}

/**
 * Same signature and result as @huggingface/gguf's `gguf()` for a local file: switch with a
 * one-line import change. Every value is decoded eagerly (as theirs is), then the file is closed.
 */
export async function gguf(path: string, params?: GgufParams): Promise<Record<string, unknown>> {
  if (/^https?:\/\//.test(path)) throw typeError('ERR_INVALID_ARG_VALUE', 'modelmap reads local files only; use @huggingface/gguf for URLs')
  if (params?.allowLocalFile !== true) throw new Error('Access to local file is not enabled, please set allowLocalFile to true')
  const limits = resolveLimits(params.limits, GGUF_LIMITS)
  const model = ModelData.open(path)
  try {
    const parsed = parseGguf(model, { limits })
    const { metadata, typed } = buildMetadata(parsed)
    const tensorInfos = Array.from({ length: parsed.tensors.count }, (_, i) => parsed.tensors.info(i))
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
    if (params.typedMetadata) result.typedMetadata = typed()
    return result
  } finally {
    model.close()
  }
}
