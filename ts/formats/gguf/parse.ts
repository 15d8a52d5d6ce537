/**
 * The GGUF header parser (versions 1-3, little- and big-endian): preamble, metadata entries and
 * tensor infos, in file order. The file is hostile input: every count, length and offset is
 * checked against the file size before it is used (value-reader.ts), and against the caller's
 * budgets (limits.ts) before anything is allocated for it. Tensor infos go into a TensorTable
 * (tensor-table.ts); objects are made when asked for.
 */

import type { ModelData } from '../../model-data.js'
import { ByteCursor } from '../cursor.js'
import { GGUF_LIMITS, limitExceeded } from '../limits.js'
import type { ResolvedLimits } from '../limits.js'
import { checkTensorData, TensorTable } from './tensor-table.js'
import { GGUFValueType, isValueType } from './types.js'
import { GgufReader, invalidGguf } from './value-reader.js'
import type { ElementBudget, MetadataValue } from './value-reader.js'

export type { MetadataBaseValue, MetadataValue } from './value-reader.js'
export { tableTensorByteLength, tensorByteLength } from './tensor-table.js'
export type { ParsedTensorInfo } from './tensor-table.js'

export const GGUF_MAGIC = 0x46554747 // "GGUF" read as a little-endian u32
export const DEFAULT_ALIGNMENT = 32
/** ggml tensors have at most 4 dimensions; the format field allows more, 8 is the sanity bound. */
export const MAX_TENSOR_DIMS = 8

export interface ParsedEntry {
  key: string
  type: GGUFValueType
  /** Element type, for arrays. */
  subType?: GGUFValueType
  /** The decoded value, or a function that decodes it (lazy big arrays). */
  value: MetadataValue | (() => MetadataValue)
}

export interface ParsedGguf {
  version: 1 | 2 | 3
  littleEndian: boolean
  tensorCount: bigint
  kvCount: bigint
  entries: ParsedEntry[]
  tensors: TensorTable
  tensorInfoByteRange: [number, number]
  alignment: number
  tensorDataOffset: number
}

export interface ParseOptions {
  /** Arrays with more elements than this are decoded on first access (default: never lazy). */
  lazyArraysOver?: number
  /** Budgets (limits.ts); GGUF_LIMITS by default. */
  limits?: ResolvedLimits
}

/** Magic, version and byte order from the first 8 bytes. */
function readPreamble(model: ModelData, cursor: ByteCursor): { version: 1 | 2 | 3; le: boolean } {
  cursor.ensure(0, 8, 'the GGUF preamble (magic + version)')
  const view = cursor.view
  if (view.getUint32(0, true) !== GGUF_MAGIC) {
    throw invalidGguf(model, 0, `bad magic ${cursor.bytes.subarray(0, 4).toString('hex')} (expected 47475546, "GGUF")`)
  }
  // A big-endian file's version reads as a multiple of 2^16 in little-endian.
  const asLe = view.getUint32(4, true)
  const le = (asLe & 0xffff) !== 0
  const version = le ? asLe : view.getUint32(4, false)
  if (version !== 1 && version !== 2 && version !== 3) throw invalidGguf(model, 4, `unsupported version ${version}`)
  return { version, le }
}

