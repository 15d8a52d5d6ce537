/**
 * `writeGguf`: streams a GGUF file (header, then each tensor's bytes, padded to the alignment).
 * Written to a temporary name beside the target and renamed into place, so a crash never leaves
 * a half-written file under the final name.
 */

import * as fs from 'node:fs'
import * as path from 'node:path'

import { typeError } from '../../errors.js'
import { byteCount, oneOf, optionsObject } from '../../validate.js'
import { GGUF_LIMITS } from '../limits.js'
import { DEFAULT_ALIGNMENT, tensorByteLength } from './parse.js'
import type { MetadataValue } from './parse.js'
import { GGML_TYPE_IDS, GGUFValueType, VALUE_SIZE } from './types.js'

export interface WriteMetadataEntry {
  type: GGUFValueType
  /** Element type for arrays (nested arrays: the innermost is inferred from the values' entries). */
  subType?: GGUFValueType
  value: MetadataValue
}

export interface WriteTensor {
  name: string
  /** ggml type name ('F32') or id. */
  dtype: string | number
  shape: number[]
  /** The tensor's bytes, or a byte count of zeros (written as a hole: sparse where the filesystem can). */
  data: Uint8Array | number
}

export interface WriteGgufOptions {
  version?: 1 | 2 | 3
  littleEndian?: boolean
  /** Key/values in file order. `general.alignment` here sets the tensor alignment (a power of two). */
  metadata: Record<string, WriteMetadataEntry>
  tensors?: WriteTensor[]
  /**
   * Deepest array nesting allowed (default 4, what the reader accepts by default): a deeper
   * value is refused rather than written into a file that openGguf would then refuse.
   */
  maxDepth?: number
}

class Sink {
  #fd: number
  #buf = Buffer.allocUnsafe(1 << 16)
  #used = 0
  written = 0

  constructor(fd: number) {
    this.#fd = fd
  }

