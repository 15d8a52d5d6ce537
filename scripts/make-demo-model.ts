/**
 * Writes models/demo-llama.gguf, the small model `npm start` inspects: llama-style names,
 * metadata and a mix of dtypes (Q8_0, Q4_K, Q6_K, F16, F32), with deterministic pseudo-random
 * weights. Run with `npx tsx scripts/make-demo-model.ts`; the output is committed.
 */

import * as path from 'node:path'

import { GGUFValueType as T, writeGguf } from '../ts/index'
import type { WriteTensor } from '../ts/index'
import { patternBytes } from './pattern-bytes'

const nEmbd = 256
const nFf = 768
const nLayer = 4
const nVocab = 2048

const bytes = patternBytes

const ones = (n: number) => new Uint8Array(new Float32Array(n).fill(1).buffer)
const blocks = (elements: number, blockSize: number, typeSize: number) => (elements / blockSize) * typeSize

const tensors: WriteTensor[] = [{ name: 'token_embd.weight', dtype: 'Q8_0', shape: [nEmbd, nVocab], data: bytes(blocks(nEmbd * nVocab, 32, 34), 1) }]
for (let l = 0; l < nLayer; l++) {
  tensors.push({ name: `blk.${l}.attn_norm.weight`, dtype: 'F32', shape: [nEmbd], data: ones(nEmbd) })
  for (const [i, w] of ['attn_q', 'attn_k', 'attn_v', 'attn_output'].entries()) {
    tensors.push({ name: `blk.${l}.${w}.weight`, dtype: 'Q4_K', shape: [nEmbd, nEmbd], data: bytes(blocks(nEmbd * nEmbd, 256, 144), 10 * l + i + 2) })
  }
  tensors.push({ name: `blk.${l}.ffn_norm.weight`, dtype: 'F32', shape: [nEmbd], data: ones(nEmbd) })
  tensors.push({ name: `blk.${l}.ffn_gate.weight`, dtype: 'Q4_K', shape: [nEmbd, nFf], data: bytes(blocks(nEmbd * nFf, 256, 144), 10 * l + 7) })
  tensors.push({ name: `blk.${l}.ffn_up.weight`, dtype: 'Q4_K', shape: [nEmbd, nFf], data: bytes(blocks(nEmbd * nFf, 256, 144), 10 * l + 8) })
  tensors.push({ name: `blk.${l}.ffn_down.weight`, dtype: 'Q6_K', shape: [nFf, nEmbd], data: bytes(blocks(nEmbd * nFf, 256, 210), 10 * l + 9) })
}
tensors.push({ name: 'output_norm.weight', dtype: 'F32', shape: [nEmbd], data: ones(nEmbd) })
tensors.push({ name: 'output.weight', dtype: 'F16', shape: [nEmbd, 512], data: bytes(nEmbd * 512 * 2, 99) })

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
