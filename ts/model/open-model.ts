/**
 * `openModel`: one model from one file or many (GGUF split sets, sharded safetensors, a folder, a
 * repo in the local Hugging Face cache), with one tensor table whose views point into the right
 * shard's mapping, zero-copy. Each shard is its own ModelData (any backend).
 */

import { ModelData, parseOpenOptions } from '../model-data.js'
import type { JobOptions, OpenOptions, PrefetchOptions } from '../model-data.js'
import { closedError, typeError } from '../errors.js'
import { optionalFunction, optionsObject } from '../validate.js'
import type { Progress } from '../track.js'
import type { Residency } from '../backends/backend.js'
import { openGguf } from '../formats/gguf/open.js'
import type { GgufFile, GgufTensor, GGUFMetadata } from '../formats/gguf/open.js'
import { openSafetensors } from '../formats/safetensors.js'
import type { SafetensorsFile, SafetensorsTensor } from '../formats/safetensors.js'
import { GGUF_LIMITS, resolveLimits, SAFETENSORS_LIMITS } from '../formats/limits.js'
import type { ParseLimits } from '../formats/limits.js'
import { detectFormat } from '../formats/detect.js'
import { modelError } from './errors.js'
import { openGgufSet, validateGgufSet } from './gguf-set.js'
import { openSafetensorsSet } from './safetensors-set.js'
import { resolveModelFiles } from './resolve.js'
import { overFiles } from './over-files.js'
import type { HubOptions } from './hub-cache.js'

export interface OpenModelOptions extends OpenOptions, HubOptions {
  /** Parsing budgets over the whole set (README, "Limits"), plus `maxShards`. */
  limits?: ParseLimits
  /** GGUF: arrays longer than this are decoded on first access (default 1024), as openGguf. */
  lazyArraysOver?: number
}

/** A tensor of the model: the format's tensor, plus where it lives. */
export type ModelTensor = (GgufTensor | SafetensorsTensor) & {
  /** Index into `model.shards` (0-based, as GGUF's split.no). */
  readonly shard: number
  /** Path of the shard file that holds its bytes. */
  readonly file: string
}

export interface ModelShard {
  /** 0-based. */
  index: number
  path: string
  byteLength: number
  tensorCount: number
  /** The shard's handle: views, advice, residency of its bytes. */
  data: ModelData
}

export interface ShardDigest {
  shard: number
  path: string
  byteLength: number
  sha256: string
}

export interface ModelResidency extends Residency {
  shards: Residency[]
}

type Parsed = GgufFile | SafetensorsFile

export class Model {
  readonly format: 'gguf' | 'safetensors'
  /** What was opened: the file, index or first shard the set was resolved from. */
  readonly path: string
  readonly shards: readonly ModelShard[]
  /** GGUF: shard 1's metadata (the model's). safetensors: every shard's `__metadata__`, merged (the first shard's value wins). */
  readonly metadata: GGUFMetadata | Record<string, string>
  /** safetensors with an index: the index's `metadata` (`total_size`, …); else undefined. */
  readonly indexMetadata: Record<string, unknown> | undefined
  /** Each shard as openGguf / openSafetensors gives it. */
  readonly files: readonly Parsed[]
  readonly #shardOf: Map<string, number>
  #closed = false

  /** @internal use openModel() */
  constructor(format: 'gguf' | 'safetensors', from: string, files: Parsed[], shardOf: Map<string, number>, indexMetadata?: Record<string, unknown>) {
    this.format = format
    this.path = from
    this.files = files
    this.#shardOf = shardOf
    this.indexMetadata = indexMetadata
    this.shards = files.map((f, index) => ({ index, path: f.model.path!, byteLength: f.model.byteLength, tensorCount: f.tensorNames.length, data: f.model }))
    if (format === 'gguf') this.metadata = (files[0] as GgufFile).metadata
    else {
      const merged: Record<string, string> = {}
      for (const f of files as SafetensorsFile[]) for (const [k, v] of Object.entries(f.metadata)) if (!(k in merged)) merged[k] = v
      this.metadata = merged
    }
  }

