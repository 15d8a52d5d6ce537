//! The K-quants: 256-element super-blocks of 16 or 8 sub-blocks, each with its own integer
//! scale (and minimum) under the block's f16 scale. gguf-py multiplies the f16 scale by the
//! sub-scale first, then by the code: `(d * sc) * q`. Every product is exact in f32, but the
//! order still decides the sign of a zero (Q3_K and Q6_K have signed sub-scales and codes:
//! `d * (sc * q)` flipped 5,540 of 76,800 zeros of random Q3_K blocks), so it is kept.
//!
//! Loops run over fixed-size arrays, 16 or 32 elements of one sub-block at a time, so the
//! compiler keeps them free of bounds checks and vectorises them.

use crate::blocks::{h2f, split};

pub(crate) fn q2_k(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<84, 256>(b, y) else {
        return;
    };
    let (d, dmin) = (h2f(b, 80), h2f(b, 82));
    // Element 128h + 32j + l: bits 2j of qs byte 32h + l, under scale byte (128h + 32j + l)/16.
    for h in 0..2 {
        let qs: &[u8; 32] = slice32(&b[16 + 32 * h..]);
        for j in 0..4 {
            for half in 0..2 {
                let sc = b[8 * h + 2 * j + half];
                let dl = d * f32::from(sc & 0xf);
                let ml = dmin * f32::from(sc >> 4);
                let out = &mut y[128 * h + 32 * j + 16 * half..][..16];
                for (l, o) in out.iter_mut().enumerate() {
                    *o = (dl * f32::from((qs[16 * half + l] >> (2 * j)) & 3)) - ml;
                }
            }
        }
    }
}

/// Q3_K's 16 six-bit scales, packed in 12 bytes: low nibbles in bytes 0-7, two high bits each
/// in bytes 8-11.
fn q3_k_scale(s: &[u8], i: usize) -> i8 {
    let lo = (s[i % 8] >> (4 * (i / 8))) & 0xf;
    let hi = (s[8 + i % 4] >> (2 * (i / 4))) & 3;
    (lo | hi << 4) as i8 - 32
}

pub(crate) fn q3_k(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<110, 256>(b, y) else {
        return;
    };
    let d = h2f(b, 108);
    let hmask: &[u8; 32] = slice32(&b[0..]);
    // Element 128h + 32j + l: bits 2j of qs byte 32h + l, minus 4 unless bit 4h + j of hmask
    // byte l is set.
    for h in 0..2 {
        let qs: &[u8; 32] = slice32(&b[32 + 32 * h..]);
        for j in 0..4 {
            let bit = 4 * h + j;
            for half in 0..2 {
                let dl = d * f32::from(q3_k_scale(&b[96..108], 8 * h + 2 * j + half));
                let out = &mut y[128 * h + 32 * j + 16 * half..][..16];
                for (i, o) in out.iter_mut().enumerate() {
                    let l = 16 * half + i;
                    let low = ((qs[l] >> (2 * j)) & 3) as i8;
                    let q = low - if (hmask[l] >> bit) & 1 == 0 { 4 } else { 0 };
                    *o = dl * f32::from(q);
                }
            }
        }
    }
}

/// Scale and minimum of sub-block `j` (0..8), six bits each, packed in 12 bytes (ggml's
/// get_scale_min_k4).
fn scale_min_k4(s: &[u8], j: usize) -> (u8, u8) {
    if j < 4 {
        (s[j] & 63, s[j + 4] & 63)
    } else {
        (
            (s[j + 4] & 0xf) | ((s[j - 4] >> 6) << 4),
            (s[j + 4] >> 4) | ((s[j] >> 6) << 4),
        )
    }
}

pub(crate) fn q4_k(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<144, 256>(b, y) else {
        return;
    };
    let (d, dmin) = (h2f(b, 0), h2f(b, 2));
    // Sub-block 2c takes the low nibbles of qs bytes 32c..32c+32, sub-block 2c+1 the high ones.
    for sub in 0..8 {
        let (sc, mn) = scale_min_k4(&b[4..16], sub);
        let ds = d * f32::from(sc);
        let ms = dmin * f32::from(mn);
        let qs: &[u8; 32] = slice32(&b[16 + 32 * (sub / 2)..]);
        let shift = 4 * (sub % 2);
        let out = &mut y[32 * sub..][..32];
        for (o, &q) in out.iter_mut().zip(qs) {
            *o = (ds * f32::from((q >> shift) & 0xf)) - ms;
        }
    }
}

pub(crate) fn q5_k(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<176, 256>(b, y) else {
        return;
    };
    let (d, dmin) = (h2f(b, 0), h2f(b, 2));
    let qh: &[u8; 32] = slice32(&b[16..]);
    for sub in 0..8 {
        let (sc, mn) = scale_min_k4(&b[4..16], sub);
        let ds = d * f32::from(sc);
        let ms = dmin * f32::from(mn);
        let qs: &[u8; 32] = slice32(&b[48 + 32 * (sub / 2)..]);
        let shift = 4 * (sub % 2);
        let out = &mut y[32 * sub..][..32];
        for l in 0..32 {
            let code = ((qs[l] >> shift) & 0xf) | (((qh[l] >> sub) & 1) << 4);
            out[l] = (ds * f32::from(code)) - ms;
        }
    }
}

pub(crate) fn q6_k(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<210, 256>(b, y) else {
        return;
    };
    let d = h2f(b, 208);
    // Element 128h + 32j + l: low nibble (j < 2) or high nibble (j ≥ 2) of ql byte
    // 64h + 32(j % 2) + l, with bits 2j of qh byte 32h + l on top, minus 32.
    for h in 0..2 {
        let qh: &[u8; 32] = slice32(&b[128 + 32 * h..]);
        for j in 0..4 {
            let ql: &[u8; 32] = slice32(&b[64 * h + 32 * (j % 2)..]);
            let nibble = 4 * (j / 2);
            for half in 0..2 {
                let ds = d * f32::from(b[192 + 8 * h + 2 * j + half] as i8);
                let out = &mut y[128 * h + 32 * j + 16 * half..][..16];
                for (i, o) in out.iter_mut().enumerate() {
                    let l = 16 * half + i;
                    let q =
                        (((ql[l] >> nibble) & 0xf) | (((qh[l] >> (2 * j)) & 3) << 4)) as i8 - 32;
                    *o = ds * f32::from(q);
                }
            }
        }
    }
}

/// The 32 bytes at the start of `b` (callers pass in-block offsets, always long enough).
#[inline(always)]
fn slice32(b: &[u8]) -> &[u8; 32] {
    match b.first_chunk::<32>() {
        Some(chunk) => chunk,
        None => &[0; 32],
    }
}
