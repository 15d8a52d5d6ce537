/**
 * The tensor infos of a GGUF file, column by column in typed arrays (about 60 bytes a tensor
 * besides its name: a header may list 200k tensors), their byte lengths, and the checks that
 * their data lies inside the file without overlapping.
 */

import type { ModelData } from '../../model-data.js'
import { GGML_TYPES } from './types.js'

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

/** Every tensor's data is inside the file, aligned, and overlaps no other (empty ones excepted). */
export function checkTensorData(
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