  reserve(n: number): Buffer {
    if (this.#used + n > this.#buf.length) this.flush()
    if (n > this.#buf.length) this.#buf = Buffer.allocUnsafe(n)
    const slice = this.#buf.subarray(this.#used, this.#used + n)
    this.#used += n
    this.written += n
    return slice
  }

  /** Where the buffered bytes start in the file. */
  #flushedTo = 0

  bytes(data: Uint8Array): void {
    if (data.length > 1 << 16) {
      this.flush()
      let done = 0
      while (done < data.length) done += fs.writeSync(this.#fd, data, done, data.length - done, this.#flushedTo + done)
      this.written += data.length
      this.#flushedTo = this.written
    } else this.reserve(data.length).set(data)
  }

  /** Leaves `n` zero bytes as a hole. */
  skip(n: number): void {
    this.flush()
    this.written += n
    this.#flushedTo = this.written
  }

  flush(): void {
    let done = 0
    while (done < this.#used) done += fs.writeSync(this.#fd, this.#buf, done, this.#used - done, this.#flushedTo + done)
    this.#flushedTo += this.#used
    this.#used = 0
  }
}

class Encoder {
  constructor(
    readonly sink: Sink,
    readonly version: 1 | 2 | 3,
    readonly le: boolean,
    readonly maxDepth: number,
  ) {}

  u32(n: number): void {
    const b = this.sink.reserve(4)
    if (this.le) b.writeUInt32LE(n)
    else b.writeUInt32BE(n)
  }

  u64(n: bigint): void {
    const b = this.sink.reserve(8)
    if (this.le) b.writeBigUInt64LE(n)
    else b.writeBigUInt64BE(n)
  }

  size(n: number): void {
    if (this.version === 1) this.u32(n)
    else this.u64(BigInt(n))
  }

  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8')
    this.size(bytes.length)
    this.sink.bytes(bytes)
  }

  scalar(type: GGUFValueType, v: MetadataValue, key: string): void {
    const le = this.le
    const need = (kind: string, ok: boolean) => {
      if (!ok) throw typeError('ERR_INVALID_ARG_VALUE', `metadata '${key}': ${String(v)} is not a valid ${kind}`)
    }
    if (type === GGUFValueType.STRING) {
      need('string', typeof v === 'string')
      return this.string(v as string)
    }
    const size = VALUE_SIZE[type]
    if (size === undefined) throw typeError('ERR_INVALID_ARG_VALUE', `metadata '${key}': type ${type} is not a scalar type`)
    const b = this.sink.reserve(size)
    switch (type) {
      case GGUFValueType.BOOL:
        need('bool', typeof v === 'boolean')
        b.writeUInt8(v ? 1 : 0)
        return
      case GGUFValueType.UINT64:
      case GGUFValueType.INT64: {
        need('64-bit integer (bigint)', typeof v === 'bigint')
        if (type === GGUFValueType.UINT64) le ? b.writeBigUInt64LE(v as bigint) : b.writeBigUInt64BE(v as bigint)
        else le ? b.writeBigInt64LE(v as bigint) : b.writeBigInt64BE(v as bigint)
        return
      }
    }
    need('number', typeof v === 'number')
    const n = v as number
    switch (type) {
      case GGUFValueType.UINT8:
        return void b.writeUInt8(n)
      case GGUFValueType.INT8:
        return void b.writeInt8(n)
      case GGUFValueType.UINT16:
        return void (le ? b.writeUInt16LE(n) : b.writeUInt16BE(n))
      case GGUFValueType.INT16:
        return void (le ? b.writeInt16LE(n) : b.writeInt16BE(n))
      case GGUFValueType.UINT32:
        return void (le ? b.writeUInt32LE(n) : b.writeUInt32BE(n))
      case GGUFValueType.INT32:
        return void (le ? b.writeInt32LE(n) : b.writeInt32BE(n))
      case GGUFValueType.FLOAT32:
        return void (le ? b.writeFloatLE(n) : b.writeFloatBE(n))
      case GGUFValueType.FLOAT64:
        return void (le ? b.writeDoubleLE(n) : b.writeDoubleBE(n))
    }
  }

  value(type: GGUFValueType, subType: GGUFValueType | undefined, v: MetadataValue, key: string, depth = 0): void {
    if (type !== GGUFValueType.ARRAY) return this.scalar(type, v, key)
    if (depth >= this.maxDepth) {
      throw typeError('ERR_INVALID_ARG_VALUE', `metadata '${key}': arrays nest deeper than ${this.maxDepth}, which openGguf refuses by default (raise maxDepth here and limits.maxDepth when reading)`)
    }
    if (!Array.isArray(v)) throw typeError('ERR_INVALID_ARG_VALUE', `metadata '${key}': an ARRAY value must be an array`)
    if (subType === undefined) throw typeError('ERR_INVALID_ARG_VALUE', `metadata '${key}': an ARRAY needs a subType`)
    this.u32(subType)
    this.size(v.length)
    for (const item of v) {
      // Nested arrays: each inner array's element type comes from its typedArrayValue() tag,
      // or is inferred from its first element (see innerType).
      this.value(subType, subType === GGUFValueType.ARRAY ? innerType(item, key) : undefined, item, key, depth + 1)
    }
  }
}

/** For nested arrays the element type of an inner array is carried as its `gguf:subType` tag. */
export const INNER_TYPE = Symbol.for('modelmap.gguf.innerType')

function innerType(item: MetadataValue, key: string): GGUFValueType {
  const tagged = (item as unknown as { [INNER_TYPE]?: GGUFValueType })[INNER_TYPE]
  if (tagged !== undefined) return tagged
  if (Array.isArray(item) && item.length === 0) return GGUFValueType.UINT8
  const first = Array.isArray(item) ? item[0] : undefined
  if (typeof first === 'string') return GGUFValueType.STRING
  if (typeof first === 'boolean') return GGUFValueType.BOOL
  if (typeof first === 'bigint') return GGUFValueType.INT64
  if (Array.isArray(first)) return GGUFValueType.ARRAY
  if (typeof first === 'number') return Number.isInteger(first) ? GGUFValueType.INT32 : GGUFValueType.FLOAT32
  throw typeError('ERR_INVALID_ARG_VALUE', `metadata '${key}': cannot infer the element type of a nested array`)
}

/** Tags a nested array with its element type, for writeGguf. */
export function typedArrayValue<T extends MetadataValue[]>(items: T, type: GGUFValueType): T {
  Object.defineProperty(items, INNER_TYPE, { value: type, enumerable: false })
  return items
}

/** The options, checked before anything is written. */
function checkOptions(target: unknown, given: unknown): { options: WriteGgufOptions; version: 1 | 2 | 3; le: boolean; alignment: number; maxDepth: number } {
  if (typeof target !== 'string' || target.length === 0) {
    throw typeError('ERR_INVALID_ARG_TYPE', `The "target" argument must be a non-empty string path. Received ${typeof target}`)
  }
  const options = optionsObject('options', given) as unknown as WriteGgufOptions
  if (given === undefined) throw typeError('ERR_INVALID_ARG_TYPE', 'The "options" argument must be an object with metadata')
  const version = oneOf('version', options.version === undefined ? undefined : String(options.version), ['1', '2', '3'] as const, '3')
  if (options.littleEndian !== undefined && typeof options.littleEndian !== 'boolean') {
    throw typeError('ERR_INVALID_ARG_TYPE', `The "littleEndian" option must be a boolean. Received ${typeof options.littleEndian}`)
  }
  optionsObject('metadata', options.metadata ?? null)
  if (options.tensors !== undefined && !Array.isArray(options.tensors)) throw typeError('ERR_INVALID_ARG_TYPE', 'The "tensors" option must be an array')
  const maxDepth = options.maxDepth === undefined ? GGUF_LIMITS.maxDepth : byteCount('maxDepth', options.maxDepth)
  const alignmentEntry = options.metadata['general.alignment']
  const alignment = alignmentEntry === undefined ? DEFAULT_ALIGNMENT : Number(alignmentEntry.value)
  // The reader's rule: a power of two, at most 2^30.
  if (!Number.isSafeInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0 || alignment > 1 << 30) {
    throw typeError('ERR_INVALID_ARG_VALUE', `general.alignment must be a power of two up to 2^30. Received ${String(alignmentEntry?.value)}`)
  }
  return { options, version: Number(version) as 1 | 2 | 3, le: options.littleEndian ?? true, alignment, maxDepth }
}

/**
 * Writes a GGUF file to a temporary file beside `target`, then renames it over `target`: a
 * reader never sees half a file, and a failure anywhere (bad options, a full disk, a rename
 * refused) leaves no temporary file behind.
 */
export function writeGguf(target: string, given: WriteGgufOptions): void {
  const { options, version, le, alignment, maxDepth } = checkOptions(target, given)
  const tensors = options.tensors ?? []

  // Tensor offsets, each aligned, in the order given.
  let next = 0
  const layout = tensors.map((t) => {
    const dtype = typeof t.dtype === 'number' ? t.dtype : GGML_TYPE_IDS.get(t.dtype)
    if (dtype === undefined) throw typeError('ERR_INVALID_ARG_VALUE', `tensor '${t.name}': unknown dtype ${String(t.dtype)}`)
    const expected = tensorByteLength(dtype, t.shape.map(BigInt))
    if (typeof expected === 'string') throw typeError('ERR_INVALID_ARG_VALUE', `tensor '${t.name}': ${expected}`)
    const length = typeof t.data === 'number' ? t.data : t.data.length
    if (BigInt(length) !== expected) throw typeError('ERR_INVALID_ARG_VALUE', `tensor '${t.name}': data is ${length} bytes, its dtype and shape need ${expected}`)
    const offset = next
    next = Math.ceil((offset + length) / alignment) * alignment
    return { ...t, dtype, offset }
  })

  const dir = path.dirname(path.resolve(target))
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`)
  const fd = fs.openSync(tmp, 'wx')
  try {
    const sink = new Sink(fd)
    const enc = new Encoder(sink, version, le, maxDepth)
    sink.reserve(4).set([0x47, 0x47, 0x55, 0x46])
    enc.u32(version)
    enc.size(layout.length)
    const entries = Object.entries(options.metadata)
    enc.size(entries.length)
    for (const [key, entry] of entries) {
      enc.string(key)
      enc.u32(entry.type)
      enc.value(entry.type, entry.subType, entry.value, key)
    }
    for (const t of layout) {
      enc.string(t.name)
      enc.u32(t.shape.length)
      for (const d of t.shape) enc.size(d)
      enc.u32(t.dtype)
      enc.u64(BigInt(t.offset))
    }
    const pad = (to: number) => {
      const n = to - sink.written
      if (n > 0) sink.bytes(new Uint8Array(n))
    }
    const dataStart = Math.ceil(sink.written / alignment) * alignment
    for (const t of layout) {
      pad(dataStart + t.offset)
      if (typeof t.data === 'number') sink.skip(t.data)
      else sink.bytes(t.data)
    }
    sink.flush()
    // A trailing hole only exists once the file is extended to cover it.
    if (fs.fstatSync(fd).size < sink.written) fs.ftruncateSync(fd, sink.written)
    fs.fsyncSync(fd)
    fs.closeSync(fd)
  } catch (err) {
    try {
      fs.closeSync(fd)
    } catch {
      // Already closed (the failure came after closing).
    }
    fs.rmSync(tmp, { force: true })
    throw err
  }
  try {
    fs.renameSync(tmp, target)
  } catch (err) {
    fs.rmSync(tmp, { force: true })
    throw err
  }
}
