/**
 * The mmap backend: every call goes to the Rust core through the napi binding, except making
 * views, which happens here in JavaScript over a few external buffers ("windows").
 *
 * Why windows: a napi call and an external backing store per view cost ~1.7 µs; a view made as
 * `Buffer.from(window, offset, length)` over a window made once costs tens of ns. `view.buffer`
 * is then the window (up to two strides of the file), as `buf.buffer` is Node's pool for small
 * Buffers. Each window maps only its own range of the file (crates/model-data/src/mapping.rs).
 *
 * What a window is depends on the runtime (src/views.rs has the measurements):
 * - a SharedArrayBuffer where the runtime can make one over external memory (Node 22.23+,
 *   24.16+, 26, Bun): V8 accounts it at length 0, so windows cost the GC nothing at any size,
 *   and they stay valid in every thread they reach. Windows are then 2 × 64 MiB: few napi calls
 *   for scattered views, little address space for what is used.
 * - an external ArrayBuffer elsewhere (Node 20, Deno), or when asked for (`viewBuffer:
 *   'arraybuffer'`): V8 counts it at its length and runs a GC of the application's heap each
 *   time that count passes its limit. Windows then start at 2 × 256 KiB and grow with use (see
 *   #widen), and at most PLAIN_WINDOWS_KEPT of them are held by the handle: a handle that reads a
 *   header never adds up to a GC, and a loader's windows grow large, so it passes the limit a
 *   few dozen times rather than once per view. That GC cost cannot be avoided there (README,
 *   "Lifetimes").
 */

import { constants as bufferConstants } from 'node:buffer'

import { callNative, fromNative, ModelDataError } from '../errors.js'
import type { NativeBinding } from '../native.js'
import type { Advice, OpenAdvice, OsPath } from '../validate.js'
import type { Backend, DecodeRequest, Residency, Running, TensorStats } from './backend.js'

const MiB = 2 ** 20

/** Stride of SharedArrayBuffer windows; window `k` covers [k·stride, (k+2)·stride). */
export const SHARED_STRIDE = 64 * MiB

/**
 * First stride of ArrayBuffer windows. Measured (NAPI-NOTES, "GC pressure": open + 16-byte view +
 * close of a 4 GiB file, 200 cycles, 329 MB of live objects, Node 20): 1 GiB strides 376 ms per
 * cycle with 199 mark-compacts, 64 MiB 23.7 ms with 14, 4 MiB 3.0 ms with 1, 256 KiB 0.61 ms
 * with 0 (fs reads of the same run: 0.66 ms).
 */
export const PLAIN_STRIDE = 256 * 1024

/** Largest stride of ArrayBuffer windows: 2 GiB windows, under Node 20's 4 GiB buffer limit. */
export const PLAIN_MAX_STRIDE = 2 ** 30

/**
 * ArrayBuffer windows the handle keeps for reuse (oldest let go first; views keep their own
 * window alive): at most 64 × 512 KiB = 32 MiB that V8 counts on behalf of a handle's cache.
 */
export const PLAIN_WINDOWS_KEPT = 64

/** Own windows of long views start on this boundary, keeping their address alignment. */
const ALIGN = 4096

export type ViewBuffer = 'shared' | 'arraybuffer'

type NativeModel = InstanceType<NativeBinding['NativeModelData']>
type Window = ArrayBuffer | SharedArrayBuffer

export interface NativeOpenOptions {
  mapping: 'copy-on-write' | 'readonly'
  advice: OpenAdvice
  populate: boolean
  lock: boolean
  viewBuffer: ViewBuffer
}

function refuseTransfer(this: unknown): never {
  throw new ModelDataError(
    'a view of a mapped file shares its ArrayBuffer (a window of the file) with other views, so it cannot be transferred or detached: copy the bytes (Buffer.from(view)) to move them',
    { code: 'ERR_MODELMAP_NOT_TRANSFERABLE' },
  )
}