  get tensorCount(): number {
    return this.#shardOf.size
  }

  /** Total bytes over every shard file. */
  get byteLength(): number {
    return this.shards.reduce((a, s) => a + s.byteLength, 0)
  }

  get closed(): boolean {
    return this.#closed
  }

  has(name: string): boolean {
    return this.#shardOf.has(name)
  }

  /** Every tensor name, in shard order and, within a shard, in the file's order. */
  tensorNames(): string[] {
    return this.files.flatMap((f) => f.tensorNames)
  }

  #check(): void {
    if (this.#closed) throw closedError(this.path)
  }

  #make(tensor: GgufTensor | SafetensorsTensor, shard: number): ModelTensor {
    Object.defineProperty(tensor, 'shard', { value: shard, enumerable: true })
    Object.defineProperty(tensor, 'file', { value: this.shards[shard]!.path, enumerable: true })
    return tensor as ModelTensor
  }

  /** The tensor's zero-copy view and description, from the shard that holds it. */
  tensor(name: string): ModelTensor {
    this.#check()
    const shard = this.#shardOf.get(name)
    if (shard === undefined) throw typeError('ERR_INVALID_ARG_VALUE', `no tensor named '${name}' in the model at '${this.path}'`)
    return this.#make(this.files[shard]!.tensor(name), shard)
  }

  /** Every tensor, in the order of tensorNames(). Views are made on first access of `data`. */
  tensors(): ModelTensor[] {
    this.#check()
    return this.files.flatMap((f, shard) => f.tensors().map((t) => this.#make(t, shard)))
  }

  /** Page-cache residency of every shard, and the sum (null when any shard cannot tell). */
  residency(): ModelResidency {
    this.#check()
    const shards = this.shards.map((s) => s.data.residency())
    const known = shards.every((r) => r.residentBytes !== null)
    return {
      residentBytes: known ? shards.reduce((a, r) => a + r.residentBytes!, 0) : null,
      totalBytes: shards.reduce((a, r) => a + r.totalBytes, 0),
      shards,
    }
  }

  /** Runs `job` on each shard in turn, with one progress stream over the whole set. */
  async #overShards<T>(options: JobOptions | undefined, job: (data: ModelData, opts: JobOptions) => Promise<T>): Promise<T[]> {
    this.#check()
    const opts = optionsObject('options', options) as JobOptions
    if (opts.byteOffset !== undefined || opts.byteLength !== undefined) {
      throw typeError('ERR_INVALID_ARG_VALUE', 'byteOffset and byteLength apply to one file: use model.shards[i].data for a range')
    }
    const onProgress = optionalFunction<(p: Progress) => void>('onProgress', opts.onProgress)
    return overFiles(
      this.shards.map((s) => s.data),
      { ...(opts.signal === undefined ? {} : { signal: opts.signal }), ...(onProgress === undefined ? {} : { onProgress }) },
      job,
    )
  }

  /** Reads every shard into the page cache (one shard after another, each in parallel). */
  async prefetch(options?: Omit<PrefetchOptions, 'byteOffset' | 'byteLength'>): Promise<void> {
    const concurrency = options?.concurrency
    await this.#overShards(options, (data, opts) => data.prefetch({ ...opts, ...(concurrency === undefined ? {} : { concurrency }) }))
  }

  /** sha256 of each shard file, in shard order. */
  async checksum(algorithm: 'sha256' = 'sha256', options?: Omit<JobOptions, 'byteOffset' | 'byteLength'>): Promise<ShardDigest[]> {
    const digests = await this.#overShards(options, (data, opts) => data.checksum(algorithm, opts))
    return digests.map((sha256, shard) => ({ shard, path: this.shards[shard]!.path, byteLength: this.shards[shard]!.byteLength, sha256 }))
  }

  /** Closes every shard. Views handed out stay valid (see ModelData.close). */
  close(): void {
    this.#closed = true
    for (const f of this.files) f.close()
  }

  [Symbol.dispose](): void {
    this.close()
  }
}

