//! The 16-bit float conversions, bit for bit as numpy does them. Not the `half` crate nor F16C:
//! both quiet a signalling NaN (f16 0x7C01 became 0x7FC02000), where numpy keeps it
//! (0x7F802000), and gguf-py's outputs are numpy's.

/// f16 bits to f32, exactly, NaN payloads included (numpy's `astype(np.float32)`).
#[inline(always)]
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h & 0x8000) << 16;
    let exp = u32::from(h >> 10) & 0x1f;
    let man = u32::from(h & 0x3ff);
    let bits = if exp == 0x1f {
        sign | 0x7f80_0000 | man << 13
    } else if exp != 0 {
        sign | (exp + 112) << 23 | man << 13
    } else {
        // Zero or subnormal: man × 2^-24 is exact in f32 (and a normal f32 when man ≠ 0).
        let magnitude = (man as f32) * f32::from_bits(0x3380_0000);
        sign | magnitude.to_bits()
    };
    f32::from_bits(bits)
}

/// bf16 bits to f32: the top half of the f32, NaN payloads included.
#[inline(always)]
pub fn bf16_to_f32(b: u16) -> f32 {
    f32::from_bits(u32::from(b) << 16)
}

/// f32 to f16 bits, rounding to nearest even, as numpy's `astype(np.float16)`: overflow is
/// infinity; a NaN keeps its sign and the top of its payload, and stays a NaN (not quieted).
pub fn f32_to_f16(x: f32) -> u16 {
    let f = x.to_bits();
    let sign = ((f >> 16) & 0x8000) as u16;
    let exp = f & 0x7f80_0000;
    let sig = f & 0x007f_ffff;
    if exp >= 0x4780_0000 {
        // |x| ≥ 65536, infinity or NaN.
        if exp == 0x7f80_0000 && sig != 0 {
            let nan = 0x7c00 + (sig >> 13) as u16;
            return sign | if nan == 0x7c00 { nan + 1 } else { nan };
        }
        return sign | 0x7c00;
    }
    if exp <= 0x3800_0000 {
        // Below 2^-14: a subnormal f16 or zero.
        if exp < 0x3300_0000 {
            return sign;
        }
        let shift = 126 - (exp >> 23);
        let sig = sig | 0x0080_0000;
        return sign | round_shift(sig, shift) as u16;
    }
    // Normal: rebias the exponent, keep 10 mantissa bits, round the 13 dropped ones (a carry
    // moves into the exponent, up to infinity, as it should).
    let h = ((exp - 0x3800_0000) >> 13) | (sig >> 13);
    sign | round_dropped(h, sig & 0x1fff, 0x1000) as u16
}

/// `value >> shift`, rounded to nearest even.
fn round_shift(value: u32, shift: u32) -> u32 {
    round_dropped(value >> shift, value & ((1 << shift) - 1), 1 << (shift - 1))
}

fn round_dropped(kept: u32, dropped: u32, half: u32) -> u32 {
    if dropped > half || (dropped == half && kept & 1 == 1) {
        kept + 1
    } else {
        kept
    }
}

/// f32 to bf16 bits, rounding to nearest even; a NaN is made quiet and keeps its sign and the
/// top of its payload (gguf-py's BF16 conversion).
pub fn f32_to_bf16(x: f32) -> u16 {
    let f = x.to_bits();
    if f & 0x7fff_ffff > 0x7f80_0000 {
        return ((f >> 16) | 0x0040) as u16;
    }
    ((f + 0x7fff + ((f >> 16) & 1)) >> 16) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_round_trips_every_pattern() {
        for h in 0..=u16::MAX {
            let back = f32_to_f16(f16_to_f32(h));
            assert_eq!(back, h, "{h:#06x}");
        }
        assert_eq!(
            f16_to_f32(0x7c01).to_bits(),
            0x7f80_2000,
            "signalling NaN kept"
        );
        assert_eq!(f16_to_f32(0x0001), f32::from_bits(0x3380_0000), "2^-24");
    }

    #[test]
    fn f16_rounding_matches_numpy() {
        // Values and numpy 2.4's astype(np.float16) of them.
        for (f, h) in [
            (0x477f_f000u32, 0x7c00u16),
            (0x477f_e000, 0x7bff),
            (0x477f_efff, 0x7bff),
            (0x3300_0000, 0x0000),
            (0x3300_0001, 0x0001),
            (0x387f_c000, 0x03ff),
            (0x7f80_0001, 0x7c01),
            (0x7f80_2000, 0x7c01),
            (0x7fc0_0000, 0x7e00),
            (0xffc0_0001, 0xfe00),
            (0x7fff_ffff, 0x7fff),
            (0x7fa0_0000, 0x7d00),
        ] {
            assert_eq!(f32_to_f16(f32::from_bits(f)), h, "{f:#010x}");
        }
    }

    #[test]
    fn bf16_rounds_to_nearest_even_and_quiets_nan() {
        assert_eq!(f32_to_bf16(f32::from_bits(0x3f80_8000)), 0x3f80);
        assert_eq!(f32_to_bf16(f32::from_bits(0x3f81_8000)), 0x3f82);
        assert_eq!(f32_to_bf16(f32::from_bits(0x7f7f_ffff)), 0x7f80);
        assert_eq!(f32_to_bf16(f32::from_bits(0x7f80_0001)), 0x7fc0);
        assert_eq!(f32_to_bf16(f32::from_bits(0xff81_0000)), 0xffc1);
        assert_eq!(bf16_to_f32(0x7f81).to_bits(), 0x7f81_0000);
    }
}
