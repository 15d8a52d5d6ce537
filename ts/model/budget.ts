/**
 * The hostile-input budgets (formats/limits.ts) over a whole set: each shard is parsed with what
 * the shards before it left, so a hundred shards cannot hold a hundred times the tensors,
 * header bytes or metadata entries that one file may.
 */

import * as fs from 'node:fs'

import { ModelDataError } from '../errors.js'
import type { ResolvedLimits } from '../formats/limits.js'
import { modelError } from './errors.js'

type Summed = 'maxTensors' | 'maxHeaderBytes' | 'maxMetadataEntries'

export class SetBudget {
  readonly #used: Record<Summed, number> = { maxTensors: 0, maxHeaderBytes: 0, maxMetadataEntries: 0 }
  #shards = 0

  constructor(
    readonly limits: ResolvedLimits,
    readonly setPath: string,
  ) {}

  /** Refuses a set of more files than limits.maxShards, before any is opened. */
  checkShardCount(count: number): void {
    if (count > this.limits.maxShards) {
      throw modelError(
        'ERR_MODELMAP_LIMIT_EXCEEDED',
        this.setPath,
        `the model at '${this.setPath}' names ${count} files, over the limit of ${this.limits.maxShards} (limits.maxShards); if it is trusted, raise it: openModel(path, { limits: { maxShards: … } })`,
      )
    }
  }

  /** Limits for the next shard: the summed ones reduced to what is left. */
  next(): ResolvedLimits {
    const left = (k: Summed) => Math.max(0, this.limits[k] - this.#used[k])
    return { ...this.limits, maxTensors: left('maxTensors'), maxHeaderBytes: left('maxHeaderBytes'), maxMetadataEntries: left('maxMetadataEntries') }
  }

  add(tensors: number, headerBytes: number, metadataEntries: number): void {
    this.#used.maxTensors += tensors
    this.#used.maxHeaderBytes += headerBytes
    this.#used.maxMetadataEntries += metadataEntries
    this.#shards += 1
  }

  /** A shard's LIMIT_EXCEEDED, said as the set's: the limit is over all shards together. */
  explain(err: unknown): unknown {
    if (!(err instanceof ModelDataError) || err.code !== 'ERR_MODELMAP_LIMIT_EXCEEDED' || this.#shards === 0) return err
    return new ModelDataError(
      `${err.message}; the limits apply to the whole model at '${this.setPath}', and the ${this.#shards} shard(s) before this one used ${this.#used.maxTensors} tensors, ${this.#used.maxHeaderBytes} header bytes and ${this.#used.maxMetadataEntries} metadata entries`,
      { code: err.code, path: err.path, byteOffset: err.byteOffset },
    )
  }
}

/** Every path of `files` that is not a readable regular file, for ERR_MODELMAP_INCOMPLETE_MODEL. */
export function missingFiles(files: readonly string[]): string[] {
  return files.filter((f) => {
    try {
      return !fs.statSync(f).isFile()
    } catch {
      return true
    }
  })
}

/** Opens each shard in turn; if any fails, the ones already open are closed. */
export function openAll<T extends { close(): void }>(files: readonly string[], open: (file: string, i: number) => T): T[] {
  const opened: T[] = []
  try {
    files.forEach((f, i) => opened.push(open(f, i)))
    return opened
  } catch (err) {
    for (const o of opened) o.close()
    throw err
  }
}
