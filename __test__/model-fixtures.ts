/** Fixtures for model sets: GGUF split sets (the project's writer), sharded safetensors with an index, the hub cache layout. */

import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'

import { GGUFValueType, writeGguf } from '..'
import type { WriteGgufSplit, WriteTensor } from '..'
import { patternBytes, tmpPath } from './helpers'

/** A fresh empty folder under the test temp dir. */
export function tmpDir(name: string): string {
  const dir = tmpPath(name)
  fs.mkdirSync(dir, { recursive: true })
  return dir
}

/** `count` F32 tensors with distinct bytes and shapes. */
export function someTensors(count: number, seed = 1): WriteTensor[] {
  return Array.from({ length: count }, (_, i) => ({ name: `blk.${i}.weight`, dtype: 'F32', shape: [8, (i % 5) + 1], data: patternBytes(32 * ((i % 5) + 1), seed + i) }))
}

export const GGUF_METADATA = {
  'general.architecture': { type: GGUFValueType.STRING, value: 'llama' },
  'general.name': { type: GGUFValueType.STRING, value: 'set fixture' },
  'llama.context_length': { type: GGUFValueType.UINT32, value: 4096 },
}

/** A GGUF split set in its own folder; the shard paths. */
export function ggufSet(tensors: WriteTensor[], split: WriteGgufSplit, name = 'model.gguf', dir = tmpDir('gguf-set')): string[] {
  return writeGguf(path.join(dir, name), { metadata: GGUF_METADATA, tensors, split })
}

export interface StTensor {
  name: string
  dtype: 'F32' | 'U8' | 'I64' | 'F16'
  shape: number[]
  data: Uint8Array
}

const ST_BYTES = { F32: 4, U8: 1, I64: 8, F16: 2 }

export function someStTensors(count: number, seed = 1): StTensor[] {
  return Array.from({ length: count }, (_, i) => {
    const dtype = (['F32', 'U8', 'I64', 'F16'] as const)[i % 4]!
    const shape = [3, (i % 3) + 1]
    return { name: `model.layers.${i}.weight`, dtype, shape, data: patternBytes(ST_BYTES[dtype] * 3 * ((i % 3) + 1), seed + i) }
  })
}

/** One safetensors file (header padded to 8 bytes, as the reference writer does). */
export function writeSafetensors(file: string, tensors: StTensor[], metadata: Record<string, string> = { format: 'pt' }): void {
  const header: Record<string, unknown> = { __metadata__: metadata }
  let offset = 0
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] }
    offset += t.data.length
  }
  let json = JSON.stringify(header)
  json += ' '.repeat((8 - (json.length % 8)) % 8)
  const prefix = Buffer.alloc(8)
  prefix.writeBigUInt64LE(BigInt(Buffer.byteLength(json)))
  fs.writeFileSync(file, Buffer.concat([prefix, Buffer.from(json), ...tensors.map((t) => t.data)]))
}

/**
 * `model-0000k-of-0000N.safetensors` for each group of tensors, plus `model.safetensors.index.json`
 * in transformers' layout (unless `index` is false); the index path (or the first shard's).
 */
export function safetensorsSet(groups: StTensor[][], options: { index?: boolean; dir?: string; editIndex?: (index: { metadata: Record<string, unknown>; weight_map: Record<string, string> }) => void } = {}): string {
  const dir = options.dir ?? tmpDir('st-set')
  const n = groups.length
  const names = groups.map((_, i) => `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`)
  const weightMap: Record<string, string> = {}
  let total = 0
  groups.forEach((g, i) => {
    writeSafetensors(path.join(dir, names[i]!), g)
    for (const t of g) {
      weightMap[t.name] = names[i]!
      total += t.data.length
    }
  })
  if (options.index === false) return path.join(dir, names[0]!)
  const index = { metadata: { total_size: total } as Record<string, unknown>, weight_map: Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : 1))) }
  options.editIndex?.(index)
  const file = path.join(dir, 'model.safetensors.index.json')
  fs.writeFileSync(file, JSON.stringify(index, null, 2) + '\n')
  return file
}

/**
 * Whether this OS lets the tests make file symlinks (Windows needs Developer Mode or admin;
 * wine's are not real). Where it does not, huggingface_hub itself stores the files in the
 * snapshot folder instead, and so does hubCache.
 */
export const symlinksWork: boolean = (() => {
  const dir = tmpDir('symlink-probe')
  fs.writeFileSync(path.join(dir, 'target'), 'x')
  try {
    fs.symlinkSync('target', path.join(dir, 'link'))
    return fs.readFileSync(path.join(dir, 'link'), 'utf8') === 'x'
  } catch {
    return false
  }
})()

/**
 * The hub cache layout for `org/name` at `revision`: every file of `sourceDir` stored once under
 * `blobs/<sha256>`, and linked from `snapshots/<commit>/<name>` with a relative symlink, as
 * huggingface_hub does (a copy in the snapshot where symlinks do not work, as it does too). The
 * cache folder.
 */
export function hubCache(repo: string, sourceDir: string, revision = 'main', cache = tmpDir('hub')): string {
  const repoDir = path.join(cache, `models--${repo.replace('/', '--')}`)
  const commit = createHash('sha1').update(repo + revision).digest('hex')
  const snapshot = path.join(repoDir, 'snapshots', commit)
  fs.mkdirSync(path.join(repoDir, 'blobs'), { recursive: true })
  fs.mkdirSync(snapshot, { recursive: true })
  fs.mkdirSync(path.join(repoDir, 'refs'), { recursive: true })
  fs.writeFileSync(path.join(repoDir, 'refs', revision), commit)
  for (const name of fs.readdirSync(sourceDir)) {
    const bytes = fs.readFileSync(path.join(sourceDir, name))
    const blob = createHash('sha256').update(bytes).digest('hex')
    fs.writeFileSync(path.join(repoDir, 'blobs', blob), bytes)
    if (symlinksWork) fs.symlinkSync(path.join('..', '..', 'blobs', blob), path.join(snapshot, name))
    else fs.writeFileSync(path.join(snapshot, name), bytes)
  }
  return cache
}
