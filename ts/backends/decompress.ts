/**
 * Compressed model files (.gz, .zst) are decompressed once into memory and served by the heap
 * backend. The output is capped, so a decompression bomb is a typed error, not an out-of-memory
 * crash.
 */

import { constants as bufferConstants } from 'node:buffer'
import * as fs from 'node:fs'
import * as zlib from 'node:zlib'

import { ModelDataError } from '../errors.js'
import { openRegularFile, readFully } from './open-file.js'
import type { FileIdentity } from './open-file.js'
import type { OsPath } from '../validate.js'

export type Compression = 'gzip' | 'zstd'

/** By extension, as users name such files. */
export function compressionOf(path: string): Compression | undefined {
  const lower = path.toLowerCase()
  if (lower.endsWith('.gz')) return 'gzip'
  if (lower.endsWith('.zst')) return 'zstd'
  return undefined
}

const MAGIC: Record<Compression, number[]> = {
  gzip: [0x1f, 0x8b],
  zstd: [0x28, 0xb5, 0x2f, 0xfd],
}

type ZstdDecompressSync = (buf: Uint8Array, options?: { maxOutputLength?: number }) => Buffer

function zstdDecompressor(): ZstdDecompressSync | undefined {
  const candidate = (zlib as unknown as { zstdDecompressSync?: ZstdDecompressSync }).zstdDecompressSync
  return typeof candidate === 'function' ? candidate : undefined
}

/** Whether this runtime can decompress the format (zstd needs Node 22.15+ / 23.8+). */
export function canDecompress(compression: Compression): boolean {
  return compression === 'gzip' || zstdDecompressor() !== undefined
}

/** Default cap on a decompressed size: the same on every Node version (Node 20's largest Buffer). */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 2 ** 32
/** Default cap on output / input. Model weights compress 1-2×; only a bomb reaches 100×. */
export const DEFAULT_MAX_DECOMPRESSION_RATIO = 100
/** The ratio cap never goes below this, so small compressed files still open. */
const RATIO_FLOOR_BYTES = 64 * 2 ** 20

export interface DecompressLimits {
  maxBytes: number
  maxRatio: number
}

function magicMatches(fd: number, compression: Compression, size: number): boolean {
  const magic = MAGIC[compression]
  if (size < magic.length) return false
  const head = Buffer.alloc(magic.length)
  fs.readSync(fd, head, 0, head.length, 0)
  return magic.every((b, i) => head[i] === b)
}

/** The compressed bytes: a view of a mapping where the native backend works (no heap copy), else a read. */
function compressedBytes(os: OsPath, fd: number, size: number, path: string, map: ((os: OsPath) => Buffer) | undefined): Buffer {
  if (size > bufferConstants.MAX_LENGTH) {
    throw new ModelDataError(`'${path}' is ${size} bytes compressed, more than this runtime's largest Buffer (${bufferConstants.MAX_LENGTH}); decompress it first`, {
      code: 'ERR_MODELMAP_TOO_LARGE',
      path,
    })
  }
  if (map !== undefined) return map(os)
  const bytes = Buffer.allocUnsafe(size)
  readFully(fd, bytes, 0, path)
  return bytes
}

/**
 * Decompresses a whole `.gz` / `.zst` file into memory. The magic bytes are checked before
 * anything else is read, and the output is capped before it is produced: at `maxBytes`, and at
 * `maxRatio` × the compressed size (never below 64 MiB), whichever is smaller.
 */
export function decompressFile(
  os: OsPath,
  path: string,
  compression: Compression,
  limits: DecompressLimits,
  map?: (os: OsPath) => Buffer,
): { bytes: Buffer; identity: FileIdentity } {
  const zstd = zstdDecompressor()
  if (compression === 'zstd' && zstd === undefined) {
    throw new ModelDataError(`cannot open '${path}': this runtime's node:zlib has no zstd (Node ${process.versions.node}; needs 22.15+ or 23.8+). Decompress it first or upgrade Node.`, {
      code: 'ERR_MODELMAP_UNSUPPORTED_COMPRESSION',
      path,
    })
  }
  const { fd, identity } = openRegularFile(os, path)
  let compressed: Buffer
  try {
    if (!magicMatches(fd, compression, identity.size)) {
      throw new ModelDataError(`'${path}' is named like a ${compression} file but does not start with the ${compression} magic bytes`, {
        code: 'ERR_MODELMAP_INVALID_COMPRESSED_DATA',
        path,
        byteOffset: 0,
      })
    }
    compressed = compressedBytes(os, fd, identity.size, path, map)
  } finally {
    fs.closeSync(fd)
  }
  const byRatio = Math.max(limits.maxRatio * identity.size, RATIO_FLOOR_BYTES)
  const cap = Math.min(limits.maxBytes, byRatio, bufferConstants.MAX_LENGTH)
  const which =
    cap === limits.maxBytes
      ? `maxDecompressedBytes (${limits.maxBytes} bytes)`
      : cap === byRatio
        ? `maxDecompressionRatio (${limits.maxRatio}× its ${identity.size} compressed bytes = ${byRatio} bytes)`
        : `this runtime's largest Buffer (${bufferConstants.MAX_LENGTH} bytes)`
  let out: Buffer
  try {
    out = compression === 'gzip' ? zlib.gunzipSync(compressed, { maxOutputLength: cap }) : zstd!(compressed, { maxOutputLength: cap })
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ModelDataError(`'${path}' decompresses to more than ${which}; if the file is trusted, raise that option`, {
        code: 'ERR_MODELMAP_DECOMPRESSED_TOO_LARGE',
        path,
        cause: err,
      })
    }
    throw new ModelDataError(`'${path}' is not valid ${compression} data: ${(err as Error).message}`, {
      code: 'ERR_MODELMAP_INVALID_COMPRESSED_DATA',
      path,
      cause: err,
    })
  }
  return { bytes: out, identity }
}
