/**
 * A GGUF split set (llama-gguf-split, gguf-py): every shard is a complete GGUF file whose
 * `split.no` (0-based) and `split.count` must agree with its name, whose `split.tensors.count`
 * is the set's total, and whose tensors are named nowhere else in the set. Shard 1 carries the
 * model's metadata.
 */

import * as path from 'node:path'

import { openGguf } from '../formats/gguf/open.js'
import type { GgufFile, OpenGgufOptions } from '../formats/gguf/open.js'
import { SPLIT_COUNT, SPLIT_NO, SPLIT_RUN, SPLIT_TENSORS_COUNT } from '../formats/gguf/split-names.js'
import type { ResolvedLimits } from '../formats/limits.js'
import { incomplete, inconsistent } from './errors.js'
import { missingFiles, openAll, SetBudget } from './budget.js'

/** A split key's value as a number, or undefined when absent; not an integer is an error. */
function splitValue(file: GgufFile, key: string): number | undefined {
  const v = (file.metadata as Record<string, unknown>)[key]
  if (v === undefined) return undefined
  const n = typeof v === 'bigint' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw inconsistent(file.model.path!, `${key} is ${String(v)}, not a count`)
  return n
}

/** Checks one shard's split keys against its place in the set (files named 1..count). */
function checkSplitKeys(file: GgufFile, index: number, count: number, named: boolean): number | undefined {
  const where = file.model.path!
  const no = splitValue(file, SPLIT_NO)
  const total = splitValue(file, SPLIT_COUNT)
  const tensors = splitValue(file, SPLIT_TENSORS_COUNT)
  if (!named) {
    // A single file: split keys are allowed only when they say "one of one".
    if (total !== undefined && total !== 1) {
      throw inconsistent(where, `it says it is shard ${(no ?? 0) + 1} of ${total} (split.no, split.count) but it is not named as a shard (<name>-00001-of-${String(total).padStart(5, '0')}.gguf); open the set by a shard's name`)
    }
    return tensors
  }
  if (total === undefined || no === undefined) {
    if (count === 1) return tensors
    throw inconsistent(where, `it is named as shard ${index + 1} of ${count} but has no ${total === undefined ? SPLIT_COUNT : SPLIT_NO} key`)
  }
  if (total !== count) throw inconsistent(where, `split.count is ${total} but the file is named as one of ${count} shards`)
  if (no !== index) throw inconsistent(where, `split.no is ${no} (shard ${no + 1}) but the file is named as shard ${index + 1} of ${count}`)
  if (count > 1 && tensors === undefined) throw inconsistent(where, `shard ${index + 1} of ${count} has no ${SPLIT_TENSORS_COUNT} key`)
  return tensors
}

const IDENTITY_KEYS = ['general.architecture', 'general.name'] as const

export interface OpenedGgufSet {
  files: GgufFile[]
  /** Shard index of every tensor name. */
  shardOf: Map<string, number>
}

/** Opens and validates the shards (`named`: the paths came from a shard file name). */
export function openGgufSet(setPath: string, paths: string[], named: boolean, options: OpenGgufOptions & { limits: ResolvedLimits }): OpenedGgufSet {
  const budget = new SetBudget(options.limits, setPath)
  budget.checkShardCount(paths.length)
  const missing = missingFiles(paths)
  if (missing.length > 0) throw incomplete(setPath, missing, paths.length)
  const files = openAll(paths, (p) => {
    try {
      const file = openGguf(p, { ...options, limits: budget.next() })
      budget.add(file.tensorNames.length, Number(file.tensorDataOffset), Number(file.metadata.kv_count))
      return file
    } catch (err) {
      throw budget.explain(err)
    }
  })
  try {
    return { files, shardOf: validateGgufSet(files, named) }
  } catch (err) {
    for (const f of files) f.close()
    throw err
  }
}

/** Checks the shards against each other; the shard index of every tensor name. */
export function validateGgufSet(files: GgufFile[], named: boolean): Map<string, number> {
  const count = files.length
  const shardOf = new Map<string, number>()
  let declared: number | undefined
  let total = 0
  files.forEach((file, i) => {
    const where = file.model.path!
    const tensorsInSet = checkSplitKeys(file, i, count, named)
    if (i > 0 && tensorsInSet !== declared) {
      throw inconsistent(where, `split.tensors.count is ${tensorsInSet} but shard 1 says ${declared}: the shards come from different sets`)
    }
    declared = tensorsInSet
    if (i > 0) {
      const first = files[0]!
      if (file.littleEndian !== first.littleEndian || file.metadata.version !== first.metadata.version) {
        throw inconsistent(where, `its GGUF version or byte order differs from shard 1's '${path.basename(first.model.path!)}': the shards come from different sets`)
      }
      const [runA, runB] = [first.metadata[SPLIT_RUN], file.metadata[SPLIT_RUN]]
      if (runA !== runB) {
        throw inconsistent(where, `it was written by another run than shard 1 '${path.basename(first.model.path!)}' (${SPLIT_RUN} ${runB === undefined ? 'absent' : `'${String(runB)}'`} against ${runA === undefined ? 'absent' : `'${String(runA)}'`}): a rewrite of the set stopped midway, or shards of two sets were mixed`)
      }
      for (const key of IDENTITY_KEYS) {
        const a = first.metadata[key]
        const b = file.metadata[key]
        if (a !== undefined && b !== undefined && a !== b) throw inconsistent(where, `${key} is '${String(b)}' but shard 1 has '${String(a)}': the shards come from different sets`)
      }
    }
    for (const name of file.tensorNames) {
      const before = shardOf.get(name)
      if (before !== undefined) throw inconsistent(where, `tensor '${name}' is also in shard ${before + 1} '${path.basename(files[before]!.model.path!)}'`)
      shardOf.set(name, i)
    }
    total += file.tensorNames.length
  })
  if (declared !== undefined && declared !== total) {
    throw inconsistent(files[0]!.model.path!, `split.tensors.count says the set has ${declared} tensors but its ${count} shard(s) hold ${total}`)
  }
  return shardOf
}
