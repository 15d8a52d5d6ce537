"""Dumps a GGUF file as read by llama.cpp's reference reader (the `gguf` package), as JSON, for
the cross-check in gguf-reference.test.ts. 64-bit integers are written as strings."""
import hashlib
import json
import sys

from gguf import GGUFReader
from gguf.constants import GGUFValueType


def plain(value):
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value) if not (-(2**53) < value < 2**53) else value
    return value


def main(path):
    try:
        reader = GGUFReader(path, "r")
    except Exception as exc:  # the reference reader refuses some files (e.g. version 1)
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        return
    fields = {}
    for name, field in reader.fields.items():
        if name.startswith("GGUF."):
            continue
        types = [int(t) for t in field.types]
        nested = len(types) > 1 and types[0] == GGUFValueType.ARRAY and types[1] == GGUFValueType.ARRAY
        fields[name] = {"types": types, "value": None if nested else plain(field.contents())}
    tensors = []
    for t in reader.tensors:
        data = bytes(t.data.tobytes()) if t.n_bytes else b""
        tensors.append({
            "name": t.name,
            "type": int(t.tensor_type),
            "shape": [int(d) for d in t.shape],
            "data_offset": int(t.data_offset),
            "n_bytes": int(t.n_bytes),
            "sha256": hashlib.sha256(data).hexdigest(),
        })
    print(json.dumps({"byteorder": reader.byte_order, "fields": fields, "tensors": tensors}))


if __name__ == "__main__":
    main(sys.argv[1])
