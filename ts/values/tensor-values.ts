/**
 * A tensor's values: `toFloat32()` (synchronous) and `decode()` (off the main thread where the
 * mmap backend can, in slices on it elsewhere), over whole tensors or whole rows.
 *
 * Where the values go when a caller passes `into`:
 * - synchronously, straight into it (JavaScript cannot touch it during the call);
 * - in a job, straight into it when it is over a SharedArrayBuffer (which cannot be detached);
 * - over an ArrayBuffer (a staging buffer, a WebGPU mapped range), in synchronous slices of
 *   1 Mi values (well under a millisecond each with the helper threads), the event loop turning
 *   between them, the target checked before each: a worker writing into an ArrayBuffer that the
 *   caller detaches or unmaps between two turns would write into freed memory. Measured against
 *   the previous design (a job decoding into two scratch SharedArrayBuffers, this thread copying
 *   each into place), 64 MiB of f32 against a Float32Array.set() of it: Q4_K 0.99× against
 *   3.15×, Q6_K 1.37× against 4.11×, Q8_0 0.85× against 3.24×, IQ4_XS 1.45× against 4.76×. The
 *   copy and the fresh scratch memory's page faults were the cost, and the JS thread was as
 *   busy copying as it now is decoding.
 */

import { closedError, ModelDataError, rangeError, typeError } from '../errors.js'
import type { ModelData } from '../model-data.js'
import type { Running } from '../backends/backend.js'
import { track } from '../track.js'
import type { Progress } from '../track.js'
import { optionalFunction, optionalSignal, optionsObject } from '../validate.js'
import { bytesFor, valueType } from './dtypes.js'
import type { ValueType } from './dtypes.js'
import { decodeInSlices, decodeNow, defaultConcurrency, newValues } from './engine.js'
import type { OutDtype, Values } from './engine.js'
import { statsInSlices } from './stats.js'
import type { TensorStats } from '../backends/backend.js'

export interface ToFloat32Options {
  /** Write into this array (at least as long as the values) and return it: nothing is allocated. */
  into?: Float32Array
  /** Decode rows [start, end) of the outermost dimension only (whole rows). */
  rows?: readonly [number, number]
  /** Threads (this one included). Default: every core, up to 8. */
  concurrency?: number
}

export interface DecodeOptions {
  /** 'F32' (default), or 'F16' / 'BF16' bits (Uint16Array), rounded to nearest even. */
  dtype?: OutDtype
  into?: Float32Array | Uint16Array
  rows?: readonly [number, number]
  signal?: AbortSignal
  /** About every 100 ms, and once at the end: bytes of output done. */
  onProgress?: (progress: Progress) => void
  concurrency?: number
}

/** What a tensor gives to have its values decoded. */
export interface TensorSource {
  model: ModelData
  name: string
  dtype: string
  shape: readonly number[]
  byteOffset: number
  byteLength: number
  littleEndian: boolean
  /** GGUF lists dimensions innermost first, so its rows are along the last; safetensors' the first. */
  rowsAlongLast: boolean
  format: 'gguf' | 'safetensors'
}

interface Plan {
  type: ValueType
  elements: number
  /** Byte range of the values to decode: absolute in the file, and relative to the tensor. */
  byteOffset: number
  relative: number
  byteLength: number
}

function where(t: TensorSource): string {
  return `tensor '${t.name}' of ${t.model.path === undefined ? 'the model' : `'${t.model.path}'`}`
}

function invalid(t: TensorSource, problem: string): ModelDataError {
  return new ModelDataError(`${where(t)}: ${problem}`, {
    code: t.format === 'gguf' ? 'ERR_MODELMAP_INVALID_GGUF' : 'ERR_MODELMAP_INVALID_SAFETENSORS',
    path: t.model.path,
    byteOffset: t.byteOffset,
  })
}

/**
 * Throws ERR_MODELMAP_CLOSED once the tensor's handle is closed: values are a call on the handle,
 * on every backend (a tensor's cached `data` view would otherwise still decode on the heap one).
 */
function checkOpen(t: TensorSource): void {
  if (t.model.closed) throw closedError(t.model.path)
}

function plan(t: TensorSource, rows: unknown): Plan {
  checkOpen(t)
  const type = valueType(t.dtype, where(t))
  const total = t.shape.reduce((a, d) => a * d, 1)
  const bytes = bytesFor(type, total)
  if (bytes === undefined) throw invalid(t, `${total} elements of ${type.name} (shape [${t.shape.join(', ')}]) are not whole blocks of ${type.blockSize}`)
  if (bytes !== t.byteLength) throw invalid(t, `${total} elements of ${type.name} (shape [${t.shape.join(', ')}]) take ${bytes} bytes, but the file gives the tensor ${t.byteLength}`)
  if (rows === undefined) return { type, elements: total, byteOffset: t.byteOffset, relative: 0, byteLength: bytes }
  if (!Array.isArray(rows) || rows.length !== 2) throw typeError('ERR_INVALID_ARG_TYPE', 'The "rows" option must be [start, end)')
  const outer = t.shape.length === 0 ? 1 : t.shape[t.rowsAlongLast ? t.shape.length - 1 : 0]!
  const [start, end] = rows as [unknown, unknown]
  if (!Number.isInteger(start) || !Number.isInteger(end) || (start as number) < 0 || (end as number) < (start as number) || (end as number) > outer) {
    throw rangeError(`The value of "rows" is out of range. It must be [start, end) with 0 <= start <= end <= ${outer} (the rows of ${where(t)}). Received [${String(start)}, ${String(end)}]`)
  }
  const perRow = outer === 0 ? 0 : total / outer
  if (perRow % type.blockSize !== 0) throw invalid(t, `a row of ${perRow} elements is not whole blocks of ${type.blockSize} ${type.name} values, so rows cannot be decoded on their own`)
  const rowBytes = (perRow / type.blockSize) * type.typeSize
  const relative = (start as number) * rowBytes
  return { type, elements: ((end as number) - (start as number)) * perRow, byteOffset: t.byteOffset + relative, relative, byteLength: ((end as number) - (start as number)) * rowBytes }
}

