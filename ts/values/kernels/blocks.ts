/** Reading the fields of a block: every field little-endian, as in the Rust kernels. */

import { f16 } from './half.js'

/** A block decoder: the block's bytes start at `b[o]`, its values go to `y[e]` onwards. */
export type BlockFn = (b: Uint8Array, o: number, y: Float32Array, e: number) => void

export const h2f = (b: Uint8Array, at: number): number => f16(b[at]! | (b[at + 1]! << 8))
export const le16 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8)
export const le32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0
/** A byte as int8. */
export const i8 = (v: number): number => (v << 24) >> 24