const canTransfer = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function'

/**
 * An ArrayBuffer window must stay attached: its transfer() methods throw a typed error instead
 * of detaching it under every sibling view. (Node marks external buffers untransferable itself,
 * so postMessage and structuredClone copy or refuse them. markAsUntransferable is not used: on
 * Node 24 it also sets a V8 detach key, and Node 24.22 then aborts the process at exit, "FATAL
 * ERROR: v8::FromJust Maybe value is Nothing", when its own cleanup fails to detach the buffer.)
 * Where a window is detached anyway, src/views.rs keeps its memory mapped for good.
 */
function keepAttached(window: ArrayBuffer): void {
  if (canTransfer) {
    for (const name of ['transfer', 'transferToFixedLength']) {
      Object.defineProperty(window, name, { value: refuseTransfer, writable: false, enumerable: false, configurable: false })
    }
  }
}

export class NativeBackend implements Backend {
  readonly kind = 'mmap' as const
  readonly byteLength: number
  readonly path: string | undefined
  readonly viewBuffer: ViewBuffer
  readonly #native: NativeModel
  readonly #binding: NativeBinding
  readonly #shared: boolean
  #stride: number
  /** Windows made so far, by index at the current stride, until close(); views hold their own. */
  #windows = new Map<number, Window>()
  /** Stride windows this handle has made. */
  #made = 0
  #closed = false

  constructor(binding: NativeBinding, os: OsPath, path: string, options: NativeOpenOptions) {
    this.#binding = binding
    // The defaults need no options object: reading four properties (two of them strings) across
    // napi was a fifth of an open's cost.
    const defaults = options.mapping === 'copy-on-write' && options.advice === 'normal' && !options.populate && !options.lock
    const { viewBuffer, ...native } = options
    this.#native = callNative(() => binding.NativeModelData.open(os, defaults ? undefined : native))
    this.byteLength = this.#native.byteLength
    this.path = path
    this.viewBuffer = viewBuffer
    this.#shared = viewBuffer === 'shared'
    this.#stride = this.#shared ? SHARED_STRIDE : PLAIN_STRIDE
  }

  /** Kept here rather than asked of the binding: a napi call costs more than a whole view. */
  get closed(): boolean {
    return this.#closed
  }

  get locked(): boolean {
    return this.#native.locked
  }

  /** Windows this handle holds (for tests). */
  get windowCount(): number {
    return this.#windows.size
  }