function threads(value: unknown): number {
  if (value === undefined) return defaultConcurrency()
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 256) {
    throw rangeError(`The value of "concurrency" is out of range. It must be an integer from 1 to 256. Received ${String(value)}`)
  }
  return value as number
}

function checkInto(into: unknown, outDtype: OutDtype, elements: number): Values | undefined {
  if (into === undefined) return undefined
  const Wanted = outDtype === 'F32' ? Float32Array : Uint16Array
  if (!(into instanceof Wanted)) throw typeError('ERR_INVALID_ARG_TYPE', `The "into" option must be a ${Wanted.name} for ${outDtype} values`)
  if (into.length < elements) throw rangeError(`The "into" array holds ${into.length} values; the tensor has ${elements} to decode`)
  return into
}

function outDtypeOf(value: unknown): OutDtype {
  if (value === undefined) return 'F32'
  if (value === 'F32' || value === 'F16' || value === 'BF16') return value
  throw typeError('ERR_INVALID_ARG_VALUE', `The "dtype" option must be 'F32', 'F16' or 'BF16'. Received ${String(value)}`)
}

/** Every value (or the rows asked for) as float32, synchronously. */
export function toFloat32(t: TensorSource, data: Buffer, options?: ToFloat32Options): Float32Array {
  const opts = optionsObject('options', options) as ToFloat32Options
  const p = plan(t, opts.rows)
  const into = checkInto(opts.into, 'F32', p.elements) as Float32Array | undefined
  const src = data.subarray(p.relative, p.relative + p.byteLength)
  return decodeNow(p.type, src, p.elements, 'F32', t.littleEndian, threads(opts.concurrency), into) as Float32Array
}

/** Every value (or the rows asked for) as F32 / F16 / BF16, off the main thread where it can. */
export async function decode(t: TensorSource, options?: DecodeOptions): Promise<Values> {
  const opts = optionsObject('options', options) as DecodeOptions
  const signal = optionalSignal(opts.signal)
  const onProgress = optionalFunction<(p: Progress) => void>('onProgress', opts.onProgress)
  const outDtype = outDtypeOf(opts.dtype)
  const p = plan(t, opts.rows)
  const into = checkInto(opts.into, outDtype, p.elements)
  const n = threads(opts.concurrency)
  const width = outDtype === 'F32' ? 4 : 2
  const request = { dtype: p.type.name, byteOffset: p.byteOffset, byteLength: p.byteLength, elements: p.elements, outDtype, littleEndian: t.littleEndian, threads: n }
  const start = (): Running<Values> => {
    // Slices on this thread and its helpers where no job can run (the heap backend, no binding)
    // or may write (an ArrayBuffer target), each from a view of just its own bytes.
    if (!t.model.hasDecodeJobs || (into !== undefined && !(into.buffer instanceof SharedArrayBuffer))) {
      return decodeInSlices(p.type, (from, to) => t.model.view(p.byteOffset + from, to - from), p.elements, outDtype, t.littleEndian, n, into, () => checkOpen(t), where(t))
    }
    if (into === undefined) return asValues(t.model.decodeJob(request)!, () => undefined)
    const target = new Uint8Array(into.buffer, into.byteOffset, p.elements * width)
    return asValues(t.model.decodeJob({ ...request, target })!, () => into)
  }
  return track(start, p.elements * width, { signal, onProgress })
}

function asValues(running: Running<Values | undefined>, fallback: () => Values | undefined): Running<Values> {
  return {
    job: running.job,
    done: running.done.then((values) => (values ?? fallback())!),
  }
}

export interface StatsOptions {
  rows?: readonly [number, number]
  signal?: AbortSignal
  /** About every 100 ms, and once at the end: bytes of f32 values done. */
  onProgress?: (progress: Progress) => void
  concurrency?: number
}

/** Summary statistics of the values (or of the rows asked for), off the main thread where it can. */
export async function stats(t: TensorSource, data: () => Buffer, options?: StatsOptions): Promise<TensorStats> {
  const opts = optionsObject('options', options) as StatsOptions
  const signal = optionalSignal(opts.signal)
  const onProgress = optionalFunction<(p: Progress) => void>('onProgress', opts.onProgress)
  const p = plan(t, opts.rows)
  const n = threads(opts.concurrency)
  const start = (): Running<TensorStats> => {
    const request = { dtype: p.type.name, byteOffset: p.byteOffset, byteLength: p.byteLength, elements: p.elements, outDtype: 'F32' as const, littleEndian: t.littleEndian, threads: n }
    return t.model.statsJob(request) ?? statsInSlices(p.type, data().subarray(p.relative, p.relative + p.byteLength), p.elements, t.littleEndian, n, () => checkOpen(t))
  }
  return track(start, p.elements * 4, { signal, onProgress })
}

export { newValues }
