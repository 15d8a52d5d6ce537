/**
 * The GGUF header parser (versions 1-3, little- and big-endian). The file is hostile input: every
 * count, length and offset is checked against the file size before it is used, and against the
 * caller's budgets (limits.ts) before anything is allocated for it. Tensor infos are kept in
 * typed arrays (about 60 bytes a tensor besides its name); objects are made when asked for.
 */

import type { ModelDataError } from '../../errors.js'
import { invalidFormat } from '../format-error.js'
import type { ModelData } from '../../model-data.js'
import { ByteCursor } from '../cursor.js'
import { GGUF_LIMITS, limitExceeded } from '../limits.js'
import type { ResolvedLimits } from '../limits.js'
import { GGML_TYPES, GGUFValueType, VALUE_SIZE, isValueType } from './types.js'

export const GGUF_MAGIC = 0x46554747 // "GGUF" read as a little-endian u32
export const DEFAULT_ALIGNMENT = 32
/** ggml tensors have at most 4 dimensions; the format field allows more, 8 is the sanity bound. */
export const MAX_TENSOR_DIMS = 8

export type MetadataBaseValue = string | number | bigint | boolean
export type MetadataValue = MetadataBaseValue | MetadataValue[]

export interface ParsedEntry {
  key: string
  type: GGUFValueType
  /** Element type, for arrays. */
  subType?: GGUFValueType
  /** The decoded value, or a function that decodes it (lazy big arrays). */
  value: MetadataValue | (() => MetadataValue)
}

/** As @huggingface/gguf reports a tensor. */
export interface ParsedTensorInfo {
  name: string
  n_dims: number
  shape: bigint[]
  dtype: number
  offset: bigint
}

/** Every tensor info of a file, column by column. */
export class TensorTable {
  readonly names: string[] = []
  /** Tensor index by name (also how duplicates are found while parsing). */
  readonly index = new Map<string, number>()
  readonly dtypes: Uint32Array
  /** Data offsets relative to the start of the data section. */
  readonly offsets: Float64Array
  /** Where each tensor's type and offset fields are in the file (for errors that point at them). */
  readonly typeAt: Float64Array
  readonly offsetAt: Float64Array
  /** Tensor i's dimensions are dims[dimStart[i] .. dimStart[i + 1]). */
  readonly dimStart: Uint32Array
  #dims: Float64Array

  constructor(readonly count: number) {
    this.dtypes = new Uint32Array(count)
    this.offsets = new Float64Array(count)
    this.typeAt = new Float64Array(count)
    this.offsetAt = new Float64Array(count)
    this.dimStart = new Uint32Array(count + 1)
    this.#dims = new Float64Array(Math.max(4, count * 2))
  }

