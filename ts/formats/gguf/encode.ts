/** Byte-level GGUF encoding for writeGguf: a buffered positional writer and the value encoder. */

import * as fs from 'node:fs'

import { typeError } from '../../errors.js'
import type { MetadataValue } from './parse.js'
import { GGUFValueType, VALUE_SIZE } from './types.js'

export class Sink {
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

export class Encoder {
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

