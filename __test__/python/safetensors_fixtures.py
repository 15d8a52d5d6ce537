"""Writes safetensors fixtures with the reference `safetensors` package (numpy backend) and prints,
as JSON, what its reader sees in each: metadata, dtype, shape, and sha256 of every tensor's bytes."""
import hashlib
import json
import os
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

out_dir = sys.argv[1]
rng = np.random.default_rng(7)
fixtures = {
    "mixed.safetensors": (
        {
            "embed.weight": rng.standard_normal((16, 8)).astype(np.float32),
            "norm.weight": rng.standard_normal(8).astype(np.float16),
            "lm_head.bias": rng.standard_normal(3).astype(np.float64),
            "ids": np.arange(10, dtype=np.int64),
            "mask": np.array([True, False, True]),
            "small": np.arange(5, dtype=np.int8),
            "u8": np.arange(7, dtype=np.uint8),
            "i16": np.arange(6, dtype=np.int16),
            "u16": np.arange(6, dtype=np.uint16),
            "i32": np.arange(9, dtype=np.int32),
            "u32": np.arange(4, dtype=np.uint32),
            "u64": np.arange(2, dtype=np.uint64),
            "scalar": np.array(3.5, dtype=np.float32),
            "empty": np.zeros((0, 4), dtype=np.float32),
        },
        {"format": "np", "note": "modelmap fixture ✓"},
    ),
    "no-metadata.safetensors": ({"w": np.ones((2, 3), dtype=np.float32)}, None),
}
report = {}
for name, (tensors, metadata) in fixtures.items():
    path = os.path.join(out_dir, name)
    save_file(tensors, path, metadata=metadata)
    with safe_open(path, framework="np") as f:
        entries = {}
        for key in f.keys():
            arr = f.get_tensor(key)
            entries[key] = {
                "shape": list(arr.shape),
                "sha256": hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest(),
            }
        report[name] = {"path": path, "metadata": f.metadata() or {}, "tensors": entries}
print(json.dumps(report))
