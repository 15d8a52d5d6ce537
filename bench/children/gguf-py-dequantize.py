"""Times llama.cpp's gguf-py decoding the same bytes modelmap decodes (bench/values.ts).

    python3 gguf-py-dequantize.py <bytes file> <type name> <runs>

Prints JSON: {"ms": [per run], "elements": n}. One numpy thread, as gguf-py runs.
"""
import json
import sys
import time

import numpy as np
from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType
from gguf.quants import dequantize

path, name, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
qtype = GGMLQuantizationType[name]
block, size = GGML_QUANT_SIZES[qtype]
data = np.fromfile(path, dtype=np.uint8)
rows = data.reshape(64, -1)  # 64 rows, as a 2-D weight
times = []
for _ in range(runs):
    t0 = time.perf_counter()
    out = dequantize(rows, qtype)
    times.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"ms": times, "elements": int(out.size)}))
