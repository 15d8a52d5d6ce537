/** GGUF split sets: the file names llama-gguf-split gives the shards, and the keys they carry. */

/** 0-based shard number (u16); the file names count from 1. */
export const SPLIT_NO = 'split.no'
/** Shards in the set (u16). */
export const SPLIT_COUNT = 'split.count'
/** Tensors in the whole set, not in this shard (i32). */
export const SPLIT_TENSORS_COUNT = 'split.tensors.count'
/**
 * One random id per writeGguf run, in every shard it writes (a key of modelmap's own; llama.cpp
 * and gguf-py ignore unknown keys): a set mixing shards of two runs (a rewrite whose renames
 * stopped midway) is then told apart from a whole one, which the split.* keys alone cannot.
 */
export const SPLIT_RUN = 'modelmap.split.run'
export const SPLIT_KEYS: readonly string[] = [SPLIT_NO, SPLIT_COUNT, SPLIT_TENSORS_COUNT, SPLIT_RUN]

/** As @huggingface/gguf returns it: every part a string, the numbers zero-padded. */
export interface GgufShardFileInfo {
  prefix: string
  shard: string
  total: string
}

// The same pattern as @huggingface/gguf (and llama.cpp's `llama_split_prefix`): the prefix keeps
// any directory part of the name.
const GGUF_SHARD = /^(?<prefix>.*?)-(?<shard>\d{5})-of-(?<total>\d{5})\.gguf$/

/** `{ prefix, shard, total }` for `<prefix>-00001-of-00003.gguf`, else null (as @huggingface/gguf). */
export function parseGgufShardFilename(filename: string): GgufShardFileInfo | null {
  const match = GGUF_SHARD.exec(filename)
  if (match?.groups === undefined) return null
  return { prefix: match.groups.prefix!, shard: match.groups.shard!, total: match.groups.total! }
}

/** `<prefix>-0000<shard>-of-0000<total>.gguf`, shard counted from 1. */
export function ggufShardFilename(prefix: string, shard: number, total: number): string {
  return `${prefix}-${String(shard).padStart(5, '0')}-of-${String(total).padStart(5, '0')}.gguf`
}
