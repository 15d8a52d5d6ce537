//! The 4-bit float types: E2M1 values (stored doubled, as integers) under an 8-bit scale per 32
//! (MXFP4: a power of two, E8M0) or per 16 elements (NVFP4: an unsigned E4M3 float). Scales and
//! products are exact; MXFP4's largest scales overflow to ±infinity, as gguf-py's do.

use crate::blocks::split;

/// E2M1 values ×2: the index's top bit is the sign (so index 8, "−0", is +0.0).
pub(crate) const KVALUES_FP4: [i8; 16] = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12];

/// Half of 2^(E−127) (the values are doubled): 2^(E−128), subnormal for E < 2. 0xFF is 2^127,
/// not NaN, in gguf-py and ggml alike.
fn e8m0_half(e: u8) -> f32 {
    f32::from_bits(match e {
        0 => 0x0020_0000,
        1 => 0x0040_0000,
        _ => u32::from(e - 1) << 23,
    })
}

/// Half of an unsigned E4M3 scale (bit 7 ignored; 0x00 and 0x7F are zero, never NaN).
fn ue4m3_half(x: u8) -> f32 {
    if x == 0 || x == 0x7f {
        return 0.0;
    }
    let (exp, man) = (u32::from((x >> 3) & 0xf), u32::from(x & 7));
    if exp == 0 {
        return (man as f32) * f32::from_bits(0x3a80_0000); // man × 2^-10
    }
    f32::from_bits((exp + 119) << 23 | man << 20)
}

pub(crate) fn mxfp4(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<17, 32>(b, y) else {
        return;
    };
    let d = e8m0_half(b[0]);
    for i in 0..16 {
        let q = b[1 + i];
        y[i] = d * f32::from(KVALUES_FP4[usize::from(q & 0xf)]);
        y[i + 16] = d * f32::from(KVALUES_FP4[usize::from(q >> 4)]);
    }
}

pub(crate) fn nvfp4(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<36, 64>(b, y) else {
        return;
    };
    for sub in 0..4 {
        let d = ue4m3_half(b[sub]);
        for i in 0..8 {
            let q = b[4 + 8 * sub + i];
            y[16 * sub + i] = d * f32::from(KVALUES_FP4[usize::from(q & 0xf)]);
            y[16 * sub + i + 8] = d * f32::from(KVALUES_FP4[usize::from(q >> 4)]);
        }
    }
}
