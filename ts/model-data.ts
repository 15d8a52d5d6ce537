/** The public ModelData: argument checks, backend choice, and the contract of DESIGN.md. */

import { checkedRange, checkViewLength, optionalBoolean, optionalFunction, optionalSignal, optionsObject, oneOf, toAdvice, toPath, byteCount } from './validate.js'
import type { Advice, OpenAdvice, OsPath, PathLike } from './validate.js'
import { closedError, ModelDataError, rangeError, typeError } from './errors.js'
import { nativeBinding } from './native.js'
import type { NativeStatus } from './native.js'
import type { Backend, DecodeRequest, Residency, Running, TensorStats } from './backends/backend.js'
import { NativeBackend } from './backends/native.js'
import type { ViewBuffer } from './backends/native.js'
import { BufferBackend, FileReadBackend } from './backends/heap.js'
import { compressionOf, decompressFile, DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_DECOMPRESSION_RATIO } from './backends/decompress.js'
import { constants as bufferConstants } from 'node:buffer'
import { track } from './track.js'
import type { Progress } from './track.js'

export type BackendName = 'mmap' | 'heap'

export interface OpenOptions {
  /** 'auto' (default): mmap where the native binding works, else heap. */
  backend?: 'auto' | BackendName
  /** Access pattern hint applied to the whole file at open. */
  advice?: OpenAdvice
  /** Fault every page in before open returns (without copying: pages stay shared with the file). */
  populate?: boolean
  /** Lock the mapping in RAM; fails with ERR_MODELMAP_LOCK_FAILED when the memlock limit is too low. */
  lock?: boolean
  /**
   * 'copy-on-write' (default): a write into a view changes only this process's copy of the page.
   * 'readonly': PROT_READ, no commit charge for the file, but writing into a view kills the process.
   */
  mapping?: 'copy-on-write' | 'readonly'
  /**
   * What `view.buffer` is on the mmap backend. 'auto' (default): a SharedArrayBuffer where the
   * runtime can share external memory (Node 22.23+, 24.16+, 26, Bun; `ModelData.nativeStatus`
   * says), else an ArrayBuffer. 'shared' requires a SharedArrayBuffer (ERR_MODELMAP_UNSUPPORTED
   * where there is none). 'arraybuffer': plain ArrayBuffers, for APIs that refuse shared memory;
   * V8 then counts every window as external memory (README, "Lifetimes"). MODELMAP_VIEW_BUFFER
   * sets the default.
   */
  viewBuffer?: 'auto' | ViewBuffer
  /**
   * `.gz` and `.zst` files are decompressed into memory (heap backend) unless this is false.
   * zstd needs Node 22.15+; elsewhere it is ERR_MODELMAP_UNSUPPORTED_COMPRESSION.
   */
  decompress?: boolean
  /**
   * Cap on the decompressed size: default 4 GiB (2^32) on every Node version; past it,
   * ERR_MODELMAP_DECOMPRESSED_TOO_LARGE before more is produced.
   */
  maxDecompressedBytes?: number
  /**
   * Cap on decompressed / compressed size: default 100 (model weights compress 1-2×; a bomb
   * reaches 1000×), never below 64 MiB of output.
   */
  maxDecompressionRatio?: number
}

export interface RangeOptions {
  byteOffset?: number
  byteLength?: number
}

export interface JobOptions extends RangeOptions {
  /** Aborting rejects the job with AbortError at once; the work stops at its next chunk. */
  signal?: AbortSignal
  /**
   * Called about every 100 ms while the job runs, and once at the end. If it throws, the job is
   * cancelled and its promise rejects with what was thrown.
   */
  onProgress?: (progress: Progress) => void
}

export interface PrefetchOptions extends JobOptions {
  /**
   * Threads, each reading one contiguous part of the range front to back through its own open
   * of the file (so the kernel's read-ahead sees one sequential stream per thread). Default 2,
   * measured fastest on a cold file here (README, "Cold loads"); a striped array may want more.
   */
  concurrency?: number
}

function positiveNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0)) throw rangeError(`The value of "${name}" is out of range. It must be a number > 0. Received ${String(value)}`)
  return value
}

