//! Reading the fields of a block, and the table of which function decodes which block type.

use crate::dtype::Dtype;
use crate::half::f16_to_f32;
use crate::{fp4, iquants, kquants, legacy, ternary};

/// The f16 at byte `at` of a block, as f32 (always little-endian: gguf-py reads block fields in
/// host order, and GGUF writers store blocks as bytes, unswapped, in big-endian files too).
#[inline(always)]
pub(crate) fn h2f(b: &[u8], at: usize) -> f32 {
    f16_to_f32(u16::from_le_bytes([b[at], b[at + 1]]))
}

#[inline(always)]
pub(crate) fn le16(b: &[u8], at: usize) -> u32 {
    u32::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

#[inline(always)]
pub(crate) fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A block's bytes and its elements as fixed-size arrays (so loops over them need no bounds
/// checks), or None if they are not exactly `B` bytes and `E` elements (never, from the decode
/// loops).
#[inline(always)]
pub(crate) fn split<'a, const B: usize, const E: usize>(
    b: &'a [u8],
    y: &'a mut [f32],
) -> Option<(&'a [u8; B], &'a mut [f32; E])> {
    Some((b.first_chunk::<B>()?, y.first_chunk_mut::<E>()?))
}

/// Decodes one block (`b` holds exactly its bytes, `y` its elements).
pub(crate) type BlockFn = fn(&[u8], &mut [f32]);

/// The block decoder of a block type, or None for element types and undecodable ones.
pub(crate) fn block_fn(dtype: Dtype) -> Option<BlockFn> {
    Some(match dtype {
        Dtype::Q4_0 => legacy::q4_0,
        Dtype::Q4_1 => legacy::q4_1,
        Dtype::Q5_0 => legacy::q5_0,
        Dtype::Q5_1 => legacy::q5_1,
        Dtype::Q8_0 => legacy::q8_0,
        Dtype::IQ4NL => legacy::iq4_nl,
        Dtype::Q2K => kquants::q2_k,
        Dtype::Q3K => kquants::q3_k,
        Dtype::Q4K => kquants::q4_k,
        Dtype::Q5K => kquants::q5_k,
        Dtype::Q6K => kquants::q6_k,
        Dtype::TQ1_0 => ternary::tq1_0,
        Dtype::TQ2_0 => ternary::tq2_0,
        Dtype::MXFP4 => fp4::mxfp4,
        Dtype::NVFP4 => fp4::nvfp4,
        Dtype::IQ2XXS => iquants::iq2_xxs,
        Dtype::IQ2XS => iquants::iq2_xs,
        Dtype::IQ2S => iquants::iq2_s,
        Dtype::IQ3XXS => iquants::iq3_xxs,
        Dtype::IQ3S => iquants::iq3_s,
        Dtype::IQ1S => iquants::iq1_s,
        Dtype::IQ1M => iquants::iq1_m,
        Dtype::IQ4XS => iquants::iq4_xs,
        _ => return None,
    })
}
