/**
 * Writes models/demo-llama.gguf, the small model `npm start` inspects: llama-style names,
 * metadata and a mix of dtypes (Q8_0, Q4_K, Q6_K, F16, F32), with deterministic pseudo-random
 * weights whose scales are small and finite, so its values look like a model's (`modelmap
 * inspect --stats` finds no NaN or infinity). Run with `npx tsx scripts/make-demo-model.ts`; the
 * output is committed.
 */

import * as path from 'node:path'

import { GGUFValueType as T, writeGguf } from '../ts/index'
import type { WriteTensor } from '../ts/index'
import { patternBytes } from './pattern-bytes'
import { f32ToF16 } from '../ts/values/kernels/half'

const nEmbd = 256
const nFf = 768
const nLayer = 4
const nVocab = 2048

/** An f32 value's bits. */
const bitsOf = (v: number) => new Uint32Array(Float32Array.of(v).buffer)[0]!

/**
 * Random blocks of `typeSize` bytes with the f16 scale at each of `scales` (byte offsets in a
 * block) set to `value` (varied a little per block), as a quantizer would leave them.
 */
function quantized(length: number, seed: number, typeSize: number, scales: Array<[number, number]>): Uint8Array {
  const out = patternBytes(length, seed)
  for (let block = 0, at = 0; at < length; block++, at += typeSize) {
    for (const [offset, value] of scales) {
      const h = f32ToF16(bitsOf(value * (1 + (block % 7) / 10)))
      out[at + offset] = h & 0xff
      out[at + offset + 1] = h >> 8
    }
  }
  return out
}

const Q8_0_SCALES: Array<[number, number]> = [[0, 1 / 4096]]
const Q4_K_SCALES: Array<[number, number]> = [[0, 1 / 2048], [2, 1 / 4096]]
const Q6_K_SCALES: Array<[number, number]> = [[208, 1 / 16384]]

/** Small f16 values around zero. */
function f16s(count: number, seed: number): Uint8Array {
  const noise = patternBytes(count, seed)
  const out = new Uint16Array(count)
  for (let i = 0; i < count; i++) out[i] = f32ToF16(bitsOf((noise[i]! - 127.5) / 4096))
  return new Uint8Array(out.buffer)
}

const ones = (n: number) => new Uint8Array(new Float32Array(n).fill(1).buffer)
const blocks = (elements: number, blockSize: number, typeSize: number) => (elements / blockSize) * typeSize

const tensors: WriteTensor[] = [{ name: 'token_embd.weight', dtype: 'Q8_0', shape: [nEmbd, nVocab], data: quantized(blocks(nEmbd * nVocab, 32, 34), 1, 34, Q8_0_SCALES) }]
for (let l = 0; l < nLayer; l++) {
  tensors.push({ name: `blk.${l}.attn_norm.weight`, dtype: 'F32', shape: [nEmbd], data: ones(nEmbd) })
  for (const [i, w] of ['attn_q', 'attn_k', 'attn_v', 'attn_output'].entries()) {
    tensors.push({ name: `blk.${l}.${w}.weight`, dtype: 'Q4_K', shape: [nEmbd, nEmbd], data: quantized(blocks(nEmbd * nEmbd, 256, 144), 10 * l + i + 2, 144, Q4_K_SCALES) })
  }
  tensors.push({ name: `blk.${l}.ffn_norm.weight`, dtype: 'F32', shape: [nEmbd], data: ones(nEmbd) })
  tensors.push({ name: `blk.${l}.ffn_gate.weight`, dtype: 'Q4_K', shape: [nEmbd, nFf], data: quantized(blocks(nEmbd * nFf, 256, 144), 10 * l + 7, 144, Q4_K_SCALES) })
  tensors.push({ name: `blk.${l}.ffn_up.weight`, dtype: 'Q4_K', shape: [nEmbd, nFf], data: quantized(blocks(nEmbd * nFf, 256, 144), 10 * l + 8, 144, Q4_K_SCALES) })
  tensors.push({ name: `blk.${l}.ffn_down.weight`, dtype: 'Q6_K', shape: [nFf, nEmbd], data: quantized(blocks(nEmbd * nFf, 256, 210), 10 * l + 9, 210, Q6_K_SCALES) })
}
tensors.push({ name: 'output_norm.weight', dtype: 'F32', shape: [nEmbd], data: ones(nEmbd) })
tensors.push({ name: 'output.weight', dtype: 'F16', shape: [nEmbd, 512], data: f16s(nEmbd * 512, 99) })

const vocab = Array.from({ length: nVocab }, (_, i) => (i === 0 ? '<unk>' : i === 1 ? '<s>' : i === 2 ? '</s>' : i < 259 ? `<0x${(i - 3).toString(16).toUpperCase().padStart(2, '0')}>` : `▁w${i}`))

writeGguf(path.join(__dirname, '..', 'models', 'demo-llama.gguf'), {
  metadata: {
    'general.architecture': { type: T.STRING, value: 'llama' },
    'general.name': { type: T.STRING, value: 'modelmap demo (random weights)' },
    'general.file_type': { type: T.UINT32, value: 15 },
    'general.quantization_version': { type: T.UINT32, value: 2 },
    'general.alignment': { type: T.UINT32, value: 32 },
    'llama.context_length': { type: T.UINT32, value: 2048 },
    'llama.embedding_length': { type: T.UINT32, value: nEmbd },
    'llama.block_count': { type: T.UINT32, value: nLayer },
    'llama.feed_forward_length': { type: T.UINT32, value: nFf },
    'llama.attention.head_count': { type: T.UINT32, value: 8 },
    'llama.attention.head_count_kv': { type: T.UINT32, value: 8 },
    'llama.attention.layer_norm_rms_epsilon': { type: T.FLOAT32, value: 1e-5 },
    'llama.rope.freq_base': { type: T.FLOAT32, value: 10000 },
    'tokenizer.ggml.model': { type: T.STRING, value: 'llama' },
    'tokenizer.ggml.tokens': { type: T.ARRAY, subType: T.STRING, value: vocab },
    'tokenizer.ggml.scores': { type: T.ARRAY, subType: T.FLOAT32, value: vocab.map((_, i) => -i) },
    'tokenizer.ggml.token_type': { type: T.ARRAY, subType: T.INT32, value: vocab.map((_, i) => (i < 3 ? 3 : i < 259 ? 6 : 1)) },
    'tokenizer.ggml.bos_token_id': { type: T.UINT32, value: 1 },
    'tokenizer.ggml.eos_token_id': { type: T.UINT32, value: 2 },
  },
  tensors,
})
