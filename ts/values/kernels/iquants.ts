/** The I-quants (see crates/quants/src/iquants.rs: codebooks, signs, `(db * grid) * sign`). */

import { h2f, le16, le32 } from './blocks.js'
import { IQ1S_GRID, IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID, IQ3S_GRID, IQ3XXS_GRID } from './grids.js'
import { f16 } from './half.js'
import { KVALUES_IQ4NL } from './legacy.js'

/** 7 sign bits and an 8th that makes the count of set bits even. */
const KSIGNS = Array.from({ length: 128 }, (_, i) => {
  let ones = 0
  for (let v = i; v !== 0; v >>= 1) ones += v & 1
  return i | ((ones & 1) << 7)
})

const sign = (bits: number, i: number): number => (((bits >> i) & 1) === 1 ? -1 : 1)

/** Eight values from row `row` of an 8-wide grid: `(db * g) * sign`. */
function eight(y: Float32Array, at: number, grid: Uint8Array | Int8Array, row: number, db: number, signs: number): void {
  for (let i = 0; i < 8; i++) y[at + i] = db * grid[8 * row + i]! * sign(signs, i)
}

export function iq2_xxs(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o)
  for (let ib = 0; ib < 8; ib++) {
    const at = o + 2 + 8 * ib
    const aux = le32(b, at + 4)
    const db = d * (0.5 + (aux >>> 28)) * 0.25
    for (let k = 0; k < 4; k++) eight(y, e + 32 * ib + 8 * k, IQ2XXS_GRID, b[at + k]!, db, KSIGNS[(aux >>> (7 * k)) & 127]!)
  }
}

const scale2bit = (b: Uint8Array, s: number, grp: number): number => (b[s + (grp >> 2)]! >> (4 * ((grp >> 1) % 2))) & 0xf

export function iq2_xs(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o)
  for (let grp = 0; grp < 32; grp++) {
    const w = le16(b, o + 2 + 2 * grp)
    const db = d * (0.5 + scale2bit(b, o + 66, grp)) * 0.25
    eight(y, e + 8 * grp, IQ2XS_GRID, w & 511, db, KSIGNS[w >> 9]!)
  }
}

export function iq2_s(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o)
  for (let grp = 0; grp < 32; grp++) {
    const high = (b[o + 66 + (grp >> 2)]! >> (2 * (grp % 4))) & 3
    const db = d * (0.5 + scale2bit(b, o + 74, grp)) * 0.25
    eight(y, e + 8 * grp, IQ2S_GRID, b[o + 2 + grp]! | (high << 8), db, b[o + 34 + grp]!)
  }
}

export function iq3_xxs(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o)
  for (let ib = 0; ib < 8; ib++) {
    const aux = le32(b, o + 66 + 4 * ib)
    const db = d * (0.5 + (aux >>> 28)) * 0.5
    for (let k = 0; k < 4; k++) {
      const signs = KSIGNS[(aux >>> (7 * k)) & 127]!
      for (let i = 0; i < 8; i++) {
        const at = 32 * ib + 8 * k + i
        y[e + at] = db * IQ3XXS_GRID[4 * b[o + 2 + (at >> 2)]! + (at % 4)]! * sign(signs, i)
      }
    }
  }
}

export function iq3_s(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o)
  for (let ib = 0; ib < 8; ib++) {
    const sc = (b[o + 106 + (ib >> 1)]! >> (4 * (ib % 2))) & 0xf
    const db = d * (1 + 2 * sc)
    for (let gi = 8 * ib; gi < 8 * ib + 8; gi++) {
      const row = b[o + 2 + gi]! | (((b[o + 66 + (gi >> 3)]! >> (gi % 8)) & 1) << 8)
      const signs = b[o + 74 + (gi >> 1)]! >> (4 * (gi % 2))
      for (let i = 0; i < 4; i++) y[e + 4 * gi + i] = db * IQ3S_GRID[4 * row + i]! * sign(signs, i)
    }
  }
}

function iq1Eight(y: Float32Array, at: number, row: number, dl: number, delta: number): void {
  for (let i = 0; i < 8; i++) y[at + i] = dl * (IQ1S_GRID[8 * row + i]! + delta)
}

export function iq1_s(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o)
  for (let ib = 0; ib < 8; ib++) {
    const h = le16(b, o + 34 + 2 * ib)
    const dl = d * (2 * ((h >> 12) & 7) + 1)
    const delta = (h & 0x8000) !== 0 ? -0.125 : 0.125
    for (let k = 0; k < 4; k++) {
      const grp = 4 * ib + k
      iq1Eight(y, e + 8 * grp, b[o + 2 + grp]! | (((h >> (3 * k)) & 7) << 8), dl, delta)
    }
  }
}

export function iq1_m(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const s = [le16(b, o + 48), le16(b, o + 50), le16(b, o + 52), le16(b, o + 54)]
  const d = f16((s[0]! >> 12) | ((s[1]! >> 12) << 4) | ((s[2]! >> 12) << 8) | ((s[3]! >> 12) << 12))
  for (let grp = 0; grp < 32; grp++) {
    const nib = (b[o + 32 + (grp >> 1)]! >> (4 * (grp % 2))) & 0xf
    const t = grp >> 1
    const s3 = (s[t >> 2]! >> (3 * (t % 4))) & 7
    iq1Eight(y, e + 8 * grp, b[o + grp]! | ((nib & 7) << 8), d * (2 * s3 + 1), (nib & 8) !== 0 ? -0.125 : 0.125)
  }
}

export function iq4_xs(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = h2f(b, o)
  const high = le16(b, o + 2)
  for (let ib = 0; ib < 8; ib++) {
    const low = (b[o + 4 + (ib >> 1)]! >> (4 * (ib % 2))) & 0xf
    const dl = d * ((low | (((high >> (2 * ib)) & 3) << 4)) - 32)
    const qs = o + 8 + 16 * ib
    for (let i = 0; i < 16; i++) {
      const q = b[qs + i]!
      y[e + 32 * ib + i] = dl * KVALUES_IQ4NL[q & 0xf]!
      y[e + 32 * ib + i + 16] = dl * KVALUES_IQ4NL[q >> 4]!
    }
  }
}
