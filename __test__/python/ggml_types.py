"""The reference ggml type table (id, name, block size, bytes per block) as JSON."""
import json

from gguf.constants import GGML_QUANT_SIZES

print(json.dumps([[int(t), t.name, b, s] for t, (b, s) in sorted(GGML_QUANT_SIZES.items(), key=lambda kv: int(kv[0]))]))
