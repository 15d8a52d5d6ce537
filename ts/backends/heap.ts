/**
 * The heap backend: the same API without a mapping. Used where the native binary is missing,
 * where the runtime forbids external buffers, when asked for (`backend: 'heap'`,
 * MODELMAP_BACKEND=heap), and for bytes already in memory (`fromBuffer`). Advice and locking mean
 * nothing here and are no-ops; everything counts as resident.
 */

import { constants as bufferConstants } from 'node:buffer'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import { setImmediate as nextTurn } from 'node:timers/promises'

import { AbortError, closedError } from '../errors.js'
import { isStalePath, openRegularFile, readFully } from './open-file.js'
import type { FileIdentity } from './open-file.js'
import type { OsPath } from '../validate.js'
import type { Backend, Job, Residency, Running } from './backend.js'

// 1 MiB: hashing runs on the main thread here, so each turn of the event loop stays ~1 ms.
const CHUNK = 1 << 20

class JsJob implements Job {
  bytesDone = 0
  cancelled = false
  cancel(): void {
    this.cancelled = true
  }
}

abstract class HeapBackend implements Backend {
  readonly kind = 'heap' as const
  readonly locked = false
  abstract readonly byteLength: number
  abstract readonly path: string | undefined
  abstract readonly closed: boolean
  abstract view(byteOffset: number, byteLength: number): Buffer
  abstract isStale(): boolean
  abstract close(): void
  /** Bytes for checksumming: may be a view or a fresh read. */
  protected abstract chunk(byteOffset: number, byteLength: number): Promise<Buffer>

  advise(): void {}

  residency(_byteOffset: number, byteLength: number): Residency {
    return { residentBytes: byteLength, totalBytes: byteLength }
  }

  prefetch(_byteOffset: number, byteLength: number): Running<void> {
    const job = new JsJob()
    job.bytesDone = byteLength
    return { job, done: Promise.resolve() }
  }

  checksum(byteOffset: number, byteLength: number): Running<string> {
    const job = new JsJob()
    const done = (async () => {
      const hash = createHash('sha256')
      let at = byteOffset
      const end = byteOffset + byteLength
      while (at < end) {
        if (job.cancelled) throw new AbortError()
        if (this.closed) throw closedError(this.path)
        const n = Math.min(CHUNK, end - at)
        hash.update(await this.chunk(at, n))
        job.bytesDone += n
        at += n
        // Hashing runs on this thread: yield between chunks so the event loop keeps turning.
        await nextTurn()
      }
      return hash.digest('hex')
    })()
    return { job, done }
  }
}


/**
 * Bytes in memory: the caller's (`fromBuffer`) or our own (a decompressed file). Views are
 * subarrays of those bytes; close() ends the handle and leaves them alone, so a view handed to
 * Node's own I/O keeps its bytes until the garbage collector lets go of it.
 */
export class BufferBackend extends HeapBackend {
  readonly byteLength: number
  readonly path: string | undefined
  closed = false
  readonly #bytes: Uint8Array
  readonly #source: { os: OsPath; identity: FileIdentity } | undefined

  constructor(bytes: Uint8Array, source?: { os: OsPath; path: string; identity: FileIdentity }) {
    super()
    this.#bytes = bytes
    this.#source = source
    this.path = source?.path
    this.byteLength = bytes.byteLength
  }

  view(byteOffset: number, byteLength: number): Buffer {
    return Buffer.from(this.#bytes.buffer, this.#bytes.byteOffset + byteOffset, byteLength)
  }

  protected chunk(byteOffset: number, byteLength: number): Promise<Buffer> {
    return Promise.resolve(this.view(byteOffset, byteLength))
  }

  isStale(): boolean {
    return this.#source === undefined ? false : isStalePath(this.#source.os, this.#source.identity)
  }

  close(): void {
    this.closed = true
  }
}

/** Closes the descriptor of a FileReadBackend dropped without close(). */
const dropped = new FinalizationRegistry<number>((fd) => {
  try {
    fs.closeSync(fd)
  } catch {
    // Already closed; nothing else can be done from a finalizer.
  }
})

/**
 * A plain file read on demand: each view is filled by positioned reads of just its range, so a
 * 30 GB model still opens and parsing a header reads kilobytes. Views are copies the caller
 * owns; close() closes the descriptor and leaves them alone.
 */
export class FileReadBackend extends HeapBackend {
  readonly byteLength: number
  readonly path: string
  closed = false
  #fd: number
  readonly #os: OsPath
  readonly #identity: FileIdentity

  constructor(os: OsPath, path: string) {
    super()
    this.path = path
    this.#os = os
    const { fd, identity } = openRegularFile(os, path)
    this.#fd = fd
    dropped.register(this, fd, this)
    this.#identity = identity
    this.byteLength = identity.size
  }

  view(byteOffset: number, byteLength: number): Buffer {
    if (byteLength === 0) return Buffer.alloc(0)
    // Placed at the same address alignment (mod 8) as its offset in the file, as a mapping's
    // views are, so typed-array alignment (`tensor.array`) comes out the same on both backends.
    const lead = byteLength + 8 <= bufferConstants.MAX_LENGTH ? byteOffset % 8 : 0
    const whole = Buffer.allocUnsafeSlow(lead + byteLength)
    // The lead bytes are reachable through view.buffer: zeros, never whatever the allocator left
    // there (13,768 of 40,000 views showed heap-pointer-like bytes before).
    whole.fill(0, 0, lead)
    const buf = whole.subarray(lead)
    readFully(this.#fd, buf, byteOffset, this.path)
    return buf
  }

  protected chunk(byteOffset: number, byteLength: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(byteLength)
    readFully(this.#fd, buf, byteOffset, this.path)
    return Promise.resolve(buf)
  }

  isStale(): boolean {
    return isStalePath(this.#os, this.#identity)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    dropped.unregister(this)
    fs.closeSync(this.#fd)
    this.#fd = -1
  }
}
