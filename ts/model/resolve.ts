/**
 * Which files make up the model a path names: one file, a GGUF split set (by its shard names), a
 * sharded safetensors checkpoint (by its index, or by its shard names), a folder that holds
 * exactly one of those, or a repo id in the local Hugging Face cache. Siblings are looked for
 * beside the path as given, never beside a symlink's target: in the hub cache, the snapshot
 * folder holds the names and `blobs/` holds content-addressed files.
 */

import * as fs from 'node:fs'
import * as path from 'node:path'

import { parseGgufShardFilename, ggufShardFilename } from '../formats/gguf/split-names.js'
import { inconsistent, listSome, modelError } from './errors.js'
import { hubCacheDir, looksLikeRepoId, resolveRepoId } from './hub-cache.js'
import type { HubOptions } from './hub-cache.js'

export type ModelFiles =
  /** One file; its format is read from its first bytes. */
  | { kind: 'file'; path: string }
  /** GGUF shards in order, from `<prefix>-0000k-of-0000N.gguf`. */
  | { kind: 'gguf-split'; path: string; files: string[] }
  /** safetensors shards listed by an index (`*.safetensors.index.json`). */
  | { kind: 'safetensors-index'; path: string; index: string }
  /** safetensors shards by their names, where no index is beside them. */
  | { kind: 'safetensors-split'; path: string; files: string[] }

const SAFETENSORS_SHARD = /^(?<prefix>.*?)-(?<shard>\d{5})-of-(?<total>\d{5})\.safetensors$/
const INDEX_SUFFIX = '.safetensors.index.json'

function shardNames(total: number, name: (i: number) => string): string[] {
  return Array.from({ length: total }, (_, i) => name(i + 1))
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile()
  } catch {
    return false
  }
}

/**
 * A shard name's numbers must name a shard of the set: `-00001-of-00000` names none, and
 * `-00003-of-00001` is no shard of a 1-shard set (it must not open `-00001-of-00001`, another
 * file than the one named).
 */
function checkShardNumbers(file: string, shard: string, total: string): number {
  const [k, n] = [Number(shard), Number(total)]
  if (n < 1 || k < 1 || k > n) {
    throw inconsistent(file, `the name says shard ${k} of ${n}, which no set has (shards count from 1 to the total, and a set has at least one)`)
  }
  return n
}

/** What a file path stands for, from its name. */
function fromFileName(file: string): ModelFiles {
  const base = path.basename(file)
  if (base.endsWith('.index.json')) return { kind: 'safetensors-index', path: file, index: file }
  const gguf = parseGgufShardFilename(file)
  if (gguf !== null) {
    const total = checkShardNumbers(file, gguf.shard, gguf.total)
    return { kind: 'gguf-split', path: file, files: shardNames(total, (i) => ggufShardFilename(gguf.prefix, i, total)) }
  }
  const st = SAFETENSORS_SHARD.exec(file)?.groups
  if (st !== undefined) {
    const index = `${st.prefix}${INDEX_SUFFIX}`
    if (isFile(index)) return { kind: 'safetensors-index', path: file, index }
    const total = checkShardNumbers(file, st.shard!, st.total!)
    const width = (n: number) => String(n).padStart(5, '0')
    return { kind: 'safetensors-split', path: file, files: shardNames(total, (i) => `${st.prefix}-${width(i)}-of-${width(total)}.safetensors`) }
  }
  return { kind: 'file', path: file }
}

/** The models a folder holds: each as the path that opens it, and how to show it. */
function candidatesIn(dir: string): Array<{ open: string; shown: string }> {
  const names = fs.readdirSync(dir).sort()
  const files = names.filter((n) => isFile(path.join(dir, n)))
  const indexed = new Set(files.filter((n) => n.endsWith(INDEX_SUFFIX)).map((n) => n.slice(0, -INDEX_SUFFIX.length)))
  const out: Array<{ open: string; shown: string }> = []
  const sets = new Map<string, { open: string; count: number; shown: string }>()
  for (const name of files) {
    const full = path.join(dir, name)
    if (name.endsWith(INDEX_SUFFIX)) {
      out.push({ open: full, shown: name })
      continue
    }
    const gguf = parseGgufShardFilename(name)
    const st = SAFETENSORS_SHARD.exec(name)?.groups
    if (gguf !== null || st !== undefined) {
      const [prefix, total, ext] = gguf !== null ? [gguf.prefix, gguf.total, 'gguf'] : [st!.prefix!, st!.total!, 'safetensors']
      if (ext === 'safetensors' && indexed.has(prefix)) continue
      const key = `${prefix}\0${total}\0${ext}`
      const set = sets.get(key) ?? { open: full, count: 0, shown: `${prefix}-*-of-${total}.${ext}` }
      set.count += 1
      sets.set(key, set)
      continue
    }
    if (/\.(gguf|safetensors)$/i.test(name)) out.push({ open: full, shown: name })
  }
  for (const set of sets.values()) out.push({ open: set.open, shown: `${set.shown} (${set.count} file${set.count === 1 ? '' : 's'} here)` })
  return out
}

/**
 * The files of the model `input` names. A path that does not exist and reads as a repo id is
 * looked up in the hub cache (offline).
 */
export function resolveModelFiles(input: string, hub: HubOptions = {}): ModelFiles {
  let target = path.resolve(input)
  let stat = fs.statSync(target, { throwIfNoEntry: false })
  if (stat === undefined && looksLikeRepoId(input)) {
    const snapshot = resolveRepoId(input, hub)
    if (snapshot === undefined) {
      throw modelError(
        'ERR_MODELMAP_NO_MODEL',
        input,
        `'${input}' is neither a file or folder here nor a repo in the Hugging Face cache '${hubCacheDir(hub.cacheDir)}' (set cacheDir, HF_HUB_CACHE or HF_HOME; nothing is downloaded)`,
      )
    }
    target = snapshot
    stat = fs.statSync(target, { throwIfNoEntry: false })
  }
  if (stat === undefined) {
    throw modelError('ENOENT', input, `ENOENT: no such file or directory, open '${input}'`)
  }
  if (!stat.isDirectory()) return fromFileName(target)
  const found = candidatesIn(target)
  if (found.length === 0) {
    throw modelError('ERR_MODELMAP_NO_MODEL', target, `the folder '${target}' holds no model (no .gguf, .safetensors or ${INDEX_SUFFIX} file)`)
  }
  if (found.length > 1) {
    throw modelError(
      'ERR_MODELMAP_AMBIGUOUS_MODEL',
      target,
      `the folder '${target}' holds ${found.length} models; open one of them by its path: ${listSome(found.map((c) => c.shown), 20)}`,
    )
  }
  return fromFileName(found[0]!.open)
}
