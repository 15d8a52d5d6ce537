//! The I-quants: 8 or 4 elements at a time looked up in a codebook (grids.rs) by an index of
//! 8 to 11 bits, signs from a bitmask (or, for the 2- and 3-bit types, from 7 bits that
//! `KSIGNS` completes with a parity bit), under per-sub-block scales. IQ4_XS is IQ4_NL's values
//! under K-quant-style 6-bit scales. As gguf-py does it: `(db * grid) * sign`, where db is the
//! f16 scale times the sub-block scale.

use crate::blocks::{h2f, le16, le32, split};
use crate::grids::{IQ1S_GRID, IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID, IQ3S_GRID, IQ3XXS_GRID};
use crate::half::f16_to_f32;
use crate::legacy::KVALUES_IQ4NL;

/// 7 sign bits and an 8th that makes the count of set bits even.
const KSIGNS: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        table[i] = i as u8 | (((i as u8).count_ones() as u8 & 1) << 7);
        i += 1;
    }
    table
};

#[inline(always)]
fn sign(bits: u8, i: usize) -> f32 {
    if (bits >> i) & 1 == 1 {
        -1.0
    } else {
        1.0
    }
}

/// Eight elements from a codebook row: `(db * g) * sign`.
#[inline(always)]
fn eight<T: Copy + Into<f32>>(y: &mut [f32], row: &[T; 8], db: f32, signs: u8) {
    let Some(y) = y.first_chunk_mut::<8>() else {
        return;
    };
    for i in 0..8 {
        y[i] = (db * row[i].into()) * sign(signs, i);
    }
}

pub(crate) fn iq2_xxs(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<66, 256>(b, y) else {
        return;
    };
    let d = h2f(b, 0);
    for ib in 0..8 {
        let at = 2 + 8 * ib;
        let aux = le32(b, at + 4);
        let db = (d * (0.5 + (aux >> 28) as f32)) * 0.25;
        for k in 0..4 {
            let row = &IQ2XXS_GRID[usize::from(b[at + k])];
            let signs = KSIGNS[((aux >> (7 * k)) & 127) as usize];
            eight(&mut y[32 * ib + 8 * k..], row, db, signs);
        }
    }
}

/// The 4-bit scale of group `grp` (8 elements) for the 2-bit types: one per 16 elements,
/// low nibble first.
#[inline(always)]
fn scale_2bit(scales: &[u8], grp: usize) -> f32 {
    f32::from((scales[grp / 4] >> (4 * ((grp / 2) % 2))) & 0xf)
}

pub(crate) fn iq2_xs(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<74, 256>(b, y) else {
        return;
    };
    let d = h2f(b, 0);
    for grp in 0..32 {
        let w = le16(b, 2 + 2 * grp);
        let db = (d * (0.5 + scale_2bit(&b[66..74], grp))) * 0.25;
        eight(
            &mut y[8 * grp..],
            &IQ2XS_GRID[(w & 511) as usize],
            db,
            KSIGNS[(w >> 9) as usize],
        );
    }
}

pub(crate) fn iq2_s(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<82, 256>(b, y) else {
        return;
    };
    let d = h2f(b, 0);
    for grp in 0..32 {
        let high = (b[66 + grp / 4] >> (2 * (grp % 4))) & 3;
        let index = usize::from(b[2 + grp]) | usize::from(high) << 8;
        let db = (d * (0.5 + scale_2bit(&b[74..82], grp))) * 0.25;
        eight(&mut y[8 * grp..], &IQ2S_GRID[index], db, b[34 + grp]);
    }
}

pub(crate) fn iq3_xxs(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<98, 256>(b, y) else {
        return;
    };
    let d = h2f(b, 0);
    for ib in 0..8 {
        let aux = le32(b, 66 + 4 * ib);
        let db = (d * (0.5 + (aux >> 28) as f32)) * 0.5;
        for k in 0..4 {
            let signs = KSIGNS[((aux >> (7 * k)) & 127) as usize];
            let base = 32 * ib + 8 * k;
            for half in 0..2 {
                let row = &IQ3XXS_GRID[usize::from(b[2 + base / 4 + half])];
                for i in 0..4 {
                    y[base + 4 * half + i] = (db * f32::from(row[i])) * sign(signs, 4 * half + i);
                }
            }
        }
    }
}