function threadCount(value: unknown): number {
  const n = byteCount('concurrency', value)
  if (n < 1 || n > 256) throw rangeError(`The value of "concurrency" is out of range. It must be an integer from 1 to 256. Received ${n}`)
  return n
}

/**
 * MODELMAP_BACKEND and MODELMAP_VIEW_BUFFER, read once: process.env is a slow property, and
 * open() is on hot paths.
 */
let forced: { backend: BackendName | undefined; viewBuffer: 'auto' | ViewBuffer } | undefined

function fromEnvironment(): { backend: BackendName | undefined; viewBuffer: 'auto' | ViewBuffer } {
  if (forced === undefined) {
    const backend = process.env.MODELMAP_BACKEND
    const viewBuffer = process.env.MODELMAP_VIEW_BUFFER
    forced = {
      backend: backend === 'heap' || backend === 'mmap' ? backend : undefined,
      viewBuffer: viewBuffer === 'shared' || viewBuffer === 'arraybuffer' ? viewBuffer : 'auto',
    }
  }
  return forced
}

function forcedBackend(): BackendName | undefined {
  return fromEnvironment().backend
}

/** The view buffer to use, given what was asked for and what the runtime can do. */
function chooseViewBuffer(asked: 'auto' | ViewBuffer, status: NativeStatus, file: string): ViewBuffer {
  const wanted = asked === 'auto' ? fromEnvironment().viewBuffer : asked
  const supported = status.viewBuffer ?? 'arraybuffer'
  if (wanted === 'auto') return supported
  if (wanted === 'shared' && supported !== 'shared') {
    throw new ModelDataError(`cannot map '${file}' with viewBuffer 'shared': this runtime cannot make a SharedArrayBuffer over external memory (Node 22.23+, 24.16+, 26 and Bun can)`, {
      code: 'ERR_MODELMAP_UNSUPPORTED',
      path: file,
    })
  }
  return wanted
}

/**
 * The open options, checked (TypeError / RangeError with Node's codes) and with their defaults.
 * Exported so that openModel checks them before any I/O.
 */
export function parseOpenOptions(options: OpenOptions | undefined) {
  const opts = options === undefined ? undefined : optionsObject('options', options)
  return {
    requested: opts === undefined ? 'auto' : oneOf('backend', opts.backend, ['auto', 'mmap', 'heap'] as const, 'auto'),
    advice: opts?.advice === undefined ? 'normal' : (toAdvice(opts.advice, false) as OpenAdvice),
    populate: opts === undefined ? false : optionalBoolean('populate', opts.populate),
    lock: opts === undefined ? false : optionalBoolean('lock', opts.lock),
    mapping: opts === undefined ? 'copy-on-write' : oneOf('mapping', opts.mapping, ['copy-on-write', 'readonly'] as const, 'copy-on-write'),
    viewBuffer: opts === undefined ? 'auto' : oneOf('viewBuffer', opts.viewBuffer, ['auto', 'shared', 'arraybuffer'] as const, 'auto'),
    decompress: opts?.decompress === undefined ? true : optionalBoolean('decompress', opts.decompress),
    maxDecompressed: opts?.maxDecompressedBytes === undefined ? DEFAULT_MAX_DECOMPRESSED_BYTES : byteCount('maxDecompressedBytes', opts.maxDecompressedBytes),
    maxRatio: opts?.maxDecompressionRatio === undefined ? DEFAULT_MAX_DECOMPRESSION_RATIO : positiveNumber('maxDecompressionRatio', opts.maxDecompressionRatio),
  } as const
}

export class ModelData {
  readonly #backend: Backend

  private constructor(backend: Backend) {
    this.#backend = backend
  }

  /** Whether the native (mmap) binding is usable here, and why not if it is not. */
  static get nativeStatus(): NativeStatus {
    return { ...nativeBinding().status }
  }