/**
 * Opens a model: a `.gguf` or `.safetensors` file, any shard of a GGUF split set, a
 * `*.safetensors.index.json`, a folder holding exactly one model, or a repo id (`org/name`,
 * `org/name/file.gguf`) in the local Hugging Face cache. The whole set is validated before it
 * is returned; errors name the file and the problem.
 */
export function openModel(source: string, options: OpenModelOptions = {}): Model {
  if (typeof source !== 'string' || source.length === 0) throw typeError('ERR_INVALID_ARG_TYPE', 'The "source" argument must be a non-empty string path or repo id')
  const { limits: givenLimits, lazyArraysOver, cacheDir, revision, ...openOptions } = optionsObject('options', options) as OpenModelOptions
  // Every argument is checked before any file is looked at.
  for (const [name, value] of [['cacheDir', cacheDir], ['revision', revision]] as const) {
    if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
      throw typeError('ERR_INVALID_ARG_TYPE', `The "${name}" option must be a non-empty string. Received ${typeof value === 'string' ? "''" : typeof value}`)
    }
  }
  if (lazyArraysOver !== undefined && !(typeof lazyArraysOver === 'number' && lazyArraysOver >= 0)) {
    throw typeError('ERR_INVALID_ARG_TYPE', `The "lazyArraysOver" option must be a number >= 0. Received ${String(lazyArraysOver)}`)
  }
  parseOpenOptions(openOptions)
  const ggufOptions = { ...openOptions, ...(lazyArraysOver === undefined ? {} : { lazyArraysOver }), limits: resolveLimits(givenLimits, GGUF_LIMITS) }
  const stOptions = { ...openOptions, limits: resolveLimits(givenLimits, SAFETENSORS_LIMITS) }
  const files = resolveModelFiles(source, { ...(cacheDir === undefined ? {} : { cacheDir }), ...(revision === undefined ? {} : { revision }) })
  switch (files.kind) {
    case 'gguf-split': {
      const set = openGgufSet(files.path, files.files, true, ggufOptions)
      return new Model('gguf', files.path, set.files, set.shardOf)
    }
    case 'safetensors-index': {
      const set = openSafetensorsSet(files.path, { index: files.index }, stOptions)
      return new Model('safetensors', files.path, set.files, set.shardOf, set.index?.metadata)
    }
    case 'safetensors-split': {
      const set = openSafetensorsSet(files.path, { files: files.files }, stOptions)
      return new Model('safetensors', files.path, set.files, set.shardOf)
    }
    case 'file':
      return openSingle(files.path, openOptions, ggufOptions, stOptions)
  }
}

function openSingle(file: string, openOptions: OpenOptions, ggufOptions: Parameters<typeof openGgufSet>[3], stOptions: Parameters<typeof openSafetensorsSet>[2]): Model {
  const data = ModelData.open(file, openOptions)
  const format = detectFormat(data)
  if (format === 'unknown') {
    data.close()
    throw modelError('ERR_MODELMAP_UNKNOWN_FORMAT', file, `'${file}' is neither GGUF nor safetensors (by its first bytes)`)
  }
  try {
    if (format === 'gguf') {
      const parsed = openGguf(data, ggufOptions)
      // A single file that claims to be one shard of several is refused.
      return new Model('gguf', file, [parsed], validateGgufSet([parsed], false))
    }
    const parsed = openSafetensors(data, stOptions)
    return new Model('safetensors', file, [parsed], new Map(parsed.tensorNames.map((n) => [n, 0])))
  } catch (err) {
    data.close()
    throw err
  }
}
