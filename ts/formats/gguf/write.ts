/**
 * `writeGguf`: streams a GGUF file (header, then each tensor's bytes, padded to the alignment),
 * or a split set of them (`split`), named and keyed as llama-gguf-split and gguf-py write them.
 * Every file is written to a temporary name beside its target and renamed into place only once
 * all of them are complete, so a failure never leaves a half-written file under a final name.
 */

import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'

import { rangeError, typeError } from '../../errors.js'
import { byteCount, oneOf, optionsObject } from '../../validate.js'
import { GGUF_LIMITS } from '../limits.js'
import { Encoder, Sink } from './encode.js'
import { DEFAULT_ALIGNMENT, tensorByteLength } from './parse.js'
import type { MetadataValue } from './parse.js'
import { ggufShardFilename, SPLIT_COUNT, SPLIT_KEYS, SPLIT_NO, SPLIT_RUN, SPLIT_TENSORS_COUNT } from './split-names.js'
import { GGML_TYPE_IDS, GGUFValueType } from './types.js'

export { typedArrayValue } from './encode.js'

export interface WriteMetadataEntry {
  type: GGUFValueType
  /** Element type for arrays (nested arrays: the innermost is inferred from the values' entries). */
  subType?: GGUFValueType
  value: MetadataValue
}

export interface WriteTensor {
  name: string
  /** ggml type name ('F32') or id. */
  dtype: string | number
  shape: number[]
  /** The tensor's bytes, or a byte count of zeros (written as a hole: sparse where the filesystem can). */
  data: Uint8Array | number
}

/**
 * How to split the tensors over several files. A new shard starts when the current one holds
 * `maxTensors` tensors, or when the next tensor would take its data past `maxBytes` (a tensor
 * larger than `maxBytes` gets a shard of its own): the rule gguf-py's `split_max_tensors` and
 * `split_max_size` follow. When everything fits in one shard, one plain file is written.
 */
export interface WriteGgufSplit {
  maxTensors?: number
  maxBytes?: number
  /** Shard 1 holds the metadata and no tensors (llama-gguf-split --no-tensor-first-split). */
  metadataOnlyFirstShard?: boolean
}

export interface WriteGgufOptions {
  version?: 1 | 2 | 3
  littleEndian?: boolean
  /** Key/values in file order. `general.alignment` here sets the tensor alignment (a power of two). */
  metadata: Record<string, WriteMetadataEntry>
  tensors?: WriteTensor[]
  /**
   * Deepest array nesting allowed (default 4, what the reader accepts by default): a deeper
   * value is refused rather than written into a file that openGguf would then refuse.
   */
  maxDepth?: number
  /**
   * Write a split set: `<name>-00001-of-0000N.gguf` … beside `target` (whose `.gguf` is dropped).
   * Shard 1 carries the metadata; every shard carries `split.no`, `split.count` and
   * `split.tensors.count` (any `split.*` keys in `metadata` are replaced).
   */
  split?: WriteGgufSplit
}

interface Checked {
  options: WriteGgufOptions
  version: 1 | 2 | 3
  le: boolean
  alignment: number
  maxDepth: number
  split: WriteGgufSplit | undefined
}

function positiveOrUndefined(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  const n = byteCount(name, value)
  if (n < 1) throw rangeError(`The value of "${name}" is out of range. It must be an integer >= 1. Received ${n}`)
  return n
}

