/** MXFP4 and NVFP4 (see crates/quants/src/fp4.rs: scales and their special values). */

export const KVALUES_FP4 = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12]

const bits = new Uint32Array(1)
const asF32 = new Float32Array(bits.buffer)
function fromBits(u: number): number {
  bits[0] = u
  return asF32[0]!
}

const E8M0_HALF = Array.from({ length: 256 }, (_, e) => fromBits(e === 0 ? 0x00200000 : e === 1 ? 0x00400000 : (e - 1) << 23))

const UE4M3_HALF = Array.from({ length: 256 }, (_, x) => {
  if (x === 0 || x === 0x7f) return 0
  const exp = (x >> 3) & 0xf
  const man = x & 7
  return exp === 0 ? man * 2 ** -10 : fromBits((((exp + 119) << 23) | (man << 20)) >>> 0)
})

export function mxfp4(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  const d = E8M0_HALF[b[o]!]!
  for (let i = 0; i < 16; i++) {
    const q = b[o + 1 + i]!
    y[e + i] = d * KVALUES_FP4[q & 0xf]!
    y[e + i + 16] = d * KVALUES_FP4[q >> 4]!
  }
}

export function nvfp4(b: Uint8Array, o: number, y: Float32Array, e: number): void {
  for (let sub = 0; sub < 4; sub++) {
    const d = UE4M3_HALF[b[o + sub]!]!
    for (let i = 0; i < 8; i++) {
      const q = b[o + 4 + 8 * sub + i]!
      y[e + 16 * sub + i] = d * KVALUES_FP4[q & 0xf]!
      y[e + 16 * sub + i + 8] = d * KVALUES_FP4[q >> 4]!
    }
  }
}
