/**
 * Running the decoders: the native kernels (crates/quants, through the binding) wherever the
 * binding loads, on the heap backend too; the TypeScript port (./kernels) where it does not.
 * Both give the same values (the tests compare them, and both with gguf-py).
 */

import { availableParallelism } from 'node:os'
import { setImmediate as nextTurn } from 'node:timers/promises'

import { AbortError, ModelDataError } from '../errors.js'
import { nativeBinding } from '../native.js'
import type { Job, Running } from '../backends/backend.js'
import { decodeF32, narrow } from './kernels/index.js'
import type { ValueType } from './dtypes.js'

export type OutDtype = 'F32' | 'F16' | 'BF16'
export type Values = Float32Array | Uint16Array

/** Threads a decode uses unless told: every core, up to 8. */
export function defaultConcurrency(): number {
  return Math.max(1, Math.min(8, availableParallelism()))
}

/** Bytes of a typed array, as the Uint8Array the binding takes. */
export function bytesOf(values: Values): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength)
}

export function newValues(outDtype: OutDtype, elements: number): Values {
  return outDtype === 'F32' ? new Float32Array(elements) : new Uint16Array(elements)
}

export type Engine = 'native' | 'typescript'

/** The engine used: native where the binding loaded (also on the heap backend). */
export function engine(): Engine {
  return nativeBinding().binding === undefined ? 'typescript' : 'native'
}

/** Values the TypeScript port decodes at a time on the way to f16 / bf16 (all block sizes divide it). */
const SCRATCH = 4096

/**
 * Decodes `elements` values of `type` from `src` (exactly their bytes, checked by the caller)
 * into `out` (at least `elements` long) or into a new array, on this thread (and up to
 * `threads - 1` native helper threads, which it waits for).
 */
export function decodeNow(type: ValueType, src: Uint8Array, elements: number, outDtype: OutDtype, littleEndian: boolean, threads: number, out?: Values, using: Engine = engine()): Values {
  const binding = nativeBinding().binding
  if (using === 'native' && binding !== undefined) {
    if (out === undefined) return binding.decodeNew(type.name, src, elements, outDtype, littleEndian, threads)
    binding.decodeInto(type.name, src, bytesOf(out.subarray(0, elements)), outDtype, littleEndian, threads)
    return out
  }
  const target = out ?? newValues(outDtype, elements)
  if (outDtype === 'F32') {
    decodeF32(type.name, type.blockSize, type.typeSize, src, (target as Float32Array).subarray(0, elements), littleEndian)
    return target
  }
  const scratch = new Float32Array(SCRATCH)
  for (let at = 0; at < elements; at += SCRATCH) {
    const n = Math.min(SCRATCH, elements - at)
    const values = scratch.subarray(0, n)
    const from = (at / type.blockSize) * type.typeSize
    decodeF32(type.name, type.blockSize, type.typeSize, src.subarray(from, from + (n / type.blockSize) * type.typeSize), values, littleEndian)
    narrow(values, (target as Uint16Array).subarray(at, at + n), outDtype as 'F16' | 'BF16')
  }
  return target
}

/** A job the facade runs itself: progress counted here, cancellation checked between slices. */
export class SliceJob implements Job {
  bytesDone = 0
  cancelled = false
  /** Throws (ERR_MODELMAP_CLOSED) once the handle is closed, as a native job stops at its next chunk. */
  constructor(readonly checkOpen: () => void = () => {}) {}
  cancel(): void {
    this.cancelled = true
  }
  /** Before each slice: an abort, or a close() of the handle meanwhile, ends the job. */
  next(): void {
    if (this.cancelled) throw new AbortError()
    this.checkOpen()
  }
}

/** Values per slice when a decode runs in slices on this thread: about a millisecond each. */
export function sliceValues(using: Engine): number {
  return using === 'native' ? 1 << 20 : 1 << 16
}

/**
 * A decode in slices on this thread, the event loop turning between them (the heap backend, where
 * no binding loads, and an ArrayBuffer target on the mmap backend): the same values, progress and
 * cancellation as a native job. `source(from, to)` gives the bytes of that part of the range.
 * The target is checked before each slice: a detached (or shrunk) ArrayBuffer ends the job with
 * ERR_INVALID_STATE (no slice is ever written into memory that is gone).
 */
export function decodeInSlices(type: ValueType, source: (from: number, to: number) => Uint8Array, elements: number, outDtype: OutDtype, littleEndian: boolean, threads: number, into: Values | undefined, checkOpen: () => void, where: string): Running<Values> {
  const job = new SliceJob(checkOpen)
  const using = engine()
  const width = outDtype === 'F32' ? 4 : 2
  const done = (async () => {
    const out = into ?? newValues(outDtype, elements)
    const per = sliceValues(using)
    for (let at = 0; at < elements; at += per) {
      job.next()
      if (out.length < elements) {
        throw new ModelDataError(`the "into" array's buffer was detached or shrunk while ${where} was being decoded into it`, { code: 'ERR_INVALID_STATE' })
      }
      const n = Math.min(per, elements - at)
      const from = (at / type.blockSize) * type.typeSize
      decodeNow(type, source(from, from + (n / type.blockSize) * type.typeSize), n, outDtype, littleEndian, threads, out.subarray(at, at + n), using)
      job.bytesDone += n * width
      await nextTurn()
    }
    return out
  })()
  return { job, done }
}