export function parseGguf(model: ModelData, options: ParseOptions = {}): ParsedGguf {
  const limits = options.limits ?? GGUF_LIMITS
  const fail = (offset: number, problem: string) => invalidGguf(model, offset, problem)
  if (model.byteLength < 8) throw fail(0, `the file is ${model.byteLength} bytes, too short for a GGUF header`)
  const cursor = new ByteCursor(model, fail, limits.maxHeaderBytes, (end) =>
    limitExceeded(model, 'GGUF', 'maxHeaderBytes', `at least ${end}`, limits.maxHeaderBytes, limits.maxHeaderBytes),
  )
  const { version, le } = readPreamble(model, cursor)
  const r = new GgufReader(model, version, le, cursor, limits)
  const lazyOver = options.lazyArraysOver ?? Infinity

  let offset = 8
  const tensorCount = r.size(offset, 'tensor count')
  const kvCount = r.size(offset + r.sizeBytes, 'metadata key/value count')
  // Each key/value needs at least a key length, a type and one value byte; each tensor info at
  // least a name length, n_dims, a type and an offset. A claim the file's bytes cannot hold is a
  // corrupt file, not a big one: ERR_MODELMAP_INVALID_GGUF before any limit is blamed.
  const minKv = r.sizeBytes + 4 + 1
  const minTensor = r.sizeBytes + 4 + 4 + 8
  const room = model.byteLength - offset - 2 * r.sizeBytes
  if (kvCount * minKv + tensorCount * minTensor > room) {
    throw fail(8, `claims ${kvCount} metadata entries and ${tensorCount} tensors, more than the ${model.byteLength}-byte file can hold (they need at least ${kvCount * minKv + tensorCount * minTensor} bytes)`)
  }
  if (tensorCount > limits.maxTensors) throw r.over('maxTensors', tensorCount, offset)
  offset += r.sizeBytes
  if (kvCount > limits.maxMetadataEntries) throw r.over('maxMetadataEntries', kvCount, offset)
  offset += r.sizeBytes

  const eager: ElementBudget = { used: 0 }
  const entries: ParsedEntry[] = []
  const seen = new Set<string>()
  for (let i = 0; i < kvCount; i++) {
    const keyAt = offset
    const [key, keyBytes] = r.string(offset, 'a metadata key')
    if (seen.has(key)) throw fail(keyAt, `duplicate metadata key '${key}'`)
    seen.add(key)
    offset += keyBytes
    const typeAt = offset
    const type = r.u32(offset, key)
    if (!isValueType(type)) throw fail(typeAt, `metadata '${key}' has unknown value type ${type}`)
    offset += 4
    if (type === GGUFValueType.ARRAY) {
      const { subType, count } = r.arrayHeader(offset, key, 0)
      if (count > lazyOver) {
        const at = offset
        const length = r.skipArray(at, key, 0)
        // Decoded on first access, with a budget of its own (the caller asked for this array).
        entries.push({ key, type, subType, value: () => r.value(GGUFValueType.ARRAY, at, key, 0, { used: 0 })[0] })
        offset += length
        continue
      }
      const [value, n] = r.value(type, offset, key, 0, eager)
      entries.push({ key, type, subType, value })
      offset += n
    } else {
      const [value, n] = r.value(type, offset, key, 0, eager)
      entries.push({ key, type, value })
      offset += n
    }
  }

  const infoStart = offset
  const tensors = new TensorTable(tensorCount)
  const dims: number[] = []
  for (let i = 0; i < tensorCount; i++) {
    const nameAt = offset
    const nameLength = r.stringLength(offset, 'a tensor name')
    const nameStart = offset + r.sizeBytes
    cursor.ensure(nameStart, nameLength, 'a tensor name')
    const name = cursor.bytes.toString('utf8', nameStart, nameStart + nameLength)
    if (tensors.index.has(name)) throw fail(nameAt, `duplicate tensor name '${name}'`)
    tensors.index.set(name, i)
    tensors.names.push(name)
    offset = nameStart + nameLength
    const nDims = r.u32(offset, 'a tensor n_dims')
    if (nDims > MAX_TENSOR_DIMS) throw fail(offset, `tensor '${name}' has ${nDims} dimensions (at most ${MAX_TENSOR_DIMS})`)
    offset += 4
    dims.length = 0
    for (let d = 0; d < nDims; d++) {
      dims.push(r.size(offset, 'a tensor dimension'))
      offset += r.sizeBytes
    }
    tensors.pushDims(i, dims)
    tensors.typeAt[i] = offset
    tensors.dtypes[i] = r.u32(offset, 'a tensor type')
    offset += 4
    tensors.offsetAt[i] = offset
    tensors.offsets[i] = r.u64(offset, 'a tensor data offset')
    offset += 8
  }
  const infoEnd = offset

  const alignEntry = entries.find((e) => e.key === 'general.alignment')
  let alignment = DEFAULT_ALIGNMENT
  if (alignEntry !== undefined) {
    const v = alignEntry.value
    const n = typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : NaN
    if (!Number.isSafeInteger(n) || n <= 0 || (n & (n - 1)) !== 0 || n > 1 << 30) {
      throw fail(8, `general.alignment must be a power of two, got ${String(v)}`)
    }
    alignment = n
  }
  const tensorDataOffset = Math.ceil(infoEnd / alignment) * alignment
  checkTensorData(model, tensors, tensorDataOffset, alignment, fail)

  return {
    version,
    littleEndian: le,
    tensorCount: BigInt(tensorCount),
    kvCount: BigInt(kvCount),
    entries,
    tensors,
    tensorInfoByteRange: [infoStart, infoEnd],
    alignment,
    tensorDataOffset,
  }
}

