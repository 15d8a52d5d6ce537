/**
 * The 16-bit float conversions of the TypeScript port, bit for bit as the Rust kernels
 * (crates/quants/src/half.rs) and numpy do them.
 */

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** f16 bits to the f32 bits numpy's astype(np.float32) gives (NaN payloads kept). */
export function f16Bits(h: number): number {
  const sign = (h & 0x8000) << 16
  const exp = (h >> 10) & 0x1f
  const man = h & 0x3ff
  if (exp === 0x1f) return (sign | 0x7f800000 | (man << 13)) >>> 0
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (man << 13)) >>> 0
  f32[0] = man * 2 ** -24
  return (sign | u32[0]!) >>> 0
}

/** f16 bits as a number (exactly the f32 value; a NaN is a NaN). */
export function f16(h: number): number {
  u32[0] = f16Bits(h)
  return f32[0]!
}

export function f32ToF16(bits: number): number {
  const sign = (bits >>> 16) & 0x8000
  const exp = bits & 0x7f800000
  const sig = bits & 0x007fffff
  if (exp >= 0x47800000) {
    if (exp === 0x7f800000 && sig !== 0) {
      const nan = 0x7c00 + (sig >>> 13)
      return sign | (nan === 0x7c00 ? nan + 1 : nan)
    }
    return sign | 0x7c00
  }
  if (exp <= 0x38000000) {
    if (exp < 0x33000000) return sign
    const shift = 126 - (exp >>> 23)
    const full = sig | 0x00800000
    return sign | roundDropped(full >>> shift, full & ((1 << shift) - 1), 1 << (shift - 1))
  }
  const h = ((exp - 0x38000000) >>> 13) | (sig >>> 13)
  return sign | roundDropped(h, sig & 0x1fff, 0x1000)
}

function roundDropped(kept: number, dropped: number, half: number): number {
  return dropped > half || (dropped === half && (kept & 1) === 1) ? kept + 1 : kept
}

export function f32ToBf16(bits: number): number {
  if ((bits & 0x7fffffff) >>> 0 > 0x7f800000) return ((bits >>> 16) | 0x0040) & 0xffff
  return Math.floor((bits + 0x7fff + ((bits >>> 16) & 1)) / 0x10000) & 0xffff
}
