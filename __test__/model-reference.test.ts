/** Model sets cross-checked with the reference writers and readers: gguf-py (GGUFWriter splits, GGUFReader) and the Python safetensors package. */

import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'

import test from 'ava'

import { openGguf, openModel, openSafetensors } from '..'
import { ggufSet, someTensors, tmpDir } from './model-fixtures'
import { hasPythonModule, runPython } from './python'

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

interface Dump {
  fields: Record<string, { value: unknown }>
  tensors: Array<{ name: string; type: number; shape: number[]; sha256: string }>
}

test('a gguf-py split set reads, tensor by tensor, as the unsplit file gguf-py wrote from the same data', (t) => {
  if (!hasPythonModule(t, 'gguf')) return t.pass()
  const out = runPython('model_sets.py', ['gguf', tmpDir('gguf-py')]) as { whole: string; split: string[] }
  t.true(out.split.length > 1)
  using whole = openGguf(out.whole)
  using model = openModel(out.split[1]!)
  t.is(model.shards.length, out.split.length)
  t.deepEqual(model.shards.map((s) => s.path), out.split)
  t.deepEqual(model.tensorNames(), whole.tensorNames)
  for (const x of model.tensors()) {
    const ref = whole.tensor(x.name)
    t.deepEqual([x.dtype, x.shape, sha(x.data)], [ref.dtype, ref.shape, sha(ref.data)], x.name)
  }
  for (const key of ['general.architecture', 'general.name', 'llama.context_length', 'tokenizer.ggml.tokens']) t.deepEqual(model.metadata[key], whole.metadata[key], key)
  t.is(model.metadata['split.count'], out.split.length)
})

test('a split written by writeGguf reads shard by shard the same in gguf-py GGUFReader', (t) => {
  if (!hasPythonModule(t, 'gguf')) return t.pass()
  const paths = ggufSet(someTensors(10), { maxTensors: 4 })
  using model = openModel(paths[0]!)
  paths.forEach((p, i) => {
    const dump = runPython('gguf_dump.py', [p]) as Dump
    t.is(dump.fields['split.no']!.value, i)
    t.is(dump.fields['split.count']!.value, paths.length)
    t.is(dump.fields['split.tensors.count']!.value, 10)
    const ours = model.files[i]!.tensors()
    t.deepEqual(
      dump.tensors.map((d) => [d.name, d.type, d.shape, d.sha256]),
      ours.map((x) => [x.name, (x as unknown as { ggmlType: number }).ggmlType, x.shape, sha(x.data)]),
    )
  })
})

test('a safetensors set from the Python package plus a transformers-style index reads as the unsharded file', (t) => {
  if (!hasPythonModule(t, 'safetensors')) return t.pass()
  const out = runPython('model_sets.py', ['safetensors', tmpDir('st-py')]) as { whole: string; dir: string; shards: Array<{ file: string; tensors: string[]; bytes: number }> }
  // The index as transformers' save_pretrained writes it: metadata.total_size and a sorted weight_map.
  const weightMap: Record<string, string> = {}
  for (const s of out.shards) for (const n of s.tensors) weightMap[n] = s.file
  const index = { metadata: { total_size: out.shards.reduce((a, s) => a + s.bytes, 0) }, weight_map: Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : 1))) }
  fs.writeFileSync(path.join(out.dir, 'model.safetensors.index.json'), JSON.stringify(index, null, 2) + '\n')
  using whole = openSafetensors(out.whole)
  using model = openModel(out.dir)
  t.is(model.tensorCount, whole.tensorNames.length)
  t.deepEqual(model.indexMetadata, index.metadata)
  t.deepEqual(model.metadata, whole.metadata)
  for (const name of whole.tensorNames) {
    const x = model.tensor(name)
    const ref = whole.tensor(name)
    t.is(path.basename(x.file), weightMap[name]!)
    t.deepEqual([x.dtype, x.shape, sha(x.data)], [ref.dtype, ref.shape, sha(ref.data)], name)
  }
})
