/**
 * A sharded safetensors checkpoint: `model-00001-of-0000N.safetensors` files and, as
 * `transformers` writes it, `model.safetensors.index.json` with `metadata` (`total_size`, …)
 * and `weight_map` (tensor name → file). The index and the shards must agree both ways: every
 * index entry's tensor is in the file it names, and every shard tensor is in the index.
 */

import * as fs from 'node:fs'
import * as path from 'node:path'

import { ModelDataError } from '../errors.js'
import { readSmallFile } from '../backends/open-file.js'
import { scanJson } from '../formats/json-scan.js'
import type { ResolvedLimits } from '../formats/limits.js'
import { openSafetensors } from '../formats/safetensors.js'
import type { OpenSafetensorsOptions, SafetensorsFile } from '../formats/safetensors.js'
import { incomplete, inconsistent, modelError } from './errors.js'
import { missingFiles, openAll, SetBudget } from './budget.js'

export interface SafetensorsIndex {
  /** The index's own `metadata` (`total_size`, sometimes `total_parameters`), or {}. */
  metadata: Record<string, unknown>
  weightMap: Map<string, string>
  /** The files it names, sorted (as transformers numbers them). */
  files: string[]
}

function invalidIndex(file: string, problem: string): ModelDataError {
  return modelError('ERR_MODELMAP_INVALID_SAFETENSORS', file, `'${file}' is not a valid safetensors index: ${problem}`)
}

/** A weight_map file name: a plain relative path inside the index's folder, never outside it. */
function checkShardName(index: string, name: string): void {
  const parts = name.split(/[\\/]/)
  if (name === '' || path.isAbsolute(name) || /^[A-Za-z]:/.test(name) || name.includes('\0') || parts.some((p) => p === '..' || p === '.' || p === '')) {
    throw invalidIndex(index, `weight_map names the file ${JSON.stringify(name)}, which is not a file name inside the index's folder`)
  }
}

/** Reads and checks an index within the budgets (its size, depth and entry count first). */
export function readIndex(file: string, limits: ResolvedLimits): SafetensorsIndex {
  const text = readSmallFile(file, limits.maxHeaderBytes, (size) =>
    modelError('ERR_MODELMAP_LIMIT_EXCEEDED', file, `'${file}': the index is ${size} bytes, over the limit of ${limits.maxHeaderBytes} (limits.maxHeaderBytes)`),
  )
  const scan = scanJson(text, limits.maxDepth)
  if (scan.error !== undefined) throw invalidIndex(file, `not valid JSON: ${scan.error.problem} (at byte ${scan.error.offset})`)
  if (scan.tooDeepAt >= 0) throw invalidIndex(file, `JSON nests deeper than ${limits.maxDepth} (limits.maxDepth) at byte ${scan.tooDeepAt}`)
  if (scan.secondLevelKeys > limits.maxTensors + limits.maxMetadataEntries) {
    throw modelError('ERR_MODELMAP_LIMIT_EXCEEDED', file, `'${file}': the index has ${scan.secondLevelKeys} entries, over the limit of ${limits.maxTensors} tensors (limits.maxTensors)`)
  }
  let json: unknown
  try {
    json = JSON.parse(text.toString('utf8'))
  } catch (err) {
    throw invalidIndex(file, `not valid JSON: ${(err as Error).message}`)
  }
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)
  if (!isObject(json)) throw invalidIndex(file, 'it is not a JSON object')
  const { weight_map: weightMap, metadata = {} } = json
  if (!isObject(weightMap)) throw invalidIndex(file, 'it has no "weight_map" object')
  if (!isObject(metadata)) throw invalidIndex(file, '"metadata" is not an object')
  const map = new Map<string, string>()
  const files = new Set<string>()
  for (const [tensor, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string') throw invalidIndex(file, `weight_map['${tensor}'] is not a file name`)
    if (!files.has(shard)) checkShardName(file, shard)
    map.set(tensor, shard)
    files.add(shard)
  }
  if (map.size > limits.maxTensors) throw modelError('ERR_MODELMAP_LIMIT_EXCEEDED', file, `'${file}': the index lists ${map.size} tensors, over the limit of ${limits.maxTensors} (limits.maxTensors)`)
  return { metadata, weightMap: map, files: [...files].sort() }
}

export interface OpenedSafetensorsSet {
  files: SafetensorsFile[]
  shardOf: Map<string, number>
  index: SafetensorsIndex | undefined
}

/** Opens and validates the shards an index lists (`index`), or the given shard paths. */
export function openSafetensorsSet(
  setPath: string,
  source: { index: string } | { files: string[] },
  options: OpenSafetensorsOptions & { limits: ResolvedLimits },
): OpenedSafetensorsSet {
  const budget = new SetBudget(options.limits, setPath)
  const index = 'index' in source ? readIndex(source.index, options.limits) : undefined
  const paths = 'index' in source ? index!.files.map((f) => path.join(path.dirname(source.index), f)) : source.files
  budget.checkShardCount(paths.length)
  if (paths.length === 0) throw invalidIndex(setPath, 'weight_map lists no tensors')
  const missing = missingFiles(paths)
  if (missing.length > 0) throw incomplete(setPath, missing, paths.length)
  const files = openAll(paths, (p) => {
    try {
      const file = openSafetensors(p, { ...options, limits: budget.next() })
      budget.add(file.tensorNames.length, file.headerLength, Object.keys(file.metadata).length)
      return file
    } catch (err) {
      throw budget.explain(err)
    }
  })
  try {
    return { files, shardOf: validate(files, index), index }
  } catch (err) {
    for (const f of files) f.close()
    throw err
  }
}

function validate(files: SafetensorsFile[], index: SafetensorsIndex | undefined): Map<string, number> {
  const shardOf = new Map<string, number>()
  // Duplicates first: a tensor in two shards is the problem, whatever the index says of it.
  files.forEach((file, i) => {
    for (const tensor of file.tensorNames) {
      const before = shardOf.get(tensor)
      if (before !== undefined) throw inconsistent(file.model.path!, `tensor '${tensor}' is also in shard ${before + 1} '${path.basename(files[before]!.model.path!)}'`)
      shardOf.set(tensor, i)
    }
  })
  if (index === undefined) return shardOf
  files.forEach((file, i) => {
    for (const tensor of file.tensorNames) {
      const listed = index.weightMap.get(tensor)
      if (listed === undefined) throw inconsistent(file.model.path!, `tensor '${tensor}' is in this shard but missing from the index`)
      if (listed !== index.files[i]) throw inconsistent(file.model.path!, `tensor '${tensor}' is in this shard but the index places it in '${listed}'`)
    }
  })
  for (const [tensor, file] of index.weightMap) {
    if (!shardOf.has(tensor)) {
      const shardPath = files[index.files.indexOf(file)]!.model.path!
      throw inconsistent(shardPath, `the index places tensor '${tensor}' in this file, which has no such tensor`)
    }
  }
  return shardOf
}
