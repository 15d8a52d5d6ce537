/**
 * Typed errors. Every error modelmap throws has a stable `code`: Node's errno names for OS errors
 * (`ENOENT`, `EACCES`, `EISDIR`, ...), `ERR_OUT_OF_RANGE` / `ERR_INVALID_ARG_*` for bad arguments
 * (as Node's own APIs use), and `ERR_MODELMAP_*` for the library's own conditions.
 */

export type ModelDataErrorCode =
  | 'ENOENT'
  | 'EACCES'
  | 'EISDIR'
  | 'ELOOP'
  | 'ENOTDIR'
  | 'ENAMETOOLONG'
  | 'ERR_MODELMAP_NOT_REGULAR_FILE'
  | 'ERR_MODELMAP_CLOSED'
  | 'ERR_MODELMAP_LOCK_FAILED'
  | 'ERR_MODELMAP_FILE_CHANGED'
  | 'ERR_MODELMAP_UNSUPPORTED'
  | 'ERR_MODELMAP_TOO_LARGE'
  | 'ERR_MODELMAP_NATIVE_UNAVAILABLE'
  | 'ERR_MODELMAP_EXTERNAL_BUFFERS_FORBIDDEN'
  | 'ERR_MODELMAP_LIMIT_EXCEEDED'
  | 'ERR_MODELMAP_INVALID_GGUF'
  | 'ERR_MODELMAP_INVALID_SAFETENSORS'
  | 'ERR_MODELMAP_INCOMPLETE_MODEL'
  | 'ERR_MODELMAP_INCONSISTENT_MODEL'
  | 'ERR_MODELMAP_AMBIGUOUS_MODEL'
  | 'ERR_MODELMAP_NO_MODEL'
  | 'ERR_MODELMAP_UNKNOWN_FORMAT'
  | 'ERR_MODELMAP_NOT_TRANSFERABLE'
  | 'ERR_MODELMAP_DECOMPRESSED_TOO_LARGE'
  | 'ERR_MODELMAP_INVALID_COMPRESSED_DATA'
  | 'ERR_MODELMAP_UNSUPPORTED_COMPRESSION'
  /** Memory for decoded values could not be had (`decode()` / `toFloat32()` of a huge tensor). */
  | 'ERR_MODELMAP_OUT_OF_MEMORY'
  /** A Node-API call the binding needs failed (a runtime out of memory or torn down). */
  | 'ERR_MODELMAP_NAPI'
  | (string & {})

export interface ModelDataErrorDetails {
  code: ModelDataErrorCode
  path?: string | undefined
  syscall?: string | undefined
  byteOffset?: number | undefined
  cause?: unknown
}

/** Anything that went wrong with a model file or handle. */
export class ModelDataError extends Error {
  readonly code: ModelDataErrorCode
  readonly path: string | undefined
  readonly syscall: string | undefined
  readonly byteOffset: number | undefined

  constructor(message: string, details: ModelDataErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.name = 'ModelDataError'
    this.code = details.code
    this.path = details.path
    this.syscall = details.syscall
    this.byteOffset = details.byteOffset
  }
}

/** Rejection of a prefetch or checksum cancelled through its AbortSignal (as Node's fs does). */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR'
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'AbortError'
  }
}

type CodedError = Error & { code?: string }

export function rangeError(message: string): RangeError & { code: 'ERR_OUT_OF_RANGE' } {
  const err = new RangeError(message) as RangeError & { code: 'ERR_OUT_OF_RANGE' }
  err.code = 'ERR_OUT_OF_RANGE'
  return err
}

export function typeError(code: 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_INVALID_URL_SCHEME', message: string): TypeError & { code: string } {
  const err = new TypeError(message) as TypeError & { code: string }
  err.code = code
  return err
}

export function closedError(path: string | undefined): ModelDataError {
  const what = path === undefined ? 'the in-memory model' : `'${path}'`
  return new ModelDataError(`${what} is closed`, { code: 'ERR_MODELMAP_CLOSED', path })
}

/**
 * The native binding throws plain errors carrying `code`, `path`, `syscall`, `byteOffset`; give
 * them the public classes. Range and type errors keep their class (callers test `instanceof
 * RangeError`), everything else becomes a ModelDataError.
 */
export function fromNative(err: unknown): unknown {
  if (!(err instanceof Error)) return err
  const coded = err as CodedError & { path?: string; syscall?: string; byteOffset?: number }
  if (err instanceof RangeError || err instanceof TypeError || typeof coded.code !== 'string') return err
  if (coded.code === 'ABORT_ERR') return new AbortError(err.message)
  return new ModelDataError(err.message, {
    code: coded.code,
    path: coded.path,
    syscall: coded.syscall,
    byteOffset: coded.byteOffset,
  })
}

/** Runs a native call, rethrowing its error as the public type. */
export function callNative<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw fromNative(err)
  }
}
