//! The ternary types of BitNet-style models: TQ1_0 packs five trits a byte (base 3, read back
//! by multiplying by powers of 3 in wrapping 8-bit arithmetic), TQ2_0 four 2-bit codes a byte.
//! Values are -1, 0 or +1 (TQ2_0's fourth code is +2, unclamped, as gguf-py decodes it).

use crate::blocks::{h2f, split};

/// The trit at power `p` of a byte holding five (or four) of them, as −1, 0 or +1.
#[inline(always)]
fn trit(byte: u8, p: usize) -> f32 {
    const POW3: [u8; 5] = [1, 3, 9, 27, 81];
    let v = byte.wrapping_mul(POW3[p]);
    f32::from(((u16::from(v) * 3) >> 8) as i8 - 1)
}

pub(crate) fn tq1_0(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<54, 256>(b, y) else {
        return;
    };
    let d = h2f(b, 52);
    // Elements 0-159: five trits of bytes 0-31 (element 32p + i is power p of byte i); 160-239:
    // five of bytes 32-47; 240-255: four of bytes 48-51.
    for p in 0..5 {
        for i in 0..32 {
            y[32 * p + i] = d * trit(b[i], p);
        }
        for i in 0..16 {
            y[160 + 16 * p + i] = d * trit(b[32 + i], p);
        }
    }
    for p in 0..4 {
        for i in 0..4 {
            y[240 + 4 * p + i] = d * trit(b[48 + i], p);
        }
    }
}

pub(crate) fn tq2_0(b: &[u8], y: &mut [f32]) {
    let Some((b, y)) = split::<66, 256>(b, y) else {
        return;
    };
    let d = h2f(b, 64);
    for (e, o) in y[..256].iter_mut().enumerate() {
        let (h, r) = (e / 128, e % 128);
        let code = (b[32 * h + r % 32] >> (2 * (r / 32))) & 3;
        *o = d * f32::from(code as i8 - 1);
    }
}
