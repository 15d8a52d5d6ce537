/** TQ1_0 and TQ2_0 (see crates/quants/src/ternary.rs). */

import { h2f } from './blocks.js'

const POW3 = [1, 3, 9, 27, 81]

function trit(byte: number, p: number): number {
  const v = (byte * POW3[p]!) & 0xff
  return ((v * 3) >> 8) - 1
}

export function tq1_0(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o + 52)
  for (let p = 0; p < 5; p++) {
    for (let i = 0; i < 32; i++) y[e + 32 * p + i] = d * trit(b[o + i]!, p)
    for (let i = 0; i < 16; i++) y[e + 160 + 16 * p + i] = d * trit(b[o + 32 + i]!, p)
  }
  for (let p = 0; p < 4; p++) for (let i = 0; i < 4; i++) y[e + 240 + 4 * p + i] = d * trit(b[o + 48 + i]!, p)
}

export function tq2_0(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o + 64)
  for (let k = 0; k < 256; k++) {
    const r = k % 128
    const code = (b[o + 32 * (k >> 7) + (r % 32)]! >> (2 * (r >> 5))) & 3
    y[e + k] = d * (code - 1)
  }
}
