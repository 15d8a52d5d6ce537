//! Element types (one element per unit, no blocks), in either byte order: the floats, the
//! integers and booleans of GGUF and safetensors, converted as numpy's `astype(np.float32)`
//! converts them (integers and f64 round to nearest even; NaN payloads are kept; a boolean is
//! 1 for any non-zero byte), and the 8-bit floats of safetensors as ml_dtypes does.

use crate::half::{bf16_to_f32, f16_to_f32};

/// Reads `N`-byte units in the given byte order.
#[inline(always)]
fn units<const N: usize>(src: &[u8], little_endian: bool) -> impl Iterator<Item = [u8; N]> + '_ {
    src.chunks_exact(N).map(move |c| {
        let mut unit = [0u8; N];
        unit.copy_from_slice(c);
        if !little_endian {
            unit.reverse();
        }
        unit
    })
}

fn fill<const N: usize>(
    src: &[u8],
    out: &mut [f32],
    little_endian: bool,
    f: impl Fn([u8; N]) -> f32,
) {
    for (o, u) in out.iter_mut().zip(units::<N>(src, little_endian)) {
        *o = f(u);
    }
}

pub(crate) fn f32s(src: &[u8], out: &mut [f32], le: bool) {
    fill(src, out, le, |u| f32::from_bits(u32::from_le_bytes(u)));
}

pub(crate) fn f16s(src: &[u8], out: &mut [f32], le: bool) {
    fill(src, out, le, |u| f16_to_f32(u16::from_le_bytes(u)));
}

pub(crate) fn bf16s(src: &[u8], out: &mut [f32], le: bool) {
    fill(src, out, le, |u| bf16_to_f32(u16::from_le_bytes(u)));
}

pub(crate) fn f64s(src: &[u8], out: &mut [f32], le: bool) {
    fill(src, out, le, |u| f64::from_le_bytes(u) as f32);
}

pub(crate) fn i8s(src: &[u8], out: &mut [f32]) {
    for (o, &b) in out.iter_mut().zip(src) {
        *o = f32::from(b as i8);
    }
}

pub(crate) fn u8s(src: &[u8], out: &mut [f32]) {
    for (o, &b) in out.iter_mut().zip(src) {
        *o = f32::from(b);
    }
}

pub(crate) fn bools(src: &[u8], out: &mut [f32]) {
    for (o, &b) in out.iter_mut().zip(src) {
        *o = if b != 0 { 1.0 } else { 0.0 };
    }
}

pub(crate) fn i16s(src: &[u8], out: &mut [f32], le: bool) {
    fill(src, out, le, |u| f32::from(i16::from_le_bytes(u)));
}

pub(crate) fn u16s(src: &[u8], out: &mut [f32], le: bool) {
    fill(src, out, le, |u| f32::from(u16::from_le_bytes(u)));
}

pub(crate) fn i32s(src: &[u8], out: &mut [f32], le: bool) {
    fill(src, out, le, |u| i32::from_le_bytes(u) as f32);
}

pub(crate) fn u32s(src: &[u8], out: &mut [f32], le: bool) {
    fill(src, out, le, |u| u32::from_le_bytes(u) as f32);
}

pub(crate) fn i64s(src: &[u8], out: &mut [f32], le: bool) {
    fill(src, out, le, |u| i64::from_le_bytes(u) as f32);
}

pub(crate) fn u64s(src: &[u8], out: &mut [f32], le: bool) {
    fill(src, out, le, |u| u64::from_le_bytes(u) as f32);
}

/// float8 e4m3fn (torch.float8_e4m3fn, ml_dtypes.float8_e4m3fn): bias 7, no infinities, NaN
/// only at S.1111.111, subnormals at exponent 0. Every value is exact in f32.
pub(crate) fn f8_e4m3(b: u8) -> f32 {
    let sign = if b & 0x80 != 0 { -1.0f32 } else { 1.0 };
    let exp = i32::from((b >> 3) & 0xf);
    let man = f32::from(b & 7);
    if exp == 0xf && b & 7 == 7 {
        return f32::from_bits(if b & 0x80 != 0 {
            0xffc0_0000
        } else {
            0x7fc0_0000
        });
    }
    if exp == 0 {
        return sign * man * f32::from_bits(0x3b00_0000); // man × 2^-9
    }
    sign * (1.0 + man / 8.0) * pow2(exp - 7)
}

/// float8 e5m2 (torch.float8_e5m2): the top byte of an f16, so exactly an f16, except that a
/// NaN comes out as the quiet NaN of its sign (as ml_dtypes converts it).
pub(crate) fn f8_e5m2(b: u8) -> f32 {
    if b & 0x7c == 0x7c && b & 3 != 0 {
        return f32::from_bits(if b & 0x80 != 0 {
            0xffc0_0000
        } else {
            0x7fc0_0000
        });
    }
    f16_to_f32(u16::from(b) << 8)
}

fn pow2(e: i32) -> f32 {
    f32::from_bits(((e + 127) as u32) << 23)
}

pub(crate) fn f8s(src: &[u8], out: &mut [f32], decode: fn(u8) -> f32) {
    for (o, &b) in out.iter_mut().zip(src) {
        *o = decode(b);
    }
}
