/** `ggufAllShards`: @huggingface/gguf's reader of a whole split set, for local files. */

import { typeError } from '../../errors.js'
import { gguf } from './open.js'
import type { GgufParams } from './open.js'
import { ggufShardFilename, parseGgufShardFilename } from './split-names.js'

export interface GgufAllShardsParams extends GgufParams {
  /** Accepted for compatibility (shards are parsed one after another: local files need no parallel fetches). */
  parallelDownloads?: number
}

export interface GgufAllShardsResult {
  /** Each shard as gguf() gives it (with parameterCount when the set has several shards, as theirs). */
  shards: Array<Record<string, unknown>>
  parameterCount: number
  /** The shard paths, in order. */
  urls: string[]
}

/**
 * Same result as @huggingface/gguf's `ggufAllShards` on a local path: for a shard name
 * (`<prefix>-00001-of-00005.gguf`) every shard of the set is parsed, else the one file.
 * A missing shard rejects with ENOENT naming it; use openModel for the set's validation.
 */
export async function ggufAllShards(path: string, params?: GgufAllShardsParams): Promise<GgufAllShardsResult> {
  if (params?.parallelDownloads !== undefined && !(params.parallelDownloads >= 1)) throw new TypeError('parallelDownloads must be greater than 0')
  if (typeof path !== 'string') throw typeError('ERR_INVALID_ARG_TYPE', 'The "path" argument must be a string')
  const { parallelDownloads: _ignored, ...rest } = params ?? {}
  const shard = parseGgufShardFilename(path)
  if (shard !== null) {
    const total = Number(shard.total)
    const urls = Array.from({ length: total }, (_, i) => ggufShardFilename(shard.prefix, i + 1, total))
    const shards: Array<Record<string, unknown>> = []
    for (const url of urls) shards.push(await gguf(url, { ...rest, computeParametersCount: true }))
    return { shards, parameterCount: shards.reduce((a, s) => a + (s.parameterCount as number), 0), urls }
  }
  const { metadata, tensorInfos, tensorDataOffset, littleEndian, parameterCount, tensorInfoByteRange } = await gguf(path, { ...rest, computeParametersCount: true })
  return { shards: [{ metadata, tensorInfos, tensorDataOffset, littleEndian, tensorInfoByteRange }], parameterCount: parameterCount as number, urls: [path] }
}
