/**
 * Compressed model files (.gz, .zst) are decompressed once into memory and served by the heap
 * backend. The output is capped, so a decompression bomb is a typed error, not an out-of-memory
 * crash.
 */

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

export function decompressFile(os: OsPath, path: string, compression: Compression, maxBytes: number): { bytes: Buffer; identity: FileIdentity } {
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
    compressed = Buffer.allocUnsafe(identity.size)
    readFully(fd, compressed, 0, path)
  } finally {
    fs.closeSync(fd)
  }
  const magic = MAGIC[compression]
  if (compressed.length < magic.length || magic.some((b, i) => compressed[i] !== b)) {
    throw new ModelDataError(`'${path}' is named like a ${compression} file but does not start with the ${compression} magic bytes`, {
      code: 'ERR_MODELMAP_INVALID_COMPRESSED_DATA',
      path,
      byteOffset: 0,
    })
  }
  let out: Buffer
  try {
    out = compression === 'gzip' ? zlib.gunzipSync(compressed, { maxOutputLength: maxBytes }) : zstd!(compressed, { maxOutputLength: maxBytes })
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ModelDataError(`'${path}' decompresses to more than maxDecompressedBytes (${maxBytes} bytes); raise the limit if the file is trusted`, {
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