  /** Opens a model file read-only. Never writes to, truncates or locks out the file. */
  static open(path: PathLike, options?: OpenOptions): ModelData {
    const { os, display: file } = toPath(path)
    // The common call, no options, skips the option checks (open is on hot paths: a model in
    // 100 shards is 100 opens).
    const { requested, advice, populate, lock, mapping, viewBuffer, decompress, maxDecompressed, maxRatio } = parseOpenOptions(options)

    const compression = decompress ? compressionOf(file) : undefined
    if (compression !== undefined) {
      if (requested === 'mmap') {
        throw new ModelDataError(`cannot map '${file}': it is ${compression}-compressed; open it with backend 'auto' or 'heap' to decompress it into memory`, {
          code: 'ERR_MODELMAP_UNSUPPORTED',
          path: file,
        })
      }
      // The compressed input is mapped where native works (no heap copy of it), else read.
      const { binding } = nativeBinding()
      const map =
        binding === undefined || forcedBackend() === 'heap' || requested === 'heap'
          ? undefined
          : (source: OsPath) => {
              const compressedModel = new ModelData(
                new NativeBackend(binding, source, file, { mapping: 'copy-on-write', advice: 'sequential', populate: false, lock: false, viewBuffer: nativeBinding().status.viewBuffer ?? 'arraybuffer' }),
              )
              const view = compressedModel.view()
              compressedModel.close()
              return view
            }
      const { bytes, identity } = decompressFile(os, file, compression, { maxBytes: maxDecompressed, maxRatio }, map)
      return new ModelData(new BufferBackend(bytes, { os, path: file, identity }))
    }

    const backend = forcedBackend() ?? requested
    const { binding, status } = nativeBinding()
    if (backend === 'heap' || (backend === 'auto' && binding === undefined)) {
      return new ModelData(new FileReadBackend(os, file))
    }
    if (binding === undefined) {
      throw new ModelDataError(`cannot map '${file}': ${status.reason ?? 'native binding unavailable'}`, {
        code: 'ERR_MODELMAP_NATIVE_UNAVAILABLE',
        path: file,
      })
    }
    return new ModelData(new NativeBackend(binding, os, file, { mapping, advice, populate, lock, viewBuffer: chooseViewBuffer(viewBuffer, status, file) }))
  }

  /** Heap-backed model data over bytes already in memory (no copy: views share `bytes`). */
  static fromBuffer(bytes: Uint8Array): ModelData {
    if (!(bytes instanceof Uint8Array)) {
      throw typeError('ERR_INVALID_ARG_TYPE', 'The "bytes" argument must be a Buffer or Uint8Array')
    }
    return new ModelData(new BufferBackend(bytes))
  }

  /** Size in bytes (files past 4 GiB are normal). */
  get byteLength(): number {
    return this.#backend.byteLength
  }

  get path(): string | undefined {
    return this.#backend.path
  }

  get backend(): BackendName {
    return this.#backend.kind
  }

  get isMmap(): boolean {
    return this.#backend.kind === 'mmap'
  }

  get closed(): boolean {
    return this.#backend.closed
  }

  get locked(): boolean {
    return this.#backend.locked
  }

  /** What `view.buffer` is: 'shared' or 'arraybuffer' on the mmap backend, undefined on heap. */
  get viewBuffer(): ViewBuffer | undefined {
    return this.#backend instanceof NativeBackend ? this.#backend.viewBuffer : undefined
  }

  #open(): Backend {
    if (this.#backend.closed) throw closedError(this.#backend.path)
    return this.#backend
  }

  #range(what: string, byteOffset: unknown, byteLength: unknown): [number, number] {
    return checkedRange(what, this.#backend.byteLength, byteOffset, byteLength, this.#backend.path)
  }

  /**
   * A Buffer over `byteLength` bytes at `byteOffset` (default: the rest). On the mmap backend it
   * points into the mapping: no copy. It stays valid for as long as anything can reach it, also
   * after close(), and in every thread it reaches; the memory goes when the garbage collector has
   * collected every view. On the mmap backend `view.buffer` is a window of the file shared by
   * nearby views (as a small Buffer's `buffer` is Node's pool): use `byteOffset`/`byteLength`
   * with it. It is a SharedArrayBuffer where the runtime allows (see `viewBuffer`).
   */
  view(byteOffset?: number, byteLength?: number): Buffer {
    const backend = this.#open()
    const [offset, length] = this.#range('view', byteOffset, byteLength)
    checkViewLength(length)
    return backend.view(offset, length)
  }

