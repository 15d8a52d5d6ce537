//! Hand-checked blocks for each family, and the parallel path against the plain one. The full
//! cross-check against gguf-py (random blocks of every type) runs in the ava suite.

use super::*;

fn f32s(dtype: Dtype, src: &[u8], n: usize) -> Vec<f32> {
    let mut out = vec![0f32; n];
    decode(dtype, src, Out::F32(&mut out), true).unwrap();
    out
}

/// A deterministic byte stream (xorshift).
fn bytes(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[test]
fn q4_0_block() {
    let mut b = vec![0u8; 18];
    b[..2].copy_from_slice(&0x3c00u16.to_le_bytes()); // d = 1.0
    b[2] = 0x9f; // element 0: 15 - 8 = 7; element 16: 9 - 8 = 1
    let y = f32s(Dtype::Q4_0, &b, 32);
    assert_eq!(y[0], 7.0);
    assert_eq!(y[16], 1.0);
    assert_eq!(y[1], -8.0);
}

#[test]
fn q8_0_and_q4_1_blocks() {
    let mut b = vec![0u8; 34];
    b[..2].copy_from_slice(&0x4000u16.to_le_bytes()); // d = 2.0
    b[2] = 0xff; // -1
    b[33] = 127;
    let y = f32s(Dtype::Q8_0, &b, 32);
    assert_eq!((y[0], y[31], y[1]), (-2.0, 254.0, 0.0));

    let mut b = vec![0u8; 20];
    b[..2].copy_from_slice(&0x3800u16.to_le_bytes()); // d = 0.5
    b[2..4].copy_from_slice(&0xbc00u16.to_le_bytes()); // m = -1.0
    b[4] = 0x3f; // element 0: 15, element 16: 3
    let y = f32s(Dtype::Q4_1, &b, 32);
    assert_eq!((y[0], y[16], y[1]), (6.5, 0.5, -1.0));
}

#[test]
fn q3_k_keeps_gguf_py_sign_of_zero() {
    // Sub-scale 0 (raw 32) and negative codes: (d * 0) * -4 is -0.0 for d > 0.
    let mut b = vec![0u8; 110];
    b[108..110].copy_from_slice(&0x3c00u16.to_le_bytes());
    b[96..104].fill(0); // low nibbles 0
    b[104..108].fill(0b1010_1010); // high bits 2 → scale 32 - 32 = 0
    let y = f32s(Dtype::Q3K, &b, 256);
    assert!(y.iter().all(|v| *v == 0.0 && v.is_sign_negative()));
}

#[test]
fn mxfp4_scales_and_overflow() {
    let mut b = vec![0u8; 17];
    b[0] = 128; // 2^0 → d = 2^-1... halved table: values ×2 × 2^(128-128) = ×1 of the doubled values
    b[1] = 0x71; // element 0: kv[1] = 1 → 1.0; element 16: kv[7] = 12 → 12.0
    let y = f32s(Dtype::MXFP4, &b, 32);
    assert_eq!((y[0], y[16]), (1.0, 12.0));
    b[0] = 255;
    let y = f32s(Dtype::MXFP4, &b, 32);
    assert!(y[16].is_infinite());
}

#[test]
fn element_types_in_both_byte_orders() {
    let le = 1.5f32.to_le_bytes();
    let be = 1.5f32.to_be_bytes();
    let mut out = [0f32; 1];
    decode(Dtype::F32, &le, Out::F32(&mut out), true).unwrap();
    assert_eq!(out[0], 1.5);
    decode(Dtype::F32, &be, Out::F32(&mut out), false).unwrap();
    assert_eq!(out[0], 1.5);
    decode(
        Dtype::I64,
        &(-3i64).to_be_bytes(),
        Out::F32(&mut out),
        false,
    )
    .unwrap();
    assert_eq!(out[0], -3.0);
    decode(Dtype::F8E4M3, &[0x7e], Out::F32(&mut out), true).unwrap();
    assert_eq!(out[0], 448.0);
    decode(Dtype::Bool, &[2], Out::F32(&mut out), true).unwrap();
    assert_eq!(out[0], 1.0);
}

#[test]
fn errors_name_the_type_and_the_sizes() {
    let mut out = [0f32; 32];
    assert_eq!(
        decode(Dtype::Q8K, &[0; 292], Out::F32(&mut out), true),
        Err(Error::Unsupported { dtype: "Q8_K" })
    );
    assert_eq!(
        decode(Dtype::Q4_0, &[0; 17], Out::F32(&mut out), true),
        Err(Error::Length {
            dtype: "Q4_0",
            elements: 32,
            bytes: 17,
            expected: 18
        })
    );
    let mut odd = [0f32; 33];
    assert_eq!(
        decode(Dtype::Q4_0, &[0; 18], Out::F32(&mut odd), true),
        Err(Error::PartialBlock {
            dtype: "Q4_0",
            elements: 33,
            block: 32
        })
    );
}

#[test]
fn parallel_equals_one_thread_for_every_type_and_output() {
    let done = std::sync::atomic::AtomicU64::new(0);
    let job = Job {
        cancelled: &|| false,
        progress: &|n| {
            done.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        },
    };
    for dtype in Dtype::all().filter(|d| d.decodable()) {
        let elements = 3 * (1 << 18) + 4096; // four units, the last one short
        let src = bytes(dtype.bytes_for(elements).unwrap(), 7);
        let (mut one, mut many) = (vec![0f32; elements], vec![0f32; elements]);
        decode(dtype, &src, Out::F32(&mut one), true).unwrap();
        done.store(0, std::sync::atomic::Ordering::Relaxed);
        decode_parallel(dtype, &src, Out::F32(&mut many), true, 3, &job).unwrap();
        assert_eq!(
            done.load(std::sync::atomic::Ordering::Relaxed),
            elements as u64
        );
        let same = one
            .iter()
            .zip(&many)
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "{}", dtype.name());
        let (mut h1, mut h2) = (vec![0u16; elements], vec![0u16; elements]);
        decode(dtype, &src, Out::BF16(&mut h1), true).unwrap();
        decode_parallel(dtype, &src, Out::BF16(&mut h2), true, 2, &job).unwrap();
        assert_eq!(h1, h2, "{}", dtype.name());
        assert!(h1
            .iter()
            .zip(&one)
            .take(5000)
            .all(|(h, f)| *h == f32_to_bf16(*f)));
    }
}

#[test]
fn cancelled_jobs_stop() {
    let src = vec![0u8; Dtype::Q4_0.bytes_for(1 << 20).unwrap()];
    let mut out = vec![0f32; 1 << 20];
    let job = Job {
        cancelled: &|| true,
        progress: &|_| {},
    };
    assert_eq!(
        decode_parallel(Dtype::Q4_0, &src, Out::F32(&mut out), true, 2, &job),
        Err(Error::Cancelled)
    );
}
