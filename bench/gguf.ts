/**
 * GGUF header + tensor-info parse of a synthetic file with a 256k-token vocabulary: modelmap
 * (lazy and drop-in eager) vs @huggingface/gguf (local file) vs hyllama, in one run.
 */

import * as fs from 'node:fs'
import * as path from 'node:path'

import { GGUFValueType as T, gguf, openGguf, writeGguf } from '..'
import type { WriteTensor } from '..'
import { benchDir } from './fixtures'
import { formatMs, headline, markdownTable, median, timeRunsAsync } from './stats'

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

export async function ggufParse(runs = 15): Promise<string> {
  const file = vocabFile()
  const { ggufMetadata } = (await import('hyllama')) as { ggufMetadata: (ab: ArrayBuffer) => unknown }
  const size = fs.statSync(file).size
  const measure = async (fn: () => Promise<unknown> | unknown) => median(await timeRunsAsync(runs, async () => void (await fn()), 2))
  const lazy = await measure(() => openGguf(file).close())
  const eager = await measure(() => gguf(file, { allowLocalFile: true }))
  const theirs = await measure(() => hf.gguf(file, { allowLocalFile: true }))
  const hy = await measure(() => {
    const bytes = fs.readFileSync(file)
    return ggufMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)
  })
  headline('GGUF 256k-vocab parse vs @huggingface/gguf', theirs / lazy)
  headline('GGUF parse, drop-in eager, vs @huggingface/gguf', theirs / eager)
  const row = (name: string, ms: number): string[] => [name, formatMs(ms), `${(theirs / ms).toFixed(1)}×`]
  return (
    `${(size / 2 ** 20).toFixed(1)} MiB file: 256,000 tokens, 256,000 scores and types, 100,000 merges, 291 tensor infos; median of ${runs}.\n\n` +
    markdownTable(['parser', 'header + tensor infos', 'speed vs @huggingface/gguf'], [
      row('modelmap openGguf (big arrays lazy)', lazy),
      row('modelmap gguf() drop-in (everything decoded)', eager),
      row('@huggingface/gguf gguf(path, { allowLocalFile })', theirs),
      row('hyllama ggufMetadata(readFileSync)', hy),
    ])
  )
}
