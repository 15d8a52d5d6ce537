//! Tensor values from tensor bytes: every GGUF and safetensors dtype decoded to f32 (or f16 /
//! bf16), bit for bit as llama.cpp's gguf-py 0.19 `gguf.quants.dequantize` decodes it (NaN
//! payloads aside where numpy itself is not deterministic), and the element types as numpy's
//! `astype` converts them. No Node types here: the binding and the CLI use it, and it is
//! tested on its own.
//!
//! How bit-exactness is kept (measured against gguf-py on random blocks of every type, with NaN,
//! infinite and subnormal scales): everything is f32, as numpy computes it; every product of a
//! scale, a sub-scale and a code is exact in f32, so the only rounding is the final `+ m` / `- m`
//! of the types with minimums; the association is gguf-py's (it decides the sign of zeros); f16
//! and bf16 are converted by bit arithmetic that keeps NaN payloads as numpy does.
//!
//! Byte order: block fields are always little-endian (gguf-py reads them so, and GGUF writers
//! store quantized blocks as bytes, unswapped, in big-endian files too); element types follow
//! the file's byte order.

mod blocks;
mod dtype;
mod fp4;
mod grids;
mod half;
mod iquants;
mod kquants;
mod legacy;
mod parallel;
mod plain;
mod stats;
mod ternary;

pub use dtype::Dtype;
pub use half::{bf16_to_f32, f16_to_f32, f32_to_bf16, f32_to_f16};
pub use parallel::{decode_parallel, Job};
pub use stats::{stats_parallel, Stats};

use blocks::block_fn;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// The dtype exists but nothing decodes it (Q8_1, Q8_K, Q1_0).
    #[error("no decoder for {dtype}: it is an intermediate type of ggml's dot products, or has no reference decoder")]
    Unsupported { dtype: &'static str },
    /// The element count is not a whole number of blocks.
    #[error("{elements} elements of {dtype} are not whole blocks of {block}")]
    PartialBlock {
        dtype: &'static str,
        elements: usize,
        block: usize,
    },
    /// The bytes do not hold exactly that many elements.
    #[error("{elements} elements of {dtype} take {expected} bytes, not {bytes}")]
    Length {
        dtype: &'static str,
        elements: usize,
        bytes: usize,
        expected: usize,
    },
    /// The job was cancelled (see `Job`).
    #[error("the decode was aborted")]
    Cancelled,
}

pub type Result<T> = std::result::Result<T, Error>;

/// Where decoded values go: f32 values, or f16 / bf16 bits (rounded to nearest even from the
/// f32 values, as numpy's `astype` and gguf-py's BF16 conversion round).
pub enum Out<'a> {
    F32(&'a mut [f32]),
    F16(&'a mut [u16]),
    BF16(&'a mut [u16]),
}

impl Out<'_> {
    pub fn len(&self) -> usize {
        match self {
            Out::F32(o) => o.len(),
            Out::F16(o) | Out::BF16(o) => o.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The bytes that `elements` values of `dtype` need, checking that the type has a decoder and
/// that they are whole blocks.
pub fn expected_bytes(dtype: Dtype, elements: usize) -> Result<usize> {
    if !dtype.decodable() {
        return Err(Error::Unsupported {
            dtype: dtype.name(),
        });
    }
    dtype.bytes_for(elements).ok_or(Error::PartialBlock {
        dtype: dtype.name(),
        elements,
        block: dtype.block_elements(),
    })
}

fn check(dtype: Dtype, src: &[u8], elements: usize) -> Result<()> {
    let expected = expected_bytes(dtype, elements)?;
    if src.len() != expected {
        return Err(Error::Length {
            dtype: dtype.name(),
            elements,
            bytes: src.len(),
            expected,
        });
    }
    Ok(())
}

/// Decodes every element of `src` into `out` (as many elements as `out` holds), on this thread.
pub fn decode(dtype: Dtype, src: &[u8], out: Out<'_>, little_endian: bool) -> Result<()> {
    check(dtype, src, out.len())?;
    decode_checked(dtype, src, out, little_endian);
    Ok(())
}

/// Elements decoded at a time on the way to f16 / bf16 output: a multiple of every block size.
const SCRATCH: usize = 4096;

/// `decode` without the checks (`src` holds exactly `out.len()` elements of a decodable type).
pub(crate) fn decode_checked(dtype: Dtype, src: &[u8], out: Out<'_>, little_endian: bool) {
    let (narrow, to_bits): (&mut [u16], fn(f32) -> u16) = match out {
        Out::F32(out) => return decode_f32(dtype, src, out, little_endian),
        Out::F16(out) => (out, f32_to_f16),
        Out::BF16(out) => (out, f32_to_bf16),
    };
    let per = dtype.block_bytes() * (SCRATCH / dtype.block_elements());
    let mut scratch = [0f32; SCRATCH];
    for (bytes, out) in src.chunks(per).zip(narrow.chunks_mut(SCRATCH)) {
        let values = &mut scratch[..out.len()];
        decode_f32(dtype, bytes, values, little_endian);
        for (o, &v) in out.iter_mut().zip(values.iter()) {
            *o = to_bits(v);
        }
    }
}

fn decode_f32(dtype: Dtype, src: &[u8], out: &mut [f32], le: bool) {
    if let Some(block) = block_fn(dtype) {
        let (bytes, elements) = (dtype.block_bytes(), dtype.block_elements());
        for (b, y) in src.chunks_exact(bytes).zip(out.chunks_exact_mut(elements)) {
            block(b, y);
        }
        return;
    }
    match dtype {
        Dtype::F32 => plain::f32s(src, out, le),
        Dtype::F16 => plain::f16s(src, out, le),
        Dtype::BF16 => plain::bf16s(src, out, le),
        Dtype::F64 => plain::f64s(src, out, le),
        Dtype::I8 => plain::i8s(src, out),
        Dtype::U8 => plain::u8s(src, out),
        Dtype::Bool => plain::bools(src, out),
        Dtype::I16 => plain::i16s(src, out, le),
        Dtype::U16 => plain::u16s(src, out, le),
        Dtype::I32 => plain::i32s(src, out, le),
        Dtype::U32 => plain::u32s(src, out, le),
        Dtype::I64 => plain::i64s(src, out, le),
        Dtype::U64 => plain::u64s(src, out, le),
        Dtype::F8E4M3 => plain::f8s(src, out, plain::f8_e4m3),
        Dtype::F8E5M2 => plain::f8s(src, out, plain::f8_e5m2),
        // Checked by `decode` / `decode_parallel`: every other type has a block decoder or none.
        _ => unreachable!("{} reached decode_f32 without a decoder", dtype.name()),
    }
}

#[cfg(test)]
mod tests;
