/**
 * The mmap backend: every call goes to the Rust core through the napi binding, except making
 * views, which happens here in JavaScript over a few large external ArrayBuffers ("windows").
 *
 * Why windows: a napi call and an external backing store per view cost ~1.7 µs, and V8 counts
 * each backing store's length as external memory, so many large views made and dropped forced
 * a full GC every few views. One window per stride of the file, created once and reused, makes a
 * view a `Buffer.from(window, offset, length)` (tens of ns) and the GC work independent of how
 * many views there are and how big. The price: `view.buffer` is the window (up to
 * 2 × WINDOW_STRIDE bytes of the file), as `buf.buffer` is Node's pool for small Buffers.
 */

import { constants as bufferConstants } from 'node:buffer'

import { callNative, fromNative } from '../errors.js'
import type { NativeBinding } from '../native.js'
import type { Advice, OpenAdvice, OsPath } from '../validate.js'
import type { Backend, Residency, Running } from './backend.js'

/**
 * Window `k` covers [k·STRIDE, (k+2)·STRIDE) of the file, so every view of at most STRIDE bytes
 * lies inside the window of its first byte. Longer views get an ArrayBuffer of their own.
 * 1 GiB: 2 GiB windows stay under Node 20's 4 GiB buffer limit.
 */
export const WINDOW_STRIDE = 2 ** 30

/**
 * Views within the first HEAD_BYTES of a larger file (a header being parsed) share a small head
 * window until window 0 exists. V8 counts a window's length as external memory and starts a full
 * GC each time that count grows by ~64 MiB: a 2 GiB window 0 made just to read a header cost one
 * full GC per file opened (1.8 ms for open + 8-byte view of a 1 GiB file), so opening a 100-shard
 * set paid a hundred. The head window starts at HEAD_MIN_BYTES (most headers fit) and doubles as
 * the header asks for more: with 16 MiB head windows a 100-shard set still counted 1.6 GB and
 * took 148 ms to open (1 MiB: see bench "sets").
 */
export const HEAD_BYTES = 16 * 2 ** 20
const HEAD_MIN_BYTES = 2 ** 20

/** Own ArrayBuffers of long views start on this boundary, keeping their address alignment. */
const ALIGN = 4096

type NativeModel = InstanceType<NativeBinding['NativeModelData']>

export interface NativeOpenOptions {
  mapping: 'copy-on-write' | 'readonly'
  advice: OpenAdvice
  populate: boolean
  lock: boolean
}

export class NativeBackend implements Backend {
  readonly kind = 'mmap' as const
  readonly byteLength: number
  readonly path: string | undefined
  readonly #native: NativeModel
  readonly #binding: NativeBinding
  /** Windows made so far, by index. Held until close(); views hold their own window anyway. */
  #windows = new Map<number, ArrayBuffer>()
  /** The head window (see HEAD_BYTES), until window 0 is made. */
  #head: ArrayBuffer | undefined
  #closed = false

  constructor(binding: NativeBinding, os: OsPath, path: string, options: NativeOpenOptions) {
    this.#binding = binding
    // The defaults need no options object: reading four properties (two of them strings) across
    // napi was a fifth of an open's cost.
    const defaults = options.mapping === 'copy-on-write' && options.advice === 'normal' && !options.populate && !options.lock
    this.#native = callNative(() => binding.NativeModelData.open(os, defaults ? undefined : options))
    this.byteLength = this.#native.byteLength
    this.path = path
  }

  /** Kept here rather than asked of the binding: a napi call costs more than a whole view. */
  get closed(): boolean {
    return this.#closed
  }

  get locked(): boolean {
    return this.#native.locked
  }

  /** Windows this handle holds (for tests: it stays at most file size / stride + 1). */
  get windowCount(): number {
    return this.#windows.size + (this.#head === undefined ? 0 : 1)
  }

  view(byteOffset: number, byteLength: number): Buffer {
    if (byteLength === 0) return Buffer.alloc(0)
    const end = byteOffset + byteLength
    if (end <= HEAD_BYTES && this.byteLength > HEAD_BYTES && !this.#windows.has(0)) {
      // byteLength 0 (or too short): the user detached it (`view.buffer.transfer()`), or the
      // header reaches further; make a fresh one, twice as long as needed up to HEAD_BYTES.
      if (this.#head === undefined || this.#head.byteLength < end) {
        let length = HEAD_MIN_BYTES
        while (length < end) length *= 2
        this.#head = callNative(() => this.#native.window(0, Math.min(length, HEAD_BYTES)))
      }
      return Buffer.from(this.#head, byteOffset, byteLength)
    }
    if (byteLength <= WINDOW_STRIDE) {
      const index = Math.floor(byteOffset / WINDOW_STRIDE)
      const start = index * WINDOW_STRIDE
      let window = this.#windows.get(index)
      // byteLength 0: the user detached it (`view.buffer.transfer()`); make a fresh one.
      if (window === undefined || window.byteLength === 0) {
        const length = Math.min(2 * WINDOW_STRIDE, this.byteLength - start)
        window = callNative(() => this.#native.window(start, length))
        this.#windows.set(index, window)
      }
      return Buffer.from(window, byteOffset - start, byteLength)
    }
    const lead = byteOffset % ALIGN
    const start = lead + byteLength <= bufferConstants.MAX_LENGTH ? byteOffset - lead : byteOffset
    const own = callNative(() => this.#native.window(start, byteOffset + byteLength - start))
    return Buffer.from(own, byteOffset - start, byteLength)
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

  close(): void {
    this.#closed = true
    this.#native.close()
    this.#windows.clear()
    this.#head = undefined
  }
}