  #window(start: number, length: number): Window {
    const window = callNative(() => this.#native.window(start, length, this.#shared))
    if (!this.#shared) keepAttached(window as ArrayBuffer)
    return window
  }

  view(byteOffset: number, byteLength: number): Buffer {
    if (byteLength === 0) return Buffer.alloc(0)
    const cached = this.#cached(byteOffset, byteLength)
    if (cached !== undefined) return cached
    if (!this.#shared) this.#widen(byteLength)
    const stride = this.#stride
    if (byteLength <= stride) {
      const index = Math.floor(byteOffset / stride)
      const start = index * stride
      const window = this.#window(start, Math.min(2 * stride, this.byteLength - start))
      this.#windows.set(index, window)
      this.#made++
      if (!this.#shared && this.#windows.size > PLAIN_WINDOWS_KEPT) {
        const oldest = this.#windows.keys().next().value as number
        this.#windows.delete(oldest)
      }
      return Buffer.from(window, byteOffset - start, byteLength)
    }
    const lead = byteOffset % ALIGN
    const start = lead + byteLength <= bufferConstants.MAX_LENGTH ? byteOffset - lead : byteOffset
    const own = this.#window(start, byteOffset + byteLength - start)
    return Buffer.from(own, byteOffset - start, byteLength)
  }

  /**
   * A view from a window already made: window k covers [k·stride, (k+2)·stride), so a view of at
   * most a stride lies in the window of its first byte, or in the one before if that reaches far
   * enough (which keeps sequential views in every other window: the windows a scan makes do not
   * overlap). A window of byteLength 0 was detached by a caller going round the guards
   * (ArrayBuffer.prototype.transfer called on it directly) and is not used again.
   */
  #cached(byteOffset: number, byteLength: number): Buffer | undefined {
    const stride = this.#stride
    if (byteLength > stride) return undefined
    const index = Math.floor(byteOffset / stride)
    const before = this.#windows.get(index - 1)
    if (before !== undefined && before.byteLength !== 0 && (index - 1) * stride + before.byteLength >= byteOffset + byteLength) {
      return Buffer.from(before, byteOffset - (index - 1) * stride, byteLength)
    }
    const window = this.#windows.get(index)
    if (window !== undefined && window.byteLength !== 0) return Buffer.from(window, byteOffset - index * stride, byteLength)
    return undefined
  }

  /**
   * ArrayBuffer windows start small and grow with use: the stride doubles every second window
   * this handle makes, and at once to fit a longer view, up to PLAIN_MAX_STRIDE. V8 runs a GC
   * each time the external count passes its limit, about once per 64 MB made in small windows
   * but once per window past half the heap limit, so a handle that reads a header stays at
   * 512 KiB while a loader viewing a whole model makes a few dozen large windows instead of
   * thousands of small ones (bench "heap": 8,192 views of 4 MiB cost 1,028 mark-compacts in
   * own windows).
   */
  #widen(byteLength: number): void {
    let stride = this.#stride
    if (this.#made > 0 && this.#made % 2 === 0) stride *= 2
    while (stride < byteLength && stride < PLAIN_MAX_STRIDE) stride *= 2
    stride = Math.min(stride, PLAIN_MAX_STRIDE)
    if (stride !== this.#stride) {
      this.#stride = stride
      this.#windows.clear()
    }
  }

  advise(advice: Advice, byteOffset: number, byteLength: number): void {
    callNative(() => this.#native.advise(advice, byteOffset, byteLength))
  }

  residency(byteOffset: number, byteLength: number): Residency {
    const r = callNative(() => this.#native.residency(byteOffset, byteLength))
    return { residentBytes: r.residentBytes ?? null, totalBytes: r.totalBytes }
  }

  isStale(): boolean {
    return callNative(() => this.#native.isStale())
  }

  checksum(byteOffset: number, byteLength: number): Running<string> {
    const job = new this.#binding.NativeJob()
    const done = callNative(() => this.#native.checksum(job, byteOffset, byteLength)).catch((err: unknown) => {
      throw fromNative(err)
    })
    return { job, done }
  }

  prefetch(byteOffset: number, byteLength: number, concurrency: number | undefined): Running<void> {
    const job = new this.#binding.NativeJob()
    const done = callNative(() => this.#native.prefetch(job, byteOffset, byteLength, concurrency)).then(
      () => undefined,
      (err: unknown) => {
        throw fromNative(err)
      },
    )
    return { job, done }
  }

  decode(r: DecodeRequest): Running<Float32Array | Uint16Array | undefined> {
    const job = new this.#binding.NativeJob()
    const done = callNative(() => this.#native.decode(job, r.dtype, r.byteOffset, r.byteLength, r.elements, r.outDtype, r.littleEndian, r.threads, r.target)).catch((err: unknown) => {
      throw fromNative(err)
    })
    return { job, done }
  }

  stats(r: DecodeRequest): Running<TensorStats> {
    const job = new this.#binding.NativeJob()
    const done = callNative(() => this.#native.stats(job, r.dtype, r.byteOffset, r.byteLength, r.elements, r.littleEndian, r.threads)).then(
      (s): TensorStats => (s.finite === 0 ? { ...s, min: NaN, max: NaN } : s),
      (err: unknown) => {
        throw fromNative(err)
      },
    )
    return { job, done }
  }

  close(): void {
    this.#closed = true
    this.#native.close()
    this.#windows.clear()
  }
}