/** The options, checked before anything is written. */
function checkOptions(target: unknown, given: unknown): Checked {
  if (typeof target !== 'string' || target.length === 0) {
    throw typeError('ERR_INVALID_ARG_TYPE', `The "target" argument must be a non-empty string path. Received ${typeof target}`)
  }
  const options = optionsObject('options', given) as unknown as WriteGgufOptions
  if (given === undefined) throw typeError('ERR_INVALID_ARG_TYPE', 'The "options" argument must be an object with metadata')
  const version = oneOf('version', options.version === undefined ? undefined : String(options.version), ['1', '2', '3'] as const, '3')
  if (options.littleEndian !== undefined && typeof options.littleEndian !== 'boolean') {
    throw typeError('ERR_INVALID_ARG_TYPE', `The "littleEndian" option must be a boolean. Received ${typeof options.littleEndian}`)
  }
  optionsObject('metadata', options.metadata ?? null)
  if (options.tensors !== undefined && !Array.isArray(options.tensors)) throw typeError('ERR_INVALID_ARG_TYPE', 'The "tensors" option must be an array')
  const maxDepth = options.maxDepth === undefined ? GGUF_LIMITS.maxDepth : byteCount('maxDepth', options.maxDepth)
  const alignmentEntry = options.metadata['general.alignment']
  const alignment = alignmentEntry === undefined ? DEFAULT_ALIGNMENT : Number(alignmentEntry.value)
  // The reader's rule: a power of two, at most 2^30.
  if (!Number.isSafeInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0 || alignment > 1 << 30) {
    throw typeError('ERR_INVALID_ARG_VALUE', `general.alignment must be a power of two up to 2^30. Received ${String(alignmentEntry?.value)}`)
  }
  let split: WriteGgufSplit | undefined
  if (options.split !== undefined) {
    const s = optionsObject('split', options.split)
    const maxTensors = positiveOrUndefined('split.maxTensors', s.maxTensors)
    const maxBytes = positiveOrUndefined('split.maxBytes', s.maxBytes)
    const metadataOnlyFirstShard = s.metadataOnlyFirstShard === undefined ? false : s.metadataOnlyFirstShard
    if (typeof metadataOnlyFirstShard !== 'boolean') throw typeError('ERR_INVALID_ARG_TYPE', 'The "split.metadataOnlyFirstShard" option must be a boolean')
    if (maxTensors === undefined && maxBytes === undefined && !metadataOnlyFirstShard) {
      throw typeError('ERR_INVALID_ARG_VALUE', 'The "split" option needs maxTensors, maxBytes or metadataOnlyFirstShard')
    }
    split = { ...(maxTensors === undefined ? {} : { maxTensors }), ...(maxBytes === undefined ? {} : { maxBytes }), metadataOnlyFirstShard }
  }
  return { options, version: Number(version) as 1 | 2 | 3, le: options.littleEndian ?? true, alignment, maxDepth, split }
}

interface LaidOutTensor {
  name: string
  dtype: number
  shape: number[]
  data: Uint8Array | number
  length: number
}

function checkTensors(tensors: WriteTensor[]): LaidOutTensor[] {
  return tensors.map((t) => {
    const dtype = typeof t.dtype === 'number' ? t.dtype : GGML_TYPE_IDS.get(t.dtype)
    if (dtype === undefined) throw typeError('ERR_INVALID_ARG_VALUE', `tensor '${t.name}': unknown dtype ${String(t.dtype)}`)
    const expected = tensorByteLength(dtype, t.shape.map(BigInt))
    if (typeof expected === 'string') throw typeError('ERR_INVALID_ARG_VALUE', `tensor '${t.name}': ${expected}`)
    const length = typeof t.data === 'number' ? t.data : t.data.length
    if (BigInt(length) !== expected) throw typeError('ERR_INVALID_ARG_VALUE', `tensor '${t.name}': data is ${length} bytes, its dtype and shape need ${expected}`)
    return { name: t.name, dtype, shape: t.shape, data: t.data, length }
  })
}

/** The tensors of each shard, in order (gguf-py's rule; see WriteGgufSplit). */
function planShards(tensors: LaidOutTensor[], split: WriteGgufSplit | undefined): LaidOutTensor[][] {
  if (split === undefined) return [tensors]
  const shards: LaidOutTensor[][] = split.metadataOnlyFirstShard ? [[], []] : [[]]
  let bytes = 0
  for (const t of tensors) {
    const current = shards[shards.length - 1]!
    const full =
      current.length > 0 && ((split.maxTensors !== undefined && current.length >= split.maxTensors) || (split.maxBytes !== undefined && bytes + t.length > split.maxBytes))
    if (full) {
      shards.push([t])
      bytes = t.length
    } else {
      current.push(t)
      bytes += t.length
    }
  }
  if (shards.length > 1 && shards[shards.length - 1]!.length === 0) shards.pop()
  if (shards.length > 65_535) throw rangeError(`split would make ${shards.length} shards; split.count is a 16-bit field (at most 65,535)`)
  return shards
}

