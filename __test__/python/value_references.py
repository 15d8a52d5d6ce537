"""Reference tensor values for values-reference.test.ts, from llama.cpp's gguf-py (and numpy /
ml_dtypes for the element types gguf-py leaves to numpy). Writes, into the folder given:

- <TYPE>.random.bin: random blocks (fixed seed; NaN, infinite and subnormal scales included),
  <TYPE>.random.f32: gguf.quants.dequantize of them, plus .f16 / .bf16: numpy's astype(float16)
  and gguf-py's BF16 conversion of those float32 values;
- <TYPE>.edge.bin / .f32: hand-made blocks (scale special values, zero sub-scales with negative
  codes: the sign of zero);
- <TYPE>.quantized.bin / .f32 for the types gguf.quants.quantize writes (Q4_0...Q8_0, BF16,
  TQ1_0, TQ2_0, MXFP4), of smooth random weights;
- element types (I8...I64, F64; U8...U64, BOOL, F8_E4M3, F8_E5M2 when ml_dtypes is there) as
  numpy converts them;

and prints a JSON manifest: [{type, case, elements, blockSize, typeSize}].

    python3 value_references.py <folder>
"""
import json
import os
import sys

import numpy as np
from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType as Q
from gguf.quants import dequantize, quantize

NO_DECODER = {"Q8_1", "Q8_K", "Q1_0", "I8", "I16", "I32", "I64", "F64"}
QUANTIZABLE = ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "BF16", "TQ1_0", "TQ2_0", "MXFP4"]
out_dir = sys.argv[1]
manifest = []
rng = np.random.default_rng(20261201)


def bf16_of(f32):
    return quantize(f32.reshape(1, -1), Q.BF16).view(np.uint16).reshape(-1)


def write(name, case, raw, values, block, size, narrow=True):
    raw.tofile(os.path.join(out_dir, f"{name}.{case}.bin"))
    values = np.ascontiguousarray(values, dtype=np.float32).reshape(-1)
    values.tofile(os.path.join(out_dir, f"{name}.{case}.f32"))
    if narrow:
        with np.errstate(all="ignore"):
            values.astype(np.float16).tofile(os.path.join(out_dir, f"{name}.{case}.f16"))
        bf16_of(values).tofile(os.path.join(out_dir, f"{name}.{case}.bf16"))
    manifest.append({"type": name, "case": case, "elements": int(values.size), "blockSize": block, "typeSize": size, "narrow": narrow})


def edge_blocks(qtype, blocks, size):
    """Blocks that reach the special cases of each type's scales."""
    b = rng.integers(0, 256, size=(blocks, size), dtype=np.uint8)
    name = qtype.name
    if name == "MXFP4":
        b[:, 0] = np.resize(np.array([0, 1, 2, 126, 127, 128, 253, 254, 255], dtype=np.uint8), blocks)
    elif name == "NVFP4":
        specials = np.array([0x00, 0x01, 0x07, 0x08, 0x7E, 0x7F, 0x80, 0xFE, 0xFF], dtype=np.uint8)
        b[:, :4] = np.resize(specials, (blocks, 4))
    elif name == "Q3_K":
        b[:, 96:108] = 0  # every six-bit scale 0 - 32 ...
        b[:, 104:108] = 0b10101010  # ... +32: zero sub-scales, with negative codes
        b[:, 108:110] = [0x00, 0x3C]  # d = 1.0
    elif name in ("Q6_K", "IQ4_XS"):
        at = 192 if name == "Q6_K" else 4
        b[:, at:at + (16 if name == "Q6_K" else 4)] = 0 if name == "Q6_K" else 0x00
        if name == "IQ4_XS":
            b[:, 2:4] = [0b10101010, 0b10101010]  # ls = 0 | 2 << 4 = 32 - 32 = 0
        d_at = 208 if name == "Q6_K" else 0
        b[:, d_at:d_at + 2] = [0x00, 0x3C]
    else:
        # f16 scale fields: signalling / quiet NaN, ±inf, ±0, the smallest subnormal.
        specials = np.array([[0x01, 0x7C], [0x00, 0x7E], [0x00, 0x7C], [0x00, 0xFC], [0x00, 0x00], [0x00, 0x80], [0x01, 0x00]], dtype=np.uint8)
        at = {"Q2_K": 80, "TQ1_0": 52, "TQ2_0": 64}.get(name, 0)
        if name != "IQ1_M":
            b[:, at:at + 2] = np.resize(specials, (blocks, 2))
    return b.reshape(-1)


for qtype, (block, size) in sorted(GGML_QUANT_SIZES.items(), key=lambda kv: int(kv[0])):
    name = qtype.name
    if name in NO_DECODER:
        continue
    blocks = max(1, 400 * 256 // block)
    raw = rng.integers(0, 256, size=blocks * size, dtype=np.uint8)
    with np.errstate(all="ignore"):
        write(name, "random", raw, dequantize(raw.reshape(1, -1), qtype), block, size)
        if block > 1:
            edge = edge_blocks(qtype, 64, size)
            write(name, "edge", edge, dequantize(edge.reshape(1, -1), qtype), block, size)

for name in QUANTIZABLE:
    qtype = Q[name]
    block, size = GGML_QUANT_SIZES[qtype]
    weights = (rng.standard_normal(64 * 1024) * 0.02).astype(np.float32).reshape(64, 1024)
    packed = quantize(weights, qtype).reshape(-1)
    write(name, "quantized", packed, dequantize(packed.reshape(64, -1), qtype), block, size)

# Element types as numpy converts them (gguf-py leaves them to numpy).
ints = {"I8": np.int8, "I16": np.int16, "I32": np.int32, "I64": np.int64, "U8": np.uint8, "U16": np.uint16, "U32": np.uint32, "U64": np.uint64}
for name, dtype in ints.items():
    raw = rng.integers(0, 256, size=4096 * np.dtype(dtype).itemsize, dtype=np.uint8)
    write(name, "random", raw, raw.view(dtype).astype(np.float32), 1, np.dtype(dtype).itemsize, narrow=False)
raw = rng.integers(0, 256, size=4096 * 8, dtype=np.uint8)
with np.errstate(all="ignore"):
    write("F64", "random", raw, raw.view(np.float64).astype(np.float32), 1, 8, narrow=False)
raw = np.arange(256, dtype=np.uint8)
write("BOOL", "random", raw, raw.view(np.bool_).astype(np.float32), 1, 1, narrow=False)
try:
    import ml_dtypes

    for name, dtype in {"F8_E4M3": ml_dtypes.float8_e4m3fn, "F8_E5M2": ml_dtypes.float8_e5m2}.items():
        write(name, "random", raw, raw.view(dtype).astype(np.float32), 1, 1, narrow=False)
except ImportError:
    pass

print(json.dumps(manifest))
