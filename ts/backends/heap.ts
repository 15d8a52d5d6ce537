/**
 * The heap backend: the same API without a mapping. Used where the native binary is missing,
 * where the runtime forbids external buffers, when asked for (`backend: 'heap'`,
 * MODELMAP_BACKEND=heap), and for bytes already in memory (`fromBuffer`). Advice and locking mean
 * nothing here and are no-ops; everything counts as resident.
 */

import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import { setImmediate as nextTurn } from 'node:timers/promises'

import { AbortError, ModelDataError } from '../errors.js'
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
        if (this.closed) throw closed(this.path)
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

function closed(path: string | undefined): ModelDataError {
  return new ModelDataError(`${path === undefined ? 'the in-memory model' : `'${path}'`} is closed`, { code: 'ERR_MODELMAP_CLOSED', path })
}

/** Bytes the caller already has. Views are subarrays of the caller's memory, so they never dangle. */
export class BufferBackend extends HeapBackend {
  readonly byteLength: number
  readonly path: string | undefined = undefined
  closed = false
  readonly #bytes: Uint8Array

  constructor(bytes: Uint8Array) {
    super()
    this.#bytes = bytes
    this.byteLength = bytes.byteLength
  }

  view(byteOffset: number, byteLength: number): Buffer {
    return Buffer.from(this.#bytes.buffer, this.#bytes.byteOffset + byteOffset, byteLength)
  }

  protected chunk(byteOffset: number, byteLength: number): Promise<Buffer> {
    return Promise.resolve(this.view(byteOffset, byteLength))
  }

  isStale(): boolean {
    return false
  }

  close(): void {
    this.closed = true
  }
}

interface Identity {
  dev: number
  ino: number
  size: number
  mtimeMs: number
}

function identityOf(stat: fs.Stats): Identity {
  return { dev: stat.dev, ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs }
}

function wrapFsError(err: unknown, path: string): unknown {
  if (!(err instanceof Error)) return err
  const e = err as NodeJS.ErrnoException
  if (typeof e.code !== 'string') return err
  return new ModelDataError(e.message, { code: e.code, path, syscall: e.syscall, cause: err })
}

/**
 * A plain file read on demand: each view is filled by one positioned read of just its range, so
 * a 30 GB model still opens and parsing a header reads kilobytes. Views are copies; close()
 * detaches them like the mmap backend's, for the same behaviour on both.
 */
export class FileReadBackend extends HeapBackend {
  readonly byteLength: number
  readonly path: string
  closed = false
  #fd: number
  readonly #identity: Identity
  #views: WeakRef<ArrayBuffer>[] = []
  #pruneAt = 64

  constructor(path: string) {
    super()
    this.path = path
    // O_NONBLOCK: opening a FIFO must not wait for a writer (no effect on regular files).
    const flags = fs.constants.O_RDONLY | (process.platform === 'win32' ? 0 : fs.constants.O_NONBLOCK)
    let fd: number
    try {
      fd = fs.openSync(path, flags)
    } catch (err) {
      throw wrapFsError(err, path)
    }
    try {
      const stat = fs.fstatSync(fd)
      if (stat.isDirectory()) {
        throw new ModelDataError(`EISDIR: illegal operation on a directory, open '${path}'`, { code: 'EISDIR', path, syscall: 'open' })
      }
      if (!stat.isFile()) {
        throw new ModelDataError(`'${path}' is a ${kindOf(stat)}, not a regular file: only regular files can be opened`, {
          code: 'ERR_MODELMAP_NOT_REGULAR_FILE',
          path,
        })
      }
      this.#identity = identityOf(stat)
      this.byteLength = stat.size
    } catch (err) {
      fs.closeSync(fd)
      throw err
    }
    this.#fd = fd
  }

  view(byteOffset: number, byteLength: number): Buffer {
    if (byteLength === 0) return Buffer.alloc(0)
    // Its own ArrayBuffer (not the shared pool), so close() can detach it.
    const buf = Buffer.allocUnsafeSlow(byteLength)
    this.#readInto(buf, byteOffset)
    this.#views.push(new WeakRef(buf.buffer as ArrayBuffer))
    if (this.#views.length >= this.#pruneAt) {
      this.#views = this.#views.filter((ref) => ref.deref() !== undefined)
      this.#pruneAt = Math.max(64, this.#views.length * 2)
    }
    return buf
  }

  #readInto(buf: Buffer, position: number): void {
    let done = 0
    while (done < buf.length) {
      let n: number
      try {
        n = fs.readSync(this.#fd, buf, done, buf.length - done, position + done)
      } catch (err) {
        throw wrapFsError(err, this.path)
      }
      if (n === 0) {
        throw new ModelDataError(`'${this.path}' changed while open: bytes at offset ${position + done} are gone (was the file truncated or replaced?)`, {
          code: 'ERR_MODELMAP_FILE_CHANGED',
          path: this.path,
          byteOffset: position + done,
        })
      }
      done += n
    }
  }

  protected chunk(byteOffset: number, byteLength: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(byteLength)
    this.#readInto(buf, byteOffset)
    return Promise.resolve(buf)
  }

  isStale(): boolean {
    let now: fs.Stats
    try {
      now = fs.statSync(this.path)
    } catch {
      return true
    }
    const a = identityOf(now)
    const b = this.#identity
    return a.dev !== b.dev || a.ino !== b.ino || a.size !== b.size || a.mtimeMs !== b.mtimeMs
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    fs.closeSync(this.#fd)
    this.#fd = -1
    for (const ref of this.#views) {
      const ab = ref.deref()
      // Transferring an ArrayBuffer detaches it: every view on it reads as length 0.
      if (ab !== undefined && ab.byteLength > 0) structuredClone(ab, { transfer: [ab] })
    }
    this.#views = []
  }
}

function kindOf(stat: fs.Stats): string {
  if (stat.isFIFO()) return 'FIFO'
  if (stat.isSocket()) return 'socket'
  if (stat.isCharacterDevice()) return 'character device'
  if (stat.isBlockDevice()) return 'block device'
  return 'special file'
}
