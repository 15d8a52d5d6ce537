/**
 * GGUF header + tensor-info parse of a synthetic file with a 256k-token vocabulary: modelmap
 * (lazy and drop-in eager) vs @huggingface/gguf (local file) vs hyllama, in one run.
 */

import * as fs from 'node:fs'
import * as path from 'node:path'

import { GGUFValueType as T, gguf, openGguf, writeGguf } from '..'
import type { WriteTensor } from '..'
import { benchDir } from './fixtures'
import { readGgufFileInfo } from './peers'
import { formatMs, headline, markdownTable, median } from './stats'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const hf = require('@huggingface/gguf') as { gguf: (p: string, o: Record<string, unknown>) => Promise<unknown> }

export function vocabFile(tokens = 256_000, tensors = 291): string {
  const file = path.join(benchDir, `vocab-${tokens}.gguf`)
  if (fs.existsSync(file)) return file
  const vocab = Array.from({ length: tokens }, (_, i) => (i % 7 === 0 ? `▁tok${i}` : `t${i.toString(36)}`))
  const tensorList: WriteTensor[] = Array.from({ length: tensors }, (_, i) => ({ name: `blk.${i >> 3}.w${i & 7}.weight`, dtype: 'F32', shape: [16], data: new Uint8Array(64) }))
  writeGguf(file, {
    metadata: {
      'general.architecture': { type: T.STRING, value: 'llama' },
      'general.name': { type: T.STRING, value: 'synthetic-256k-vocab' },
      'llama.context_length': { type: T.UINT32, value: 8192 },
      'tokenizer.ggml.model': { type: T.STRING, value: 'gpt2' },
      'tokenizer.ggml.tokens': { type: T.ARRAY, subType: T.STRING, value: vocab },
      'tokenizer.ggml.scores': { type: T.ARRAY, subType: T.FLOAT32, value: vocab.map((_, i) => -i / 1000) },
      'tokenizer.ggml.token_type': { type: T.ARRAY, subType: T.INT32, value: vocab.map((_, i) => (i < 3 ? 3 : 1)) },
      'tokenizer.ggml.merges': { type: T.ARRAY, subType: T.STRING, value: vocab.slice(0, 100_000).map((t, i) => `${t} ${vocab[i + 1]}`) },
    },
    tensors: tensorList,
  })
  return file
}

export async function ggufParse(rounds = 21): Promise<string> {
  const file = vocabFile()
  const { ggufMetadata } = (await import('hyllama')) as { ggufMetadata: (ab: ArrayBuffer) => unknown }
  const llama = await readGgufFileInfo()
  const size = fs.statSync(file).size
  const contenders: Array<[string, () => Promise<unknown> | unknown]> = [
    ['modelmap openGguf (big arrays lazy)', () => openGguf(file).close()],
    ['modelmap gguf() drop-in (everything decoded)', () => gguf(file, { allowLocalFile: true })],
    ['@huggingface/gguf gguf(path, { allowLocalFile })', () => hf.gguf(file, { allowLocalFile: true })],
    [
      'hyllama ggufMetadata(readFileSync)',
      () => {
        const bytes = fs.readFileSync(file)
        return ggufMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)
      },
    ],
  ]
  if (typeof llama !== 'string') contenders.push(['node-llama-cpp 3.21.1 readGgufFileInfo(path)', () => llama(file)])
  // Paired: every round runs each contender once, in an order rotated per round, so a slow spell
  // of this shared machine hits them alike; ratios are taken within a round.
  const times = contenders.map(() => [] as number[])
  for (let round = -2; round < rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (k + Math.max(round, 0)) % contenders.length
      const start = process.hrtime.bigint()
      await contenders[i]![1]()
      if (round >= 0) times[i]!.push(Number(process.hrtime.bigint() - start) / 1e6)
    }
  }
  const HY = 3
  const ratioToHyllama = (i: number) => times[i]!.map((t, r) => times[HY]![r]! / t)
  const theirs = median(times[2]!)
  headline('GGUF 256k-vocab parse vs @huggingface/gguf', theirs / median(times[0]!))
  headline('GGUF parse, drop-in eager, vs @huggingface/gguf', theirs / median(times[1]!))
  const rows = contenders.map(([name], i) => {
    const r = ratioToHyllama(i)
    return [name, formatMs(median(times[i]!)), `${(theirs / median(times[i]!)).toFixed(1)}×`, `${median(r).toFixed(2)}× (${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)})`]
  })
  if (typeof llama === 'string') rows.push(['node-llama-cpp 3.21.1 readGgufFileInfo', llama, '–', '–'])
  return (
    `${(size / 2 ** 20).toFixed(1)} MiB file: 256,000 tokens, 256,000 scores and types, 100,000 merges, 291 tensor infos; ${rounds} paired rounds (each contender once per round, order rotated).\n\n` +
    markdownTable(['parser', 'header + tensor infos (median)', 'speed vs @huggingface/gguf', 'speed vs hyllama, same round (median, spread)'], rows)
  )
}
