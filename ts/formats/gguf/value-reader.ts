/**
 * Reading GGUF metadata values at explicit offsets from hostile bytes: every read checks that
 * its bytes exist, and every count and length is checked against the file size and the caller's
 * budgets (limits.ts) before anything is allocated for it.
 */

import type { ModelDataError } from '../../errors.js'
import { invalidFormat } from '../format-error.js'
import type { ModelData } from '../../model-data.js'
import type { ByteCursor } from '../cursor.js'
import { limitExceeded } from '../limits.js'
import type { ResolvedLimits } from '../limits.js'
import { GGUFValueType, VALUE_SIZE, isValueType } from './types.js'

export type MetadataBaseValue = string | number | bigint | boolean
export type MetadataValue = MetadataBaseValue | MetadataValue[]

export function invalidGguf(model: ModelData, offset: number, problem: string): ModelDataError {
  return invalidFormat(model, 'GGUF', offset, problem)
}

/** Counts array elements decoded in one pass (the whole eager parse, or one lazy array). */
export interface ElementBudget {
  used: number
}

/**
 * Reads values at explicit offsets; every read checks the bytes exist (and fit the budget) first.
 * `what` names the field in error messages only. Callers pass strings they already have (a key)
 * or constants, never one built per call: a header of 200k tensors or a 256k-token vocabulary
 * would otherwise make a million throwaway strings.
 */
export class GgufReader {
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