/** Each shard's key/values: all of them in shard 1, only the alignment elsewhere; plus split.*. */
function shardMetadata(metadata: Record<string, WriteMetadataEntry>, shard: number, count: number, totalTensors: number, run: string): Array<[string, WriteMetadataEntry]> {
  if (count === 1) return Object.entries(metadata)
  const kept = Object.entries(metadata).filter(([key]) => !SPLIT_KEYS.includes(key) && (shard === 0 || key === 'general.alignment'))
  return [
    ...kept,
    [SPLIT_NO, { type: GGUFValueType.UINT16, value: shard }],
    [SPLIT_COUNT, { type: GGUFValueType.UINT16, value: count }],
    [SPLIT_TENSORS_COUNT, { type: GGUFValueType.INT32, value: totalTensors }],
    [SPLIT_RUN, { type: GGUFValueType.STRING, value: run }],
  ]
}

/** Writes one complete GGUF file to `fd`. */
function encodeFile(fd: number, c: Checked, entries: Array<[string, WriteMetadataEntry]>, tensors: LaidOutTensor[]): void {
  const { version, le, maxDepth, alignment } = c
  let next = 0
  const offsets = tensors.map((t) => {
    const offset = next
    next = Math.ceil((offset + t.length) / alignment) * alignment
    return offset
  })
  const sink = new Sink(fd)
  const enc = new Encoder(sink, version, le, maxDepth)
  sink.reserve(4).set([0x47, 0x47, 0x55, 0x46])
  enc.u32(version)
  enc.size(tensors.length)
  enc.size(entries.length)
  for (const [key, entry] of entries) {
    enc.string(key)
    enc.u32(entry.type)
    enc.value(entry.type, entry.subType, entry.value, key)
  }
  tensors.forEach((t, i) => {
    enc.string(t.name)
    enc.u32(t.shape.length)
    for (const d of t.shape) enc.size(d)
    enc.u32(t.dtype)
    enc.u64(BigInt(offsets[i]!))
  })
  const pad = (to: number) => {
    const n = to - sink.written
    if (n > 0) sink.bytes(new Uint8Array(n))
  }
  const dataStart = Math.ceil(sink.written / alignment) * alignment
  tensors.forEach((t, i) => {
    pad(dataStart + offsets[i]!)
    if (typeof t.data === 'number') sink.skip(t.data)
    else sink.bytes(t.data)
  })
  sink.flush()
  // A trailing hole only exists once the file is extended to cover it.
  if (fs.fstatSync(fd).size < sink.written) fs.ftruncateSync(fd, sink.written)
  fs.fsyncSync(fd)
}

/**
 * Writes a GGUF file (or, with `split`, a set of them) to temporary files beside `target`, then
 * renames each over its final name: a reader never sees half a file, and a failure anywhere (bad
 * options, a full disk, a rename refused) leaves no temporary file behind. Returns the paths
 * written, in shard order.
 */
export function writeGguf(target: string, given: WriteGgufOptions): string[] {
  const c = checkOptions(target, given)
  const tensors = checkTensors(c.options.tensors ?? [])
  const shards = planShards(tensors, c.split)
  const dir = path.dirname(path.resolve(target))
  const targets =
    shards.length === 1 ? [target] : shards.map((_, i) => path.join(path.dirname(target), ggufShardFilename(path.basename(target).replace(/\.gguf$/i, ''), i + 1, shards.length)))
  const temps: string[] = []
  const run = randomBytes(8).toString('hex')
  try {
    shards.forEach((shardTensors, i) => {
      const tmp = path.join(dir, `.${path.basename(targets[i]!)}.${process.pid}.${Date.now()}.tmp`)
      const fd = fs.openSync(tmp, 'wx')
      temps.push(tmp)
      try {
        encodeFile(fd, c, shardMetadata(c.options.metadata, i, shards.length, tensors.length, run), shardTensors)
      } finally {
        fs.closeSync(fd)
      }
    })
    temps.forEach((tmp, i) => {
      fs.renameSync(tmp, targets[i]!)
      temps[i] = ''
    })
  } finally {
    for (const tmp of temps) if (tmp !== '') fs.rmSync(tmp, { force: true })
  }
  return targets
}
