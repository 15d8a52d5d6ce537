/**
 * The TypeScript port of the decoders (crates/quants), for where no native binding loads: the
 * same arithmetic in the same order, so the same values (the tests compare the two, and both
 * with gguf-py). JavaScript computes in doubles; every product here is exact in f32, and a
 * single double-rounded addition of two f32 values rounds as an f32 addition would, so storing
 * into a Float32Array gives the f32 result bit for bit (NaN payloads aside).
 */

import type { BlockFn } from './blocks.js'
import { mxfp4, nvfp4 } from './fp4.js'
import { f32ToBf16, f32ToF16 } from './half.js'
import { iq1_m, iq1_s, iq2_s, iq2_xs, iq2_xxs, iq3_s, iq3_xxs, iq4_xs } from './iquants.js'
import { q2_k, q3_k, q4_k, q5_k, q6_k } from './kquants.js'
import { iq4_nl, q4_0, q4_1, q5_0, q5_1, q8_0 } from './legacy.js'
import { decodePlain } from './plain.js'
import { tq1_0, tq2_0 } from './ternary.js'

const BLOCKS: Record<string, BlockFn> = {
  Q4_0: q4_0,
  Q4_1: q4_1,
  Q5_0: q5_0,
  Q5_1: q5_1,
  Q8_0: q8_0,
  IQ4_NL: iq4_nl,
  Q2_K: q2_k,
  Q3_K: q3_k,
  Q4_K: q4_k,
  Q5_K: q5_k,
  Q6_K: q6_k,
  TQ1_0: tq1_0,
  TQ2_0: tq2_0,
  MXFP4: mxfp4,
  NVFP4: nvfp4,
  IQ2_XXS: iq2_xxs,
  IQ2_XS: iq2_xs,
  IQ2_S: iq2_s,
  IQ3_XXS: iq3_xxs,
  IQ3_S: iq3_s,
  IQ1_S: iq1_s,
  IQ1_M: iq1_m,
  IQ4_XS: iq4_xs,
}

/**
 * Decodes `src` (whole blocks of `name`, lengths already checked) into `out` as f32 values.
 */
export function decodeF32(name: string, blockSize: number, typeSize: number, src: Uint8Array, out: Float32Array, littleEndian: boolean): void {
  const block = BLOCKS[name]
  if (block === undefined) {
    if (!decodePlain(name, src, out, littleEndian)) throw new Error(`no TypeScript decoder for ${name}`)
    return
  }
  const blocks = out.length / blockSize
  for (let k = 0; k < blocks; k++) block(src, k * typeSize, out, k * blockSize)
}

/** f32 values to f16 or bf16 bits, rounding to nearest even. */
export function narrow(values: Float32Array, out: Uint16Array, to: 'F16' | 'BF16'): void {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length)
  const convert = to === 'F16' ? f32ToF16 : f32ToBf16
  for (let i = 0; i < bits.length; i++) out[i] = convert(bits[i]!)
}