pub(crate) fn iq3_s(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<110, 256>(b, y) else {
        return;
    };
    let d = h2f(b, 0);
    for ib in 0..8 {
        let sc = (b[106 + ib / 2] >> (4 * (ib % 2))) & 0xf;
        let db = d * f32::from(1 + 2 * sc);
        for gi in 8 * ib..8 * ib + 8 {
            let index = usize::from(b[2 + gi]) | usize::from((b[66 + gi / 8] >> (gi % 8)) & 1) << 8;
            let row = &IQ3S_GRID[index];
            let signs = b[74 + gi / 2] >> (4 * (gi % 2));
            for i in 0..4 {
                y[4 * gi + i] = (db * f32::from(row[i])) * sign(signs, i);
            }
        }
    }
}

/// IQ1's two-level value: the grid's −1/0/+1 moved by ±1/8.
#[inline(always)]
fn iq1_eight(y: &mut [f32], row: &[i8; 8], dl: f32, delta: f32) {
    let Some(y) = y.first_chunk_mut::<8>() else {
        return;
    };
    for i in 0..8 {
        y[i] = dl * (f32::from(row[i]) + delta);
    }
}

pub(crate) fn iq1_s(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<50, 256>(b, y) else {
        return;
    };
    let d = h2f(b, 0);
    for ib in 0..8 {
        let h = le16(b, 34 + 2 * ib);
        let dl = d * (2 * ((h >> 12) & 7) + 1) as f32;
        let delta = if h & 0x8000 != 0 { -0.125 } else { 0.125 };
        for k in 0..4 {
            let grp = 4 * ib + k;
            let index = usize::from(b[2 + grp]) | (((h >> (3 * k)) & 7) as usize) << 8;
            iq1_eight(&mut y[8 * grp..], &IQ1S_GRID[index], dl, delta);
        }
    }
}

pub(crate) fn iq1_m(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<56, 256>(b, y) else {
        return;
    };
    let s = [le16(b, 48), le16(b, 50), le16(b, 52), le16(b, 54)];
    // The f16 super-scale is spread over the top nibbles of the four scale words.
    let d = f16_to_f32(
        (s[0] >> 12 | (s[1] >> 12) << 4 | (s[2] >> 12) << 8 | (s[3] >> 12) << 12) as u16,
    );
    for grp in 0..32 {
        let nib = (b[32 + grp / 2] >> (4 * (grp % 2))) & 0xf;
        let index = usize::from(b[grp]) | usize::from(nib & 7) << 8;
        let delta = if nib & 8 != 0 { -0.125 } else { 0.125 };
        let t = grp / 2;
        let s3 = (s[t / 4] >> (3 * (t % 4))) & 7;
        let dl = d * (2 * s3 + 1) as f32;
        iq1_eight(&mut y[8 * grp..], &IQ1S_GRID[index], dl, delta);
    }
}

pub(crate) fn iq4_xs(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<136, 256>(b, y) else {
        return;
    };
    let d = h2f(b, 0);
    let high = le16(b, 2);
    for ib in 0..8 {
        let low = (b[4 + ib / 2] >> (4 * (ib % 2))) & 0xf;
        let ls = (low | (((high >> (2 * ib)) & 3) as u8) << 4) as i8 - 32;
        let dl = d * f32::from(ls);
        let qs = b[8 + 16 * ib..].first_chunk::<16>().unwrap_or(&[0; 16]);
        let out = y[32 * ib..].first_chunk_mut::<32>();
        let Some(out) = out else { return };
        for i in 0..16 {
            out[i] = dl * f32::from(KVALUES_IQ4NL[usize::from(qs[i] & 0xf)]);
            out[i + 16] = dl * f32::from(KVALUES_IQ4NL[usize::from(qs[i] >> 4)]);
        }
    }
}