  /** madvise over a range (whole file by default). No-op on the heap backend. */
  advise(advice: Advice, byteOffset?: number, byteLength?: number): void {
    const name = toAdvice(advice)
    const backend = this.#open()
    const [offset, length] = this.#range('advise range', byteOffset, byteLength)
    backend.advise(name, offset, length)
  }

  /** MADV_SEQUENTIAL over the file, before a linear scan. */
  adviseSequential(): void {
    this.advise('sequential')
  }

  /**
   * MADV_DONTNEED over the file after its bytes were uploaded elsewhere (a GPU). Pages re-fault
   * from the file on the next touch; anything written into views is discarded.
   */
  releaseCpuPages(): void {
    this.advise('dontneed')
  }

  /** How much of a range is in RAM (page cache residency for a mapping). */
  residency(byteOffset?: number, byteLength?: number): Residency {
    const backend = this.#open()
    const [offset, length] = this.#range('residency range', byteOffset, byteLength)
    return backend.residency(offset, length)
  }

  /**
   * Reads a range into the page cache off the main thread (the file's pages, not this mapping's
   * page tables: any later mapping of the file, in any process, finds them). Sequential parts,
   * so the cache is filled in large folios that later mappings map in large pieces.
   */
  async prefetch(options?: PrefetchOptions): Promise<void> {
    const opts = optionsObject('options', options)
    const signal = optionalSignal(opts.signal)
    const onProgress = optionalFunction<(p: Progress) => void>('onProgress', opts.onProgress)
    const concurrency = opts.concurrency === undefined ? undefined : threadCount(opts.concurrency)
    const backend = this.#open()
    const [offset, length] = this.#range('prefetch range', opts.byteOffset, opts.byteLength)
    return track(() => backend.prefetch(offset, length, concurrency), length, { signal, onProgress })
  }

  /** Lowercase hex digest of a range (whole file by default), computed off the main thread. */
  async checksum(algorithm: 'sha256' = 'sha256', options?: JobOptions): Promise<string> {
    if (algorithm !== 'sha256') {
      throw typeError('ERR_INVALID_ARG_VALUE', `The argument 'algorithm' must be 'sha256'. Received ${String(algorithm)}`)
    }
    const opts = optionsObject('options', options)
    const signal = optionalSignal(opts.signal)
    const onProgress = optionalFunction<(p: Progress) => void>('onProgress', opts.onProgress)
    const backend = this.#open()
    const [offset, length] = this.#range('checksum range', opts.byteOffset, opts.byteLength)
    return track(() => backend.checksum(offset, length), length, { signal, onProgress })
  }

  /**
   * True when the file was replaced, deleted, truncated or modified since open (its size, mtime or
   * ctime moved). Throws ERR_MODELMAP_CLOSED after close(), like every other method.
   */
  isStale(): boolean {
    return this.#open().isStale()
  }

  /**
   * Ends the handle: later calls throw ERR_MODELMAP_CLOSED, any lock is dropped and the file
   * descriptor is closed. Views already handed out stay valid and keep reading the file's bytes
   * (Node's own I/O may still be reading them); the mapping is released when the garbage
   * collector has collected every view. Closing twice is harmless.
   */
  close(): void {
    this.#backend.close()
  }

  /** `using model = ModelData.open(path)` closes it at the end of the block. */
  [Symbol.dispose](): void {
    this.close()
  }

  /**
   * @internal A decode job over `byteLength` bytes at `byteOffset`, off the JavaScript thread,
   * or undefined on backends that have none. Tensor values go through `tensor.decode()`.
   */
  decodeJob(request: DecodeRequest): Running<Float32Array | Uint16Array | undefined> | undefined {
    const backend = this.#open()
    return backend.decode?.(request)
  }

  /** @internal A statistics job (see decodeJob), or undefined on backends that have none. */
  statsJob(request: DecodeRequest): Running<TensorStats> | undefined {
    return this.#open().stats?.(request)
  }

  /** @internal Whether `decodeJob` runs jobs off the JavaScript thread here (the mmap backend). */
  get hasDecodeJobs(): boolean {
    return this.#backend.decode !== undefined
  }

  /** @internal Windows the mmap backend holds (see backends/native.ts), for tests. */
  get windowCount(): number {
    return this.#backend instanceof NativeBackend ? this.#backend.windowCount : 0
  }
}
