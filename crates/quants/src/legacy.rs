//! The 32-element block types: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and IQ4_NL. One f16 scale (and an
//! f16 minimum for the _1 types) per block; element `e` of a 4-bit type is the low nibble of
//! byte `e % 16` for e < 16 and its high nibble after. Every product is exact in f32, so the
//! only rounding is the `+ m` of the _1 types, done as gguf-py does it: `(d * q) + m`.

use crate::blocks::{h2f, le32, split};

/// IQ4_NL's (and IQ4_XS's) non-linear 4-bit values.
pub(crate) const KVALUES_IQ4NL: [i8; 16] = [
    -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
];

/// The 16 quant bytes at `at` of a block.
#[inline(always)]
fn quants16<const B: usize>(b: &[u8; B], at: usize) -> &[u8; 16] {
    b[at..].first_chunk::<16>().unwrap_or(&[0; 16])
}

pub(crate) fn q4_0(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<18, 32>(b, y) else {
        return;
    };
    let d = h2f(b, 0);
    let qs = quants16(b, 2);
    for i in 0..16 {
        y[i] = d * f32::from((qs[i] & 0xf) as i8 - 8);
        y[i + 16] = d * f32::from((qs[i] >> 4) as i8 - 8);
    }
}

pub(crate) fn q4_1(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<20, 32>(b, y) else {
        return;
    };
    let (d, m) = (h2f(b, 0), h2f(b, 2));
    let qs = quants16(b, 4);
    for i in 0..16 {
        y[i] = (d * f32::from(qs[i] & 0xf)) + m;
        y[i + 16] = (d * f32::from(qs[i] >> 4)) + m;
    }
}

pub(crate) fn q5_0(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<22, 32>(b, y) else {
        return;
    };
    let d = h2f(b, 0);
    let qh = le32(b, 2);
    let qs = quants16(b, 6);
    for i in 0..16 {
        let low = (qs[i] & 0xf) | (((qh >> i) & 1) << 4) as u8;
        let high = (qs[i] >> 4) | (((qh >> (i + 16)) & 1) << 4) as u8;
        y[i] = d * f32::from(low as i8 - 16);
        y[i + 16] = d * f32::from(high as i8 - 16);
    }
}

pub(crate) fn q5_1(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<24, 32>(b, y) else {
        return;
    };
    let (d, m) = (h2f(b, 0), h2f(b, 2));
    let qh = le32(b, 4);
    let qs = quants16(b, 8);
    for i in 0..16 {
        let low = (qs[i] & 0xf) | (((qh >> i) & 1) << 4) as u8;
        let high = (qs[i] >> 4) | (((qh >> (i + 16)) & 1) << 4) as u8;
        y[i] = (d * f32::from(low)) + m;
        y[i + 16] = (d * f32::from(high)) + m;
    }
}

pub(crate) fn q8_0(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<34, 32>(b, y) else {
        return;
    };
    let d = h2f(b, 0);
    for i in 0..32 {
        y[i] = f32::from(b[2 + i] as i8) * d;
    }
}

pub(crate) fn iq4_nl(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<18, 32>(b, y) else {
        return;
    };
    let d = h2f(b, 0);
    let qs = quants16(b, 2);
    for i in 0..16 {
        y[i] = d * f32::from(KVALUES_IQ4NL[usize::from(qs[i] & 0xf)]);
        y[i + 16] = d * f32::from(KVALUES_IQ4NL[usize::from(qs[i] >> 4)]);
    }
}
