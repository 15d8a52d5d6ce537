/** Opening the user's file from JavaScript, with the same rules and errors as the native core. */

import * as fs from 'node:fs'

import { ModelDataError } from '../errors.js'

import type { OsPath } from '../validate.js'

/**
 * What a file was when opened, in nanoseconds: size, mtime and ctime (a rewrite that restores
 * the mtime with `touch -r` still moves the ctime), plus device and inode.
 */
export interface FileIdentity {
  dev: bigint
  ino: bigint
  size: number
  mtimeNs: bigint
  ctimeNs: bigint
}

export function identityOf(stat: fs.BigIntStats): FileIdentity {
  return { dev: stat.dev, ino: stat.ino, size: Number(stat.size), mtimeNs: stat.mtimeNs, ctimeNs: stat.ctimeNs }
}

/** True when the file at `path` is no longer the file with `opened` identity. */
export function isStalePath(path: OsPath, opened: FileIdentity): boolean {
  let now: fs.BigIntStats
  try {
    now = fs.statSync(path, { bigint: true })
  } catch {
    return true
  }
  const a = identityOf(now)
  return a.dev !== opened.dev || a.ino !== opened.ino || a.size !== opened.size || a.mtimeNs !== opened.mtimeNs || a.ctimeNs !== opened.ctimeNs
}

/** fs errors keep their code, syscall and message, as ModelDataError with the path. */
export function wrapFsError(err: unknown, path: string): unknown {
  if (!(err instanceof Error)) return err
  const e = err as NodeJS.ErrnoException
  if (typeof e.code !== 'string') return err
  return new ModelDataError(e.message, { code: e.code, path, syscall: e.syscall, cause: err })
}

function kindOf(stat: fs.BigIntStats): string {
  if (stat.isFIFO()) return 'FIFO'
  if (stat.isSocket()) return 'socket'
  if (stat.isCharacterDevice()) return 'character device'
  if (stat.isBlockDevice()) return 'block device'
  return 'special file'
}

function notRegular(stat: fs.BigIntStats, path: string): ModelDataError | undefined {
  if (stat.isFile()) return undefined
  if (stat.isDirectory()) {
    return new ModelDataError(`EISDIR: illegal operation on a directory, open '${path}'`, { code: 'EISDIR', path, syscall: 'open' })
  }
  return new ModelDataError(`'${path}' is a ${kindOf(stat)}, not a regular file: only regular files can be opened`, {
    code: 'ERR_MODELMAP_NOT_REGULAR_FILE',
    path,
  })
}

/**
 * Opens read-only, never blocking on a FIFO, and accepts only regular files. `path` is what the
 * OS is given; errors name `display`.
 */
export function openRegularFile(osPath: OsPath, path: string): { fd: number; identity: FileIdentity } {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (no effect on regular files).
  const flags = fs.constants.O_RDONLY | (process.platform === 'win32' ? 0 : fs.constants.O_NONBLOCK)
  let fd: number
  try {
    fd = fs.openSync(osPath, flags)
  } catch (err) {
    // A socket refuses open() (ENXIO); name the real problem when the path is not a file.
    let stat: fs.BigIntStats | undefined
    try {
      stat = fs.statSync(osPath, { bigint: true })
    } catch {
      stat = undefined
    }
    throw (stat && notRegular(stat, path)) ?? wrapFsError(err, path)
  }
  try {
    const stat = fs.fstatSync(fd, { bigint: true })
    const problem = notRegular(stat, path)
    if (problem !== undefined) throw problem
    return { fd, identity: identityOf(stat) }
  } catch (err) {
    fs.closeSync(fd)
    throw err
  }
}

/** One readSync asks for at most this much: Node refuses lengths of 2 GiB and more. */
const MAX_READ = 1 << 30

/** Fills `buf` from `position`; a short file is ERR_MODELMAP_FILE_CHANGED at the first missing byte. */
export function readFully(fd: number, buf: Uint8Array, position: number, path: string): void {
  let done = 0
  while (done < buf.length) {
    let n: number
    try {
      n = fs.readSync(fd, buf, done, Math.min(buf.length - done, MAX_READ), position + done)
    } catch (err) {
      throw wrapFsError(err, path)
    }
    if (n === 0) {
      throw new ModelDataError(`'${path}' changed while open: bytes at offset ${position + done} are gone (was the file truncated or replaced?)`, {
        code: 'ERR_MODELMAP_FILE_CHANGED',
        path,
        byteOffset: position + done,
      })
    }
    done += n
  }
}

/**
 * The whole of a small file a model or a user names (an index, a checksum list, a cache ref):
 * opened as openRegularFile opens, so a FIFO, device or socket is ERR_MODELMAP_NOT_REGULAR_FILE
 * at once instead of a read that never ends, and refused past `maxBytes` before anything is read.
 */
export function readSmallFile(path: string, maxBytes: number, tooBig: (size: number) => Error): Buffer {
  const { fd, identity } = openRegularFile(path, path)
  try {
    if (identity.size > maxBytes) throw tooBig(identity.size)
    const buf = Buffer.alloc(identity.size)
    let done = 0
    while (done < buf.length) {
      const n = fs.readSync(fd, buf, done, buf.length - done, done)
      if (n === 0) break
      done += n
    }
    return buf.subarray(0, done)
  } catch (err) {
    throw err instanceof ModelDataError ? err : wrapFsError(err, path)
  } finally {
    fs.closeSync(fd)
  }
}

