/**
 * Element types in either byte order (see crates/quants/src/plain.rs): floats bit for bit,
 * integers rounded to nearest even as numpy's astype(np.float32) rounds them (64-bit ones
 * exactly, not through a double), booleans as 0/1, 8-bit floats as ml_dtypes converts them.
 */

import { f16Bits } from './half.js'


/** An integer (as a bigint) rounded to the nearest f32, ties to even. */
function bigToF32(v: bigint): number {
  const negative = v < 0n
  let magnitude = negative ? -v : v
  if (magnitude < 2n ** 53n) return Math.fround(Number(v))
  const length = magnitude.toString(2).length
  const shift = BigInt(length - 24)
  let kept = magnitude >> shift
  const dropped = magnitude & ((1n << shift) - 1n)
  const half = 1n << (shift - 1n)
  if (dropped > half || (dropped === half && (kept & 1n) === 1n)) kept += 1n
  magnitude = kept << shift
  const value = Number(magnitude)
  return Math.fround(negative ? -value : value)
}

const E4M3 = Array.from({ length: 256 }, (_, b) => {
  const sign = (b & 0x80) !== 0 ? -1 : 1
  const exp = (b >> 3) & 0xf
  const man = b & 7
  if (exp === 0xf && man === 7) return NaN
  if (exp === 0) return sign * man * 2 ** -9
  return sign * (1 + man / 8) * 2 ** (exp - 7)
})

const E5M2_BITS = Array.from({ length: 256 }, (_, b) => ((b & 0x7c) === 0x7c && (b & 3) !== 0 ? ((b & 0x80) !== 0 ? 0xffc00000 : 0x7fc00000) : f16Bits(b << 8)))

/** Decodes `n` elements of an element type from `src` into `out` (f32 values). */
export function decodePlain(name: string, src: Uint8Array, out: Float32Array, littleEndian: boolean): boolean {
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength)
  const bitsOut = new Uint32Array(out.buffer, out.byteOffset, out.length)
  const n = out.length
  const le = littleEndian
  switch (name) {
    case 'F32':
      for (let i = 0; i < n; i++) bitsOut[i] = view.getUint32(4 * i, le)
      return true
    case 'F16':
      for (let i = 0; i < n; i++) bitsOut[i] = f16Bits(view.getUint16(2 * i, le))
      return true
    case 'BF16':
      for (let i = 0; i < n; i++) bitsOut[i] = view.getUint16(2 * i, le) << 16
      return true
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, le)
      return true
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i)
      return true
    case 'U8':
      for (let i = 0; i < n; i++) out[i] = src[i]!
      return true
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = src[i] !== 0 ? 1 : 0
      return true
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, le)
      return true
    case 'U16':
      for (let i = 0; i < n; i++) out[i] = view.getUint16(2 * i, le)
      return true
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, le)
      return true
    case 'U32':
      for (let i = 0; i < n; i++) out[i] = view.getUint32(4 * i, le)
      return true
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = bigToF32(view.getBigInt64(8 * i, le))
      return true
    case 'U64':
      for (let i = 0; i < n; i++) out[i] = bigToF32(view.getBigUint64(8 * i, le))
      return true
    case 'F8_E4M3':
      for (let i = 0; i < n; i++) out[i] = E4M3[src[i]!]!
      return true
    case 'F8_E5M2':
      for (let i = 0; i < n; i++) bitsOut[i] = E5M2_BITS[src[i]!]!
      return true
    default:
      return false
  }
}


