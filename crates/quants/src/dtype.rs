//! Every dtype a GGUF or safetensors tensor can have: its names, its ggml id, and how many bytes
//! hold how many elements.

/// A tensor element type. GGUF types carry their ggml id; the safetensors-only ones (unsigned
/// integers, booleans, 8-bit floats) have none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dtype {
    F32,
    F16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
    Q8_1,
    Q2K,
    Q3K,
    Q4K,
    Q5K,
    Q6K,
    Q8K,
    IQ2XXS,
    IQ2XS,
    IQ3XXS,
    IQ1S,
    IQ4NL,
    IQ3S,
    IQ2S,
    IQ4XS,
    I8,
    I16,
    I32,
    I64,
    F64,
    IQ1M,
    BF16,
    TQ1_0,
    TQ2_0,
    MXFP4,
    NVFP4,
    Q1_0,
    U8,
    U16,
    U32,
    U64,
    Bool,
    F8E4M3,
    F8E5M2,
}

/// (dtype, ggml id, name, elements per block, bytes per block)
const TABLE: &[(Dtype, Option<u32>, &str, usize, usize)] = &[
    (Dtype::F32, Some(0), "F32", 1, 4),
    (Dtype::F16, Some(1), "F16", 1, 2),
    (Dtype::Q4_0, Some(2), "Q4_0", 32, 18),
    (Dtype::Q4_1, Some(3), "Q4_1", 32, 20),
    (Dtype::Q5_0, Some(6), "Q5_0", 32, 22),
    (Dtype::Q5_1, Some(7), "Q5_1", 32, 24),
    (Dtype::Q8_0, Some(8), "Q8_0", 32, 34),
    (Dtype::Q8_1, Some(9), "Q8_1", 32, 40),
    (Dtype::Q2K, Some(10), "Q2_K", 256, 84),
    (Dtype::Q3K, Some(11), "Q3_K", 256, 110),
    (Dtype::Q4K, Some(12), "Q4_K", 256, 144),
    (Dtype::Q5K, Some(13), "Q5_K", 256, 176),
    (Dtype::Q6K, Some(14), "Q6_K", 256, 210),
    (Dtype::Q8K, Some(15), "Q8_K", 256, 292),
    (Dtype::IQ2XXS, Some(16), "IQ2_XXS", 256, 66),
    (Dtype::IQ2XS, Some(17), "IQ2_XS", 256, 74),
    (Dtype::IQ3XXS, Some(18), "IQ3_XXS", 256, 98),
    (Dtype::IQ1S, Some(19), "IQ1_S", 256, 50),
    (Dtype::IQ4NL, Some(20), "IQ4_NL", 32, 18),
    (Dtype::IQ3S, Some(21), "IQ3_S", 256, 110),
    (Dtype::IQ2S, Some(22), "IQ2_S", 256, 82),
    (Dtype::IQ4XS, Some(23), "IQ4_XS", 256, 136),
    (Dtype::I8, Some(24), "I8", 1, 1),
    (Dtype::I16, Some(25), "I16", 1, 2),
    (Dtype::I32, Some(26), "I32", 1, 4),
    (Dtype::I64, Some(27), "I64", 1, 8),
    (Dtype::F64, Some(28), "F64", 1, 8),
    (Dtype::IQ1M, Some(29), "IQ1_M", 256, 56),
    (Dtype::BF16, Some(30), "BF16", 1, 2),
    (Dtype::TQ1_0, Some(34), "TQ1_0", 256, 54),
    (Dtype::TQ2_0, Some(35), "TQ2_0", 256, 66),
    (Dtype::MXFP4, Some(39), "MXFP4", 32, 17),
    (Dtype::NVFP4, Some(40), "NVFP4", 64, 36),
    (Dtype::Q1_0, Some(41), "Q1_0", 128, 18),
    (Dtype::U8, None, "U8", 1, 1),
    (Dtype::U16, None, "U16", 1, 2),
    (Dtype::U32, None, "U32", 1, 4),
    (Dtype::U64, None, "U64", 1, 8),
    (Dtype::Bool, None, "BOOL", 1, 1),
    (Dtype::F8E4M3, None, "F8_E4M3", 1, 1),
    (Dtype::F8E5M2, None, "F8_E5M2", 1, 1),
];

fn row(dtype: Dtype) -> &'static (Dtype, Option<u32>, &'static str, usize, usize) {
    match TABLE.iter().find(|r| r.0 == dtype) {
        Some(r) => r,
        // Every variant has a row (a unit test walks them all).
        None => unreachable!("dtype without a table row"),
    }
}

impl Dtype {
    /// Every dtype, in ggml id order and then the safetensors-only ones.
    pub fn all() -> impl Iterator<Item = Dtype> {
        TABLE.iter().map(|r| r.0)
    }

    /// The type a GGUF tensor info names by its ggml id.
    pub fn from_ggml_id(id: u32) -> Option<Dtype> {
        TABLE.iter().find(|r| r.1 == Some(id)).map(|r| r.0)
    }

    /// By name as GGUF tools and safetensors headers spell it (`Q4_K`, `IQ4_XS`, `BF16`,
    /// `F8_E4M3`, `BOOL`), case-insensitively.
    pub fn from_name(name: &str) -> Option<Dtype> {
        TABLE
            .iter()
            .find(|r| r.2.eq_ignore_ascii_case(name))
            .map(|r| r.0)
    }

    pub fn name(self) -> &'static str {
        row(self).2
    }

    pub fn ggml_id(self) -> Option<u32> {
        row(self).1
    }

    /// Elements per block (1 for plain element types).
    pub fn block_elements(self) -> usize {
        row(self).3
    }

    /// Bytes per block (the element size for plain types).
    pub fn block_bytes(self) -> usize {
        row(self).4
    }

    /// A type whose elements come in blocks (the quantized ones): byte order never applies.
    pub fn is_block(self) -> bool {
        self.block_elements() > 1
    }

    /// Whether a decoder exists: every type gguf-py 0.19 decodes, the integer and f64 types,
    /// and the safetensors types. (Q8_1 and Q8_K are ggml's intermediate types for dot
    /// products, which no file stores; Q1_0 has no reference decoder.)
    pub fn decodable(self) -> bool {
        !matches!(self, Dtype::Q8_1 | Dtype::Q8K | Dtype::Q1_0)
    }

    /// Bytes that hold `elements` of this type, or None when they are not whole blocks.
    pub fn bytes_for(self, elements: usize) -> Option<usize> {
        let block = self.block_elements();
        if !elements.is_multiple_of(block) {
            return None;
        }
        (elements / block).checked_mul(self.block_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_one_row_and_round_trips_by_id_and_name() {
        for dtype in Dtype::all() {
            assert_eq!(
                TABLE.iter().filter(|r| r.0 == dtype).count(),
                1,
                "{dtype:?}"
            );
            assert_eq!(Dtype::from_name(dtype.name()), Some(dtype));
            assert_eq!(Dtype::from_name(&dtype.name().to_lowercase()), Some(dtype));
            if let Some(id) = dtype.ggml_id() {
                assert_eq!(Dtype::from_ggml_id(id), Some(dtype));
            }
        }
        assert_eq!(Dtype::from_ggml_id(4), None);
        assert_eq!(Dtype::from_name("Q4_2"), None);
        assert_eq!(Dtype::Q4K.bytes_for(512), Some(288));
        assert_eq!(Dtype::Q4K.bytes_for(100), None);
    }
}
