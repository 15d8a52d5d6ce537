/** The 32-element block types (see crates/quants/src/legacy.rs for the layout and the rounding). */

import { h2f, i8, le32 } from './blocks.js'

export const KVALUES_IQ4NL = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

export function q4_0(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o)
  for (let i = 0; i < 16; i++) {
    const q = b[o + 2 + i]!
    y[e + i] = d * ((q & 0xf) - 8)
    y[e + i + 16] = d * ((q >> 4) - 8)
  }
}

export function q4_1(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o)
  const m = h2f(b, o + 2)
  for (let i = 0; i < 16; i++) {
    const q = b[o + 4 + i]!
    y[e + i] = d * (q & 0xf) + m
    y[e + i + 16] = d * (q >> 4) + m
  }
}

export function q5_0(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o)
  const qh = le32(b, o + 2)
  for (let i = 0; i < 16; i++) {
    const q = b[o + 6 + i]!
    y[e + i] = d * (((q & 0xf) | (((qh >>> i) & 1) << 4)) - 16)
    y[e + i + 16] = d * (((q >> 4) | (((qh >>> (i + 16)) & 1) << 4)) - 16)
  }
}

export function q5_1(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o)
  const m = h2f(b, o + 2)
  const qh = le32(b, o + 4)
  for (let i = 0; i < 16; i++) {
    const q = b[o + 8 + i]!
    y[e + i] = d * ((q & 0xf) | (((qh >>> i) & 1) << 4)) + m
    y[e + i + 16] = d * ((q >> 4) | (((qh >>> (i + 16)) & 1) << 4)) + m
  }
}

export function q8_0(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o)
  for (let i = 0; i < 32; i++) y[e + i] = i8(b[o + 2 + i]!) * d
}

export function iq4_nl(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o)
  for (let i = 0; i < 16; i++) {
    const q = b[o + 2 + i]!
    y[e + i] = d * KVALUES_IQ4NL[q & 0xf]!
    y[e + i + 16] = d * KVALUES_IQ4NL[q >> 4]!
  }
}
