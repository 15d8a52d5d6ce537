/** `dequantize()`: values from tensor bytes that came from anywhere (another parser, a network). */

import { rangeError, typeError } from '../errors.js'
import { optionsObject } from '../validate.js'
import { bytesFor, valueType } from './dtypes.js'
import { decodeNow, defaultConcurrency } from './engine.js'

export interface DequantizeOptions {
  /** Write into this array (at least `elementCount` long) and return it. */
  into?: Float32Array
  /** Byte order of element types (F16, F32, integers...); quantized blocks are always little-endian. Default true. */
  littleEndian?: boolean
  /** Threads (this one included). Default: every core, up to 8. */
  concurrency?: number
}

/**
 * `elementCount` values of `type` (a ggml type id, or a name: 'Q4_K', 'IQ2_XS', 'BF16',
 * 'F8_E4M3', ...) from `bytes`, as float32, bit for bit as llama.cpp's gguf-py decodes them.
 * Synchronous.
 */
export function dequantize(bytes: Uint8Array, type: number | string, elementCount: number, options?: DequantizeOptions): Float32Array {
  if (!(bytes instanceof Uint8Array)) throw typeError('ERR_INVALID_ARG_TYPE', 'The "bytes" argument must be a Buffer or Uint8Array')
  const t = valueType(type)
  if (!Number.isSafeInteger(elementCount) || elementCount < 0) {
    throw rangeError(`The value of "elementCount" is out of range. It must be an integer >= 0. Received ${String(elementCount)}`)
  }
  const opts = optionsObject('options', options) as DequantizeOptions
  const expected = bytesFor(t, elementCount)
  if (expected === undefined) throw rangeError(`${elementCount} elements of ${t.name} are not whole blocks of ${t.blockSize}`)
  if (bytes.length !== expected) throw rangeError(`${elementCount} elements of ${t.name} take ${expected} bytes; got ${bytes.length}`)
  if (opts.into !== undefined) {
    if (!(opts.into instanceof Float32Array)) throw typeError('ERR_INVALID_ARG_TYPE', 'The "into" option must be a Float32Array')
    if (opts.into.length < elementCount) throw rangeError(`The "into" array holds ${opts.into.length} values; ${elementCount} are to be decoded`)
  }
  if (opts.littleEndian !== undefined && typeof opts.littleEndian !== 'boolean') throw typeError('ERR_INVALID_ARG_TYPE', 'The "littleEndian" option must be a boolean')
  const threads = opts.concurrency ?? defaultConcurrency()
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw rangeError(`The value of "concurrency" is out of range. It must be an integer from 1 to 256. Received ${String(threads)}`)
  return decodeNow(t, bytes, elementCount, 'F32', opts.littleEndian ?? true, threads, opts.into) as Float32Array
}
