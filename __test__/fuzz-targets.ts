/** Shared by the fuzz test (fixed seed, in CI) and bench/fuzz.ts (a million inputs). */

import fc from 'fast-check'

import { GGUFValueType as T, ModelData, ModelDataError, openGguf, openSafetensors, typedArrayValue, writeGguf } from '..'

export type Outcome = 'parsed' | 'rejected'

/** Parses `bytes` as `format`: fine or a typed format error; anything else is a finding. */
export function parseHostile(format: 'gguf' | 'safetensors', bytes: Uint8Array): Outcome {
  const model = ModelData.fromBuffer(bytes)
  try {
    if (format === 'gguf') {
      const file = openGguf(model, { lazyArraysOver: 8 })
      for (const key of Object.keys(file.metadata)) void file.metadata[key]
      for (const t of file.tensors()) {
        if (t.byteOffset + t.byteLength > bytes.length) throw new Error(`tensor ${t.name} outside the file`)
        void t.data.length
        void t.array
      }
    } else {
      const file = openSafetensors(model)
      for (const t of file.tensors()) {
        if (t.byteOffset + t.byteLength > bytes.length) throw new Error(`tensor ${t.name} outside the file`)
        void t.data.length
      }
    }
    return 'parsed'
  } catch (err) {
    const expected = [format === 'gguf' ? 'ERR_MODELMAP_INVALID_GGUF' : 'ERR_MODELMAP_INVALID_SAFETENSORS', 'ERR_MODELMAP_LIMIT_EXCEEDED']
    if (err instanceof ModelDataError && expected.includes(err.code) && typeof err.byteOffset === 'number') return 'rejected'
    throw err
  }
}

/**
 * Watches the JS heap (and ArrayBuffers) while fuzzing: inputs are under a kilobyte, so a parser
 * that allocates in proportion to a claimed count instead of the bytes shows up as growth here.
 */
export class MemoryWatch {
  readonly #base = MemoryWatch.#now()
  #peak = 0
  #calls = 0

  static #now(): number {
    const m = process.memoryUsage()
    return m.heapUsed + m.arrayBuffers
  }

  /** Call once per input; samples every 64th call (memoryUsage() costs microseconds). */
  tick(): void {
    if (++this.#calls % 64 === 0) this.#peak = Math.max(this.#peak, MemoryWatch.#now() - this.#base)
  }

  /** Largest growth seen over the baseline, in bytes. */
  get peakGrowth(): number {
    return Math.max(this.#peak, MemoryWatch.#now() - this.#base)
  }
}

/** Mutations of a valid file: flips, overwrites with extreme integers, truncation, insertion. */
export function mutated(seed: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = seed.length
  const flip = fc.record({ kind: fc.constant('flip' as const), at: fc.nat(n - 1), value: fc.integer({ min: 0, max: 255 }) })
  const extreme = fc.record({
    kind: fc.constant('u64' as const),
    at: fc.nat(Math.max(0, n - 8)),
    value: fc.constantFrom(0n, 1n, 0xffn, 0xffffffffn, 0x100000000n, 1n << 53n, (1n << 63n) - 1n, (1n << 64n) - 1n),
  })
  const cut = fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(n) })
  const insert = fc.record({ kind: fc.constant('insert' as const), at: fc.nat(n), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) })
  return fc.array(fc.oneof(flip, extreme, cut, insert), { minLength: 1, maxLength: 4 }).map((ops) => {
    let out = Buffer.from(seed)
    for (const op of ops) {
      if (op.kind === 'flip' && op.at < out.length) out[op.at] = op.value
      else if (op.kind === 'u64' && op.at + 8 <= out.length) out.writeBigUInt64LE(op.value, op.at)
      else if (op.kind === 'truncate') out = out.subarray(0, Math.min(op.at, out.length))
      else if (op.kind === 'insert') out = Buffer.concat([out.subarray(0, op.at), op.bytes, out.subarray(op.at)])
    }
    return new Uint8Array(out)
  })
}

/** The valid GGUF every GGUF fuzz input is mutated from: strings, nested arrays, three dtypes. */
export function ggufFuzzSeed(file: string): Uint8Array {
  const pattern = (n: number) => new Uint8Array(n).map((_, i) => (i * 37) & 0xff)
  writeGguf(file, {
    metadata: {
      'general.architecture': { type: T.STRING, value: 'llama' },
      'general.alignment': { type: T.UINT32, value: 32 },
      'x.u64': { type: T.UINT64, value: 7n },
      'tokenizer.ggml.tokens': { type: T.ARRAY, subType: T.STRING, value: ['<s>', 'a', 'bc', 'def', '🙂'] },
      'x.nested': { type: T.ARRAY, subType: T.ARRAY, value: [typedArrayValue([1, 2], T.INT32)] },
      'x.f': { type: T.ARRAY, subType: T.FLOAT32, value: [1, 2, 3] },
    },
    tensors: [
      { name: 'a', dtype: 'F32', shape: [4, 2], data: pattern(32) },
      { name: 'b', dtype: 'Q8_0', shape: [32], data: pattern(34) },
      { name: 'c', dtype: 'Q4_K', shape: [256], data: pattern(144) },
    ],
  })
  return new Uint8Array(require('node:fs').readFileSync(file) as Buffer)
}

/** The valid safetensors file every safetensors fuzz input is mutated from. */
export function safetensorsFuzzSeed(): Uint8Array {
  const header = Buffer.from(JSON.stringify({ __metadata__: { k: 'v' }, a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, b: { dtype: 'I8', shape: [3], data_offsets: [16, 19] } }))
  const seed = Buffer.alloc(8 + header.length + 19)
  seed.writeBigUInt64LE(BigInt(header.length))
  header.copy(seed, 8)
  return new Uint8Array(seed)
}
