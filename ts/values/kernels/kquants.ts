/** The K-quants (see crates/quants/src/kquants.rs: layouts, and why `(d * sc) * q`). */

import { h2f, i8 } from './blocks.js'

export function q2_k(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o + 80)
  const dmin = h2f(b, o + 82)
  for (let h = 0; h < 2; h++) {
    for (let j = 0; j < 4; j++) {
      for (let half = 0; half < 2; half++) {
        const sc = b[o + 8 * h + 2 * j + half]!
        const dl = d * (sc & 0xf)
        const ml = dmin * (sc >> 4)
        for (let i = 0; i < 16; i++) {
          const l = 16 * half + i
          y[e + 128 * h + 32 * j + l] = dl * ((b[o + 16 + 32 * h + l]! >> (2 * j)) & 3) - ml
        }
      }
    }
  }
}

function q3kScale(b: Uint8Array, s: number, i: number): number {
  const lo = (b[s + (i % 8)]! >> (4 * (i >> 3))) & 0xf
  const hi = (b[s + 8 + (i % 4)]! >> (2 * (i >> 2))) & 3
  return (lo | (hi << 4)) - 32
}

export function q3_k(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o + 108)
  for (let h = 0; h < 2; h++) {
    for (let j = 0; j < 4; j++) {
      const bit = 4 * h + j
      for (let half = 0; half < 2; half++) {
        const dl = d * q3kScale(b, o + 96, 8 * h + 2 * j + half)
        for (let i = 0; i < 16; i++) {
          const l = 16 * half + i
          const low = (b[o + 32 + 32 * h + l]! >> (2 * j)) & 3
          const q = low - (((b[o + l]! >> bit) & 1) === 0 ? 4 : 0)
          y[e + 128 * h + 32 * j + l] = dl * q
        }
      }
    }
  }
}

function scaleMinK4(b: Uint8Array, s: number, j: number): [number, number] {
  if (j < 4) return [b[s + j]! & 63, b[s + j + 4]! & 63]
  return [(b[s + j + 4]! & 0xf) | ((b[s + j - 4]! >> 6) << 4), (b[s + j + 4]! >> 4) | ((b[s + j]! >> 6) << 4)]
}

export function q4_k(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o)
  const dmin = h2f(b, o + 2)
  for (let sub = 0; sub < 8; sub++) {
    const [sc, mn] = scaleMinK4(b, o + 4, sub)
    const ds = d * sc
    const ms = dmin * mn
    const qs = o + 16 + 32 * (sub >> 1)
    const shift = 4 * (sub & 1)
    for (let l = 0; l < 32; l++) y[e + 32 * sub + l] = ds * ((b[qs + l]! >> shift) & 0xf) - ms
  }
}

export function q5_k(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o)
  const dmin = h2f(b, o + 2)
  for (let sub = 0; sub < 8; sub++) {
    const [sc, mn] = scaleMinK4(b, o + 4, sub)
    const ds = d * sc
    const ms = dmin * mn
    const qs = o + 48 + 32 * (sub >> 1)
    const shift = 4 * (sub & 1)
    for (let l = 0; l < 32; l++) {
      const code = ((b[qs + l]! >> shift) & 0xf) | (((b[o + 16 + l]! >> sub) & 1) << 4)
      y[e + 32 * sub + l] = ds * code - ms
    }
  }
}

export function q6_k(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o + 208)
  for (let h = 0; h < 2; h++) {
    for (let j = 0; j < 4; j++) {
      const ql = o + 64 * h + 32 * (j % 2)
      const nibble = 4 * (j >> 1)
      for (let half = 0; half < 2; half++) {
        const ds = d * i8(b[o + 192 + 8 * h + 2 * j + half]!)
        for (let i = 0; i < 16; i++) {
          const l = 16 * half + i
          const q = (((b[ql + l]! >> nibble) & 0xf) | (((b[o + 128 + 32 * h + l]! >> (2 * j)) & 3) << 4)) - 32
          y[e + 128 * h + 32 * j + l] = ds * q
        }
      }
    }
  }
}
