/** The mmap backend: every call goes to the Rust core through the napi binding. */

import { callNative, fromNative } from '../errors.js'
import type { NativeBinding } from '../native.js'
import type { Advice, OpenAdvice } from '../validate.js'
import type { Backend, Residency, Running } from './backend.js'

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

  constructor(binding: NativeBinding, path: string, options: NativeOpenOptions) {
    this.#binding = binding
    this.#native = callNative(() => binding.NativeModelData.open(path, options))
    this.byteLength = this.#native.byteLength
    this.path = path
  }

  get closed(): boolean {
    return this.#native.closed
  }

  get locked(): boolean {
    return this.#native.locked
  }

  /** Views this handle still tracks for detaching (tests use it to check for leaks). */
  get trackedViews(): number {
    return this.#native.trackedViews
  }

  view(byteOffset: number, byteLength: number): Buffer {
    return callNative(() => this.#native.view(byteOffset, byteLength))
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
    this.#native.close()
  }
}
