/**
 * What a CLI command works on: any form openModel accepts (a file, a shard of a set, an index, a
 * folder, a cached repo id) as one model with its shards, or a single file of another format
 * (shown as bytes, without tensors).
 */

import * as path from 'node:path'

import { ModelData } from '../model-data.js'
import type { JobOptions, PrefetchOptions } from '../model-data.js'
import type { Residency } from '../backends/backend.js'
import { ModelDataError } from '../errors.js'
import { compressionOf } from '../backends/decompress.js'
import type { MetadataValue } from '../formats/gguf/parse.js'
import { SAFETENSORS_LIMITS } from '../formats/limits.js'
import { openModel } from '../model/open-model.js'
import type { Model, ModelTensor } from '../model/open-model.js'
import { resolveModelFiles } from '../model/resolve.js'
import { readIndex } from '../model/safetensors-set.js'
import { missingFiles, openAll, SetBudget } from '../model/budget.js'
import { overFiles } from '../model/over-files.js'
import { incomplete } from '../model/errors.js'
import { detectFormat } from '../formats/detect.js'

export interface TensorRow {
  name: string
  dtype: string
  shape: number[]
  byteOffset: number
  byteLength: number
  shard: number
}

export interface CliShard {
  path: string
  data: ModelData
  tensorCount: number
}

/** The model's files, open (as bytes, or parsed). */
export interface CliFiles {
  /** The path (or repo id) as given. */
  given: string
  format: 'gguf' | 'safetensors' | 'unknown'
  shards: CliShard[]
  byteLength: number
  close(): void
}

/** The model parsed: what inspect and residency --tensors show. */
export interface CliTarget extends CliFiles {
  metadata: Record<string, MetadataValue>
  /** Every tensor's description; nothing is read but the headers. */
  tensors(): TensorRow[]
  /** A tensor with its values (tensor, inspect --stats); undefined for a file of another format. */
  tensor(name: string): ModelTensor | undefined
}

/** The files unparsed: what verify and warm work on. */
export interface CliBytes extends CliFiles {
  /** sha256 of each file, in order, with one progress stream over all of them. */
  checksum(options: JobOptions): Promise<string[]>
  prefetch(options: PrefetchOptions): Promise<void>
}

function fromModel(given: string, model: Model): CliTarget {
  return {
    given,
    format: model.format,
    shards: model.shards.map((s) => ({ path: s.path, data: s.data, tensorCount: s.tensorCount })),
    metadata: model.metadata as Record<string, MetadataValue>,
    byteLength: model.byteLength,
    tensors: () =>
      // Named fields only: spreading a tensor would read its lazy `data` and `array` getters.
      model.tensors().map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, byteOffset: t.byteOffset, byteLength: t.byteLength, shard: t.shard })),
    tensor: (name) => model.tensor(name),
    close: () => model.close(),
  }
}

/** The model, parsed (inspect, residency --tensors): a file of another format as bytes only. */
export function openTarget(given: string): CliTarget {
  try {
    return fromModel(given, openModel(given))
  } catch (err) {
    if (!(err instanceof ModelDataError) || err.code !== 'ERR_MODELMAP_UNKNOWN_FORMAT') throw err
  }
  const data = ModelData.open(given)
  return {
    given,
    format: 'unknown',
    shards: [{ path: data.path!, data, tensorCount: 0 }],
    metadata: {},
    byteLength: data.byteLength,
    tensors: () => [],
    tensor: () => undefined,
    close: () => data.close(),
  }
}

/**
 * The files of the model `given` names, in shard order, from their names (and the index's list),
 * without parsing any of them.
 */
export function modelFilePaths(given: string): string[] {
  const resolved = resolveModelFiles(given)
  if (resolved.kind === 'file') return [resolved.path]
  let files: string[]
  if (resolved.kind === 'safetensors-index') {
    const index = readIndex(resolved.index, SAFETENSORS_LIMITS)
    files = index.files.map((f) => path.join(path.dirname(resolved.index), f))
  } else {
    files = resolved.files
  }
  // The limit openModel (and so inspect) applies: verify, warm and residency refuse the same sets.
  new SetBudget(SAFETENSORS_LIMITS, given).checkShardCount(files.length)
  return files
}

/**
 * The model's files as bytes, none parsed: what `verify`, `warm` and `residency` need. A corrupt
 * download must still verify (and fail on its digest), not stop at a header error.
 */
export function openFiles(given: string, options: { lock?: boolean } = {}): CliBytes {
  const files = modelFilePaths(given)
  const missing = missingFiles(files)
  if (missing.length > 0) throw incomplete(given, missing, files.length)
  const shards = openAll(files, (file) => {
    const data = ModelData.open(file, options)
    return { path: data.path!, data, tensorCount: 0, close: () => data.close() }
  })
  const datas = shards.map((s) => s.data)
  return {
    given,
    format: detectFormat(datas[0]!),
    shards,
    byteLength: shards.reduce((a, s) => a + s.data.byteLength, 0),
    checksum: (options) => overFiles(datas, options, (data, opts) => data.checksum('sha256', opts)),
    prefetch: async (options) => {
      const concurrency = options.concurrency === undefined ? {} : { concurrency: options.concurrency }
      await overFiles(datas, options, (data, opts) => data.prefetch({ ...opts, ...concurrency }))
    },
    close: () => shards.forEach((s) => s.close()),
  }
}

/**
 * Page-cache residency of every file of the model before anything of it is parsed: inspect must
 * report what the cache held when it was asked, not the header pages it read itself. Files that
 * cannot be opened are left out (opening the model reports them properly).
 */
export function residencyBeforeOpen(given: string): Map<string, Residency> {
  const out = new Map<string, Residency>()
  let files: string[]
  try {
    files = modelFilePaths(given)
  } catch {
    return out
  }
  for (const file of files) {
    // A compressed file would be decompressed to be opened; its residency says little anyway.
    if (compressionOf(file) !== undefined) continue
    try {
      const data = ModelData.open(file)
      try {
        out.set(path.resolve(file), data.residency())
      } finally {
        data.close()
      }
    } catch {
      // Reported when the model is opened.
    }
  }
  return out
}
