/**
 * Budgets for parsing a model header. A file from the internet may be valid-looking and still
 * built to exhaust memory (millions of empty tensors, a million metadata keys, a JSON header of
 * nested brackets). Every parser checks these limits before it allocates for what a file claims,
 * and refuses with ERR_MODELMAP_LIMIT_EXCEEDED naming the limit and the option that raises it.
 *
 * The defaults admit every real model with a wide margin (README, "Limits"); a caller who trusts
 * a file raises one with `{ limits: { maxTensors: … } }`.
 */

import { ModelDataError, rangeError, typeError } from '../errors.js'
import type { ModelData } from '../model-data.js'
import { optionsObject } from '../validate.js'

export interface ParseLimits {
  /** Tensors in one file. Default 262,144 (real single files: hundreds to a few thousand). */
  maxTensors?: number
  /** GGUF key/value pairs, or safetensors `__metadata__` entries. Default 65,536 (real: under 1,000). */
  maxMetadataEntries?: number
  /**
   * Bytes of header: GGUF metadata plus tensor infos (default 512 MiB; a 1M-token vocabulary
   * with merges is about 50 MB), safetensors JSON (default 100,000,000, the format's own cap).
   */
  maxHeaderBytes?: number
  /** Nesting: GGUF arrays of arrays (default 4, as @huggingface/gguf), safetensors JSON (default 4; a valid header needs 3). */
  maxDepth?: number
  /**
   * Array elements decoded at parse time, summed over the header; and the elements of any one
   * array decoded later (lazy arrays). Default 16,777,216 (a 1M-token vocabulary, its scores,
   * types and merges are about 4M).
   */
  maxArrayElements?: number
  /** Bytes of one string (a key, a value, a tensor name). Default 64 MiB (chat templates and embedded tokenizer JSON are KBs to a few MB). */
  maxStringBytes?: number
  /**
   * Files in one model set (openModel only; a GGUF split name can claim 99,999). Default 4,096
   * (the largest published sets have a few hundred); each shard holds a file descriptor while open.
   */
  maxShards?: number
}

export type ResolvedLimits = Required<ParseLimits>

const MiB = 1024 * 1024

export const GGUF_LIMITS: ResolvedLimits = {
  maxTensors: 262_144,
  maxMetadataEntries: 65_536,
  maxHeaderBytes: 512 * MiB,
  maxDepth: 4,
  maxArrayElements: 16_777_216,
  maxStringBytes: 64 * MiB,
  maxShards: 4096,
}

export const SAFETENSORS_LIMITS: ResolvedLimits = {
  ...GGUF_LIMITS,
  maxHeaderBytes: 100_000_000,
}

/** V8 cannot make a string longer than this (~512 MiB); no limit may admit one. */
const MAX_STRING = (1 << 29) - 24

/** The caller's limits over the defaults, each a positive safe integer (or Infinity). */
export function resolveLimits(value: unknown, defaults: ResolvedLimits): ResolvedLimits {
  const given = optionsObject('limits', value)
  const out = { ...defaults }
  for (const key of Object.keys(given)) {
    if (!(key in defaults)) {
      throw typeError('ERR_INVALID_ARG_VALUE', `unknown limit '${key}': expected one of ${Object.keys(defaults).join(', ')}`)
    }
    const v = given[key]
    if (v === undefined) continue
    if (typeof v !== 'number' || !(v === Infinity || (Number.isSafeInteger(v) && v >= 0))) {
      throw rangeError(`The value of "limits.${key}" is out of range. It must be an integer >= 0 or Infinity. Received ${String(v)}`)
    }
    out[key as keyof ResolvedLimits] = v
  }
  out.maxStringBytes = Math.min(out.maxStringBytes, MAX_STRING)
  return out
}

/** What the error says about each limit: the thing counted. */
const WHAT: Record<keyof ResolvedLimits, string> = {
  maxTensors: 'tensors',
  maxMetadataEntries: 'metadata entries',
  maxHeaderBytes: 'header bytes',
  maxDepth: 'levels of nesting',
  maxArrayElements: 'array elements',
  maxStringBytes: 'bytes in one string',
  maxShards: 'shards',
}

export function limitExceeded(
  model: ModelData,
  format: 'GGUF' | 'safetensors',
  limit: keyof ResolvedLimits,
  value: number | string,
  allowed: number,
  offset: number,
  entry = format === 'GGUF' ? 'openGguf' : 'openSafetensors',
): ModelDataError {
  const where = model.path === undefined ? 'the in-memory model' : `'${model.path}'`
  return new ModelDataError(
    `${where}: this ${format} file has ${value} ${WHAT[limit]}, over the limit of ${allowed} (limits.${limit}); ` +
      `if the file is trusted, raise it: ${entry}(path, { limits: { ${limit}: … } }) (at byte ${offset})`,
    { code: 'ERR_MODELMAP_LIMIT_EXCEEDED', path: model.path, byteOffset: offset },
  )
}
