/** Argument checks shared by both backends, so bad input fails the same way everywhere. */

import { constants as bufferConstants } from 'node:buffer'
import { fileURLToPath } from 'node:url'

import { rangeError, typeError } from './errors.js'

export type PathLike = string | Buffer | URL

/** A path as handed to the OS: a Buffer path keeps its exact bytes (POSIX names need not be UTF-8). */
export type OsPath = string | Buffer

/** A checked path: `os` for system calls, `display` (UTF-8, lossy for odd bytes) for messages. */
export interface CheckedPath {
  os: OsPath
  display: string
}

export const ADVICE = ['normal', 'sequential', 'random', 'willneed', 'dontneed'] as const
export type Advice = (typeof ADVICE)[number]
export type OpenAdvice = Exclude<Advice, 'dontneed'>

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'bigint') return `type bigint (${value}n)`
  if (typeof value === 'string') return `type string ('${value.length > 40 ? value.slice(0, 40) + '…' : value}')`
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`
  return `type ${typeof value} (${String(value)})`
}

/** A byte offset or length: a non-negative safe integer. */
export function byteCount(name: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw typeError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type number. Received ${describe(value)}`)
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw rangeError(`The value of "${name}" is out of range. It must be an integer >= 0 and <= ${Number.MAX_SAFE_INTEGER}. Received ${value}`)
  }
  return value
}

/** `[offset, length]` inside `total` bytes; length defaults to the rest. */
export function checkedRange(what: string, total: number, offset: unknown, length: unknown, path: string | undefined): [number, number] {
  const start = offset === undefined ? 0 : byteCount('byteOffset', offset)
  if (start > total) throw outOfRange(what, start, length === undefined ? 0 : Number(length), total, path)
  const count = length === undefined ? total - start : byteCount('byteLength', length)
  if (start + count > total) throw outOfRange(what, start, count, total, path)
  return [start, count]
}

function outOfRange(what: string, offset: number, length: number, total: number, path: string | undefined): RangeError {
  const of = path === undefined ? 'the in-memory model' : `'${path}'`
  const err = rangeError(`${what} is out of range: byteOffset ${offset} + byteLength ${length} exceeds the ${total} bytes of ${of}`)
  Object.assign(err, { byteOffset: offset, path })
  return err
}

/** Views cannot be longer than the runtime's largest Buffer (4 GiB on Node 20). */
export function checkViewLength(length: number): void {
  if (length > bufferConstants.MAX_LENGTH) {
    throw rangeError(
      `a view of ${length} bytes is longer than this runtime's buffer.constants.MAX_LENGTH (${bufferConstants.MAX_LENGTH}); take windowed views of at most that size`,
    )
  }
}

/** A filesystem path, accepted in the forms Node's fs accepts. */
export function toPath(path: unknown): CheckedPath {
  let os: OsPath
  if (typeof path === 'string') os = path
  else if (Buffer.isBuffer(path)) os = Buffer.from(path)
  else if (path instanceof URL) {
    if (path.protocol !== 'file:') throw typeError('ERR_INVALID_URL_SCHEME', `The URL must be of scheme file. Received ${path.href}`)
    os = fileURLToPath(path)
  } else {
    throw typeError('ERR_INVALID_ARG_TYPE', `The "path" argument must be of type string or an instance of Buffer or URL. Received ${describe(path)}`)
  }
  const display = typeof os === 'string' ? os : os.toString('utf8')
  if (os.length === 0) throw typeError('ERR_INVALID_ARG_VALUE', `The argument 'path' must be a non-empty path. Received ''`)
  if (typeof os === 'string' ? os.includes('\u0000') : os.includes(0)) {
    throw typeError('ERR_INVALID_ARG_VALUE', `The argument 'path' must be a string, Uint8Array, or URL without null bytes. Received ${JSON.stringify(display)}`)
  }
  return { os, display }
}

export function toAdvice(value: unknown, allowDontneed = true): Advice {
  const allowed: readonly string[] = allowDontneed ? ADVICE : ADVICE.filter((a) => a !== 'dontneed')
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw typeError('ERR_INVALID_ARG_VALUE', `The argument 'advice' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}. Received ${describe(value)}`)
  }
  return value as Advice
}

export function optionsObject(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw typeError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type object. Received ${describe(value)}`)
  }
  return value as Record<string, unknown>
}

export function optionalBoolean(name: string, value: unknown): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw typeError('ERR_INVALID_ARG_TYPE', `The "${name}" option must be of type boolean. Received ${describe(value)}`)
  return value
}

export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw typeError('ERR_INVALID_ARG_VALUE', `The "${name}" option must be one of ${allowed.map((a) => `'${a}'`).join(', ')}. Received ${describe(value)}`)
  }
  return value as T
}

export function optionalFunction<F>(name: string, value: unknown): F | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') throw typeError('ERR_INVALID_ARG_TYPE', `The "${name}" option must be a function. Received ${describe(value)}`)
  return value as F
}

export function optionalSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined
  if (!(value instanceof AbortSignal)) throw typeError('ERR_INVALID_ARG_TYPE', `The "signal" option must be an AbortSignal. Received ${describe(value)}`)
  return value
}
