/** What a backend must do; the public ModelData checks arguments and delegates here. */

import type { Advice } from '../validate.js'

export interface Residency {
  /** Bytes of the range in RAM, or null where the OS cannot tell (Windows). */
  residentBytes: number | null
  totalBytes: number
}

/** A running prefetch or checksum: polled for progress, cancelled on abort. */
export interface Job {
  readonly bytesDone: number
  cancel(): void
}

export interface Running<T> {
  job: Job
  done: Promise<T>
}

/** Over the finite values; NaN and infinities counted apart (min/max/mean/std are NaN if none is finite). */
export interface TensorStats {
  count: number
  finite: number
  nan: number
  posInf: number
  negInf: number
  min: number
  max: number
  mean: number
  std: number
}

export interface DecodeRequest {
  dtype: string
  byteOffset: number
  byteLength: number
  elements: number
  outDtype: 'F32' | 'F16' | 'BF16'
  littleEndian: boolean
  threads: number
  /** A Uint8Array over a SharedArrayBuffer's bytes to write into, instead of new memory. */
  target?: Uint8Array | undefined
}

export interface Backend {
  readonly kind: 'mmap' | 'heap'
  readonly byteLength: number
  readonly path: string | undefined
  readonly closed: boolean
  readonly locked: boolean
  /** Offsets and lengths are already checked. */
  view(byteOffset: number, byteLength: number): Buffer
  advise(advice: Advice, byteOffset: number, byteLength: number): void
  residency(byteOffset: number, byteLength: number): Residency
  isStale(): boolean
  checksum(byteOffset: number, byteLength: number): Running<string>
  prefetch(byteOffset: number, byteLength: number, concurrency: number | undefined): Running<void>
  /**
   * A decode job over the file's bytes off the JavaScript thread (the mmap backend), or
   * undefined where the backend has none (the facade then decodes in slices on its thread).
   */
  decode?(request: DecodeRequest): Running<Float32Array | Uint16Array | undefined>
  /** Summary statistics of the values, as a job off the JavaScript thread (the mmap backend). */
  stats?(request: DecodeRequest): Running<TensorStats>
  close(): void
}