  /** Appends tensor `i`'s dimensions (tensors are added in order). */
  pushDims(i: number, dims: number[]): void {
    const at = this.dimStart[i]!
    if (at + dims.length > this.#dims.length) {
      const grown = new Float64Array(Math.max(this.#dims.length * 2, at + dims.length))
      grown.set(this.#dims)
      this.#dims = grown
    }
    this.#dims.set(dims, at)
    this.dimStart[i + 1] = at + dims.length
  }

  /** Every tensor's dimensions, back to back (see dimStart). */
  get dims(): Float64Array {
    return this.#dims
  }

  shape(i: number): number[] {
    const start = this.dimStart[i]!
    const end = this.dimStart[i + 1]!
    const out = new Array<number>(end - start)
    for (let d = start; d < end; d++) out[d - start] = this.#dims[d]!
    return out
  }

  /** As @huggingface/gguf gives it. */
  info(i: number): ParsedTensorInfo {
    const shape = this.shape(i).map(BigInt)
    return { name: this.names[i]!, n_dims: shape.length, shape, dtype: this.dtypes[i]!, offset: BigInt(this.offsets[i]!) }
  }
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

export function invalidGguf(model: ModelData, offset: number, problem: string): ModelDataError {
  return invalidFormat(model, 'GGUF', offset, problem)
}

/** Counts array elements decoded in one pass (the whole eager parse, or one lazy array). */
interface ElementBudget {
  used: number
}

/**
 * Reads values at explicit offsets; every read checks the bytes exist (and fit the budget) first.
 * `what` names the field in error messages only. Callers pass strings they already have (a key)
 * or constants, never one built per call: a header of 200k tensors or a 256k-token vocabulary
 * would otherwise make a million throwaway strings.
 */
class GgufReader {
  readonly cursor: ByteCursor
  readonly sizeBytes: number

  constructor(
    readonly model: ModelData,
    readonly version: 1 | 2 | 3,
    readonly le: boolean,
    cursor: ByteCursor,
    readonly limits: ResolvedLimits,
  ) {
    this.cursor = cursor
    this.sizeBytes = version === 1 ? 4 : 8
  }

  fail(offset: number, problem: string): ModelDataError {
    return invalidGguf(this.model, offset, problem)
  }

  over(limit: keyof ResolvedLimits, value: number | string, offset: number): ModelDataError {
    return limitExceeded(this.model, 'GGUF', limit, value, this.limits[limit], offset)
  }

  u32(offset: number, what: string): number {
    this.cursor.ensure(offset, 4, what)
    return this.cursor.view.getUint32(offset, this.le)
  }

  /** A u64 (or u32 in version 1) count, length or offset, as a safe integer. */
  size(offset: number, what: string): number {
    if (this.version === 1) return this.u32(offset, what)
    return this.u64(offset, what)
  }

  /** A u64 as a safe integer; anything from 2^53 up is larger than any file. */
  u64(offset: number, what: string): number {
    this.cursor.ensure(offset, 8, what)
    const view = this.cursor.view
    const lo = view.getUint32(offset + (this.le ? 0 : 4), this.le)
    const hi = view.getUint32(offset + (this.le ? 4 : 0), this.le)
    if (hi >= 0x200000) throw this.fail(offset, `${what} ${(BigInt(hi) << 32n) | BigInt(lo)} is larger than any file`)
    return hi * 0x100000000 + lo
  }

  /** The length of a string at `offset`, checked against the file and the budget. */
  stringLength(offset: number, what: string): number {
    const length = this.size(offset, what)
    const start = offset + this.sizeBytes
    if (length > this.cursor.fileSize - start) throw this.fail(offset, `${what} claims ${length} bytes but only ${Math.max(0, this.cursor.fileSize - start)} remain`)
    if (length > this.limits.maxStringBytes) throw this.over('maxStringBytes', length, offset)
    return length
  }

  /** A string at `offset`: [value, bytes consumed]. */
  string(offset: number, what: string): [string, number] {
    const length = this.stringLength(offset, what)
    const start = offset + this.sizeBytes
    this.cursor.ensure(start, length, what)
    return [this.cursor.bytes.toString('utf8', start, start + length), this.sizeBytes + length]
  }

  /** Bytes a string occupies, without decoding it. */
  skipString(offset: number, what: string): number {
    const length = this.stringLength(offset, what)
    this.cursor.ensure(offset + this.sizeBytes, length, what)
    return this.sizeBytes + length
  }

  scalar(type: GGUFValueType, offset: number, what: string): [MetadataBaseValue, number] {
    if (type === GGUFValueType.STRING) return this.string(offset, what)
    const size = VALUE_SIZE[type]!
    this.cursor.ensure(offset, size, what)
    const v = this.cursor.view
    switch (type) {
      case GGUFValueType.UINT8:
        return [v.getUint8(offset), 1]
      case GGUFValueType.INT8:
        return [v.getInt8(offset), 1]
      case GGUFValueType.UINT16:
        return [v.getUint16(offset, this.le), 2]
      case GGUFValueType.INT16:
        return [v.getInt16(offset, this.le), 2]
      case GGUFValueType.UINT32:
        return [v.getUint32(offset, this.le), 4]
      case GGUFValueType.INT32:
        return [v.getInt32(offset, this.le), 4]
      case GGUFValueType.FLOAT32:
        return [v.getFloat32(offset, this.le), 4]
      case GGUFValueType.BOOL:
        return [v.getUint8(offset) !== 0, 1]
      case GGUFValueType.UINT64:
        return [v.getBigUint64(offset, this.le), 8]
      case GGUFValueType.INT64:
        return [v.getBigInt64(offset, this.le), 8]
      case GGUFValueType.FLOAT64:
        return [v.getFloat64(offset, this.le), 8]
      default:
        throw this.fail(offset, `${what} has value type ${type as number}, which is not scalar`)
    }
  }

  /** The header of an array value: element type, count, where elements start. */
  arrayHeader(offset: number, what: string, depth: number): { subType: GGUFValueType; count: number; start: number } {
    if (depth >= this.limits.maxDepth) throw this.over('maxDepth', `${what}: more than ${this.limits.maxDepth}`, offset)
    const subType = this.u32(offset, what)
    if (!isValueType(subType)) throw this.fail(offset, `${what} has unknown element type ${subType}`)
    const count = this.size(offset + 4, what)
    const start = offset + 4 + this.sizeBytes
    // The smallest element (a string's length field, an array's header, or a fixed value) times
    // the count must fit in what is left: checked before anything is allocated for it.
    const minElement = VALUE_SIZE[subType] ?? (subType === GGUFValueType.STRING ? this.sizeBytes : 4 + this.sizeBytes)
    if (count * minElement > this.cursor.fileSize - start) {
      throw this.fail(offset, `${what} claims ${count} elements of type ${GGUFValueType[subType]}, more than the ${Math.max(0, this.cursor.fileSize - start)} remaining bytes can hold`)
    }
    return { subType, count, start }
  }

  /** A value of any type: [value, bytes consumed]. Decoded array elements count against `budget`. */
  value(type: GGUFValueType, offset: number, what: string, depth: number, budget: ElementBudget): [MetadataValue, number] {
    if (type !== GGUFValueType.ARRAY) return this.scalar(type, offset, what)
    const { subType, count, start } = this.arrayHeader(offset, what, depth)
    budget.used += count
    if (budget.used > this.limits.maxArrayElements) throw this.over('maxArrayElements', `${budget.used} (counting ${what})`, offset)
    const out: MetadataValue[] = new Array(count)
    let at = start
    if (subType === GGUFValueType.STRING) {
      for (let i = 0; i < count; i++) {
        const [s, n] = this.string(at, what)
        out[i] = s
        at += n
      }
    } else if (subType === GGUFValueType.ARRAY) {
      for (let i = 0; i < count; i++) {
        const [v, n] = this.value(GGUFValueType.ARRAY, at, what, depth + 1, budget)
        out[i] = v
        at += n
      }
    } else {
      const size = VALUE_SIZE[subType]!
      this.cursor.ensure(start, count * size, what)
      for (let i = 0; i < count; i++) out[i] = this.scalar(subType, start + i * size, what)[0]
      at = start + count * size
    }
    return [out, at - offset]
  }

  /** Bytes an array occupies, walking string lengths and nested arrays but decoding nothing. */
  skipArray(offset: number, what: string, depth: number): number {
    const { subType, count, start } = this.arrayHeader(offset, what, depth)
    let at = start
    if (subType === GGUFValueType.STRING) {
      for (let i = 0; i < count; i++) at += this.skipString(at, what)
    } else if (subType === GGUFValueType.ARRAY) {
      for (let i = 0; i < count; i++) at += this.skipArray(at, what, depth + 1)
    } else {
      at += count * VALUE_SIZE[subType]!
      this.cursor.ensure(start, at - start, what)
    }
    return at - offset
  }
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

/** Byte length of a tensor of `dtype` and `shape`, or a description of why there is none. */
export function tensorByteLength(dtype: number, shape: readonly bigint[]): bigint | string {
  const type = GGML_TYPES.get(dtype)
  if (type === undefined) return `unknown ggml type ${dtype}`
  const elements = shape.reduce((a, b) => a * b, 1n)
  const rowLength = shape[0] ?? 1n
  if (rowLength % BigInt(type.blockSize) !== 0n) return `row length ${rowLength} is not a multiple of ${type.name}'s block size ${type.blockSize}`
  return (elements / BigInt(type.blockSize)) * BigInt(type.typeSize)
}

/**
 * Byte length of tensor `i` of a table, or why there is none. In plain numbers while the element
 * count is a safe integer (no garbage per tensor: a file may list 200k of them), in bigints past it.
 */
function tableLength(table: TensorTable, i: number): number | bigint | string {
  const type = GGML_TYPES.get(table.dtypes[i]!)
  if (type === undefined) return `unknown ggml type ${table.dtypes[i]!}`
  const start = table.dimStart[i]!
  const end = table.dimStart[i + 1]!
  const dims = table.dims
  const rowLength = end > start ? dims[start]! : 1
  if (rowLength % type.blockSize !== 0) return `row length ${rowLength} is not a multiple of ${type.name}'s block size ${type.blockSize}`
  let elements = 1
  for (let d = start; d < end; d++) elements *= dims[d]!
  if (Number.isSafeInteger(elements * type.typeSize)) return (elements / type.blockSize) * type.typeSize
  return tensorByteLength(table.dtypes[i]!, table.shape(i).map(BigInt))
}

/** Byte length of tensor `i` of a parsed table (checked by parseGguf, so a safe number). */
export function tableTensorByteLength(table: TensorTable, i: number): number {
  return Number(tableLength(table, i))
}

function checkTensorData(
  model: ModelData,
  table: TensorTable,
  dataOffset: number,
  alignment: number,
  fail: (offset: number, problem: string) => Error,
): void {
  const size = model.byteLength
  const starts = new Float64Array(table.count)
  const ends = new Float64Array(table.count)
  for (let i = 0; i < table.count; i++) {
    const name = table.names[i]!
    const length = tableLength(table, i)
    if (typeof length === 'string') throw fail(table.typeAt[i]!, `tensor '${name}': ${length}`)
    const offset = table.offsets[i]!
    if (offset % alignment !== 0) throw fail(table.offsetAt[i]!, `tensor '${name}' data offset ${offset} is not aligned to ${alignment}`)
    const start = dataOffset + offset
    if (typeof length === 'bigint' || start + length > size) {
      throw fail(table.offsetAt[i]!, `tensor '${name}' data [${start}, ${BigInt(start) + BigInt(length)}) lies past the end of the ${size}-byte file`)
    }
    starts[i] = start
    ends[i] = start + length
  }
  const order = new Uint32Array(table.count).map((_, i) => i)
  order.sort((a, b) => starts[a]! - starts[b]! || ends[a]! - ends[b]!)
  // Empty tensors occupy nothing and may share an offset; any other overlap is an error.
  let furthest = -1
  let furthestName = ''
  for (const i of order) {
    const [start, end] = [starts[i]!, ends[i]!]
    if (end === start) continue
    if (start < furthest) throw fail(table.offsetAt[i]!, `tensors '${furthestName}' and '${table.names[i]!}' overlap`)
    if (end > furthest) {
      furthest = end
      furthestName = table.names[i]!
    }
  }
}
