"""Writes the same model whole and in pieces with the reference writers, for model-reference.test.ts.

  model_sets.py gguf <dir>         gguf-py GGUFWriter: <dir>/whole.gguf and <dir>/split/ref-0000k-of-0000N.gguf
                                   (split_max_tensors=3)
  model_sets.py safetensors <dir>  safetensors.numpy.save_file: <dir>/whole/model.safetensors and
                                   <dir>/sharded/model-0000k-of-0000N.safetensors (the test writes the index)

Prints JSON: the files written and which tensors each shard holds."""
import json
import os
import sys

import numpy as np


def tensors():
    rng = np.random.default_rng(11)
    out = {}
    for i in range(8):
        out[f"blk.{i}.attn_q.weight"] = rng.standard_normal((4, 8 + i)).astype(np.float32)
        out[f"blk.{i}.ffn_norm.weight"] = rng.standard_normal(8 + i).astype(np.float16)
    out["token_embd.weight"] = rng.integers(-100, 100, (16, 4), dtype=np.int32)
    return out


def gguf(out_dir):
    from gguf import GGUFWriter

    os.makedirs(os.path.join(out_dir, "split"), exist_ok=True)
    written = {}
    for name, kwargs in (("whole.gguf", {}), (os.path.join("split", "ref.gguf"), {"split_max_tensors": 3})):
        writer = GGUFWriter(os.path.join(out_dir, name), "llama", **kwargs)
        writer.add_name("cross-check")
        writer.add_context_length(2048)
        writer.add_token_list(["<s>", "</s>", "a", "b"])
        for tname, data in tensors().items():
            writer.add_tensor(tname, data)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        written[name] = [str(p) for p in writer.format_shard_names(writer.path)]
    print(json.dumps({"whole": written["whole.gguf"][0], "split": written[os.path.join("split", "ref.gguf")]}))


def safetensors(out_dir):
    from safetensors.numpy import save_file

    all_tensors = tensors()
    names = list(all_tensors)
    groups = [names[0:6], names[6:12], names[12:]]
    os.makedirs(os.path.join(out_dir, "whole"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "sharded"), exist_ok=True)
    save_file(all_tensors, os.path.join(out_dir, "whole", "model.safetensors"), metadata={"format": "pt"})
    shards = []
    for i, group in enumerate(groups):
        file = f"model-{i + 1:05d}-of-{len(groups):05d}.safetensors"
        save_file({n: all_tensors[n] for n in group}, os.path.join(out_dir, "sharded", file), metadata={"format": "pt"})
        shards.append({"file": file, "tensors": group, "bytes": sum(int(all_tensors[n].nbytes) for n in group)})
    print(json.dumps({"whole": os.path.join(out_dir, "whole", "model.safetensors"), "dir": os.path.join(out_dir, "sharded"), "shards": shards}))


if __name__ == "__main__":
    {"gguf": gguf, "safetensors": safetensors}[sys.argv[1]](sys.argv[2])
