/** openModel over sharded safetensors: the index and the shards must agree both ways. */

import * as fs from 'node:fs'
import * as path from 'node:path'

import test from 'ava'

import { ModelDataError, openModel, openSafetensors } from '..'
import { safetensorsSet, someStTensors, tmpDir, writeSafetensors } from './model-fixtures'
import type { StTensor } from './model-fixtures'
import { guardUnchanged } from './helpers'

function code(err: unknown): string | undefined {
  return (err as ModelDataError).code
}

const tensors = someStTensors(10)
const groups = [tensors.slice(0, 4), tensors.slice(4, 7), tensors.slice(7)]

test('a sharded checkpoint opens by its index, any shard or its folder, and reads as the unsharded file does', (t) => {
  const index = safetensorsSet(groups)
  const dir = path.dirname(index)
  for (const f of fs.readdirSync(dir)) guardUnchanged(t, path.join(dir, f))
  const single = path.join(tmpDir('unsharded'), 'model.safetensors')
  writeSafetensors(single, tensors)
  using whole = openSafetensors(single)
  for (const from of [index, path.join(dir, 'model-00002-of-00003.safetensors'), dir]) {
    using model = openModel(from)
    t.is(model.format, 'safetensors')
    t.is(model.tensorCount, 10)
    t.deepEqual(model.shards.map((s) => [path.basename(s.path), s.tensorCount]), [
      ['model-00001-of-00003.safetensors', 4],
      ['model-00002-of-00003.safetensors', 3],
      ['model-00003-of-00003.safetensors', 3],
    ])
    t.deepEqual(model.metadata, { format: 'pt' })
    t.deepEqual(model.indexMetadata, { total_size: tensors.reduce((a, x) => a + x.data.length, 0) })
    for (const x of model.tensors()) {
      const ref = whole.tensor(x.name)
      t.is(x.file, model.shards[x.shard]!.path)
      t.deepEqual([x.dtype, x.shape, x.data], [ref.dtype, ref.shape, ref.data])
    }
    t.deepEqual(model.tensorNames().sort(), tensors.map((x) => x.name).sort())
  }
})

test('shards named as a set but with no index open by their names', (t) => {
  const first = safetensorsSet(groups, { index: false })
  using model = openModel(first)
  t.is(model.tensorCount, 10)
  t.is(model.indexMetadata, undefined)
  t.deepEqual(model.tensor('model.layers.8.weight').data, Buffer.from(tensors[8]!.data))
  // Another set (Windows cannot delete a file that is mapped).
  const other = safetensorsSet(groups, { index: false })
  fs.rmSync(path.join(path.dirname(other), 'model-00003-of-00003.safetensors'))
  const err = t.throws(() => openModel(other), { instanceOf: ModelDataError })
  t.is(code(err), 'ERR_MODELMAP_INCOMPLETE_MODEL')
  t.regex(err!.message, /1 of its 3 files is missing: '.*model-00003-of-00003\.safetensors'/)
})

test('an index and shards that disagree are typed errors naming the file and the tensor', (t) => {
  const extra: StTensor = { name: 'stray.bias', dtype: 'U8', shape: [2], data: new Uint8Array([1, 2]) }
  const cases: Array<[string, () => string, string, RegExp]> = [
    ['an index entry for a file that is not there', () => safetensorsSet(groups, { editIndex: (i) => void (i.weight_map['lm_head.weight'] = 'model-00004-of-00004.safetensors') }), 'ERR_MODELMAP_INCOMPLETE_MODEL', /1 of its 4 files is missing: '.*model-00004-of-00004\.safetensors'/],
    ['an index entry for a tensor the file does not have', () => safetensorsSet(groups, { editIndex: (i) => void (i.weight_map['lm_head.weight'] = 'model-00002-of-00003.safetensors') }), 'ERR_MODELMAP_INCONSISTENT_MODEL', /model-00002-of-00003\.safetensors': the index places tensor 'lm_head\.weight' in this file, which has no such tensor/],
    ['a shard tensor missing from the index', () => safetensorsSet(groups, { editIndex: (i) => void delete i.weight_map['model.layers.5.weight'] }), 'ERR_MODELMAP_INCONSISTENT_MODEL', /model-00002-of-00003\.safetensors': tensor 'model\.layers\.5\.weight' is in this shard but missing from the index/],
    ['an index that places a tensor in the wrong shard', () => safetensorsSet(groups, { editIndex: (i) => void (i.weight_map['model.layers.0.weight'] = 'model-00003-of-00003.safetensors') }), 'ERR_MODELMAP_INCONSISTENT_MODEL', /tensor 'model\.layers\.0\.weight' is in this shard but the index places it in 'model-00003-of-00003\.safetensors'/],
    ['a tensor in two shards', () => safetensorsSet([groups[0]!, [...groups[1]!, tensors[0]!], groups[2]!]), 'ERR_MODELMAP_INCONSISTENT_MODEL', /tensor 'model\.layers\.0\.weight' is also in shard 1/],
    ['a weight_map file outside the folder', () => safetensorsSet(groups, { editIndex: (i) => void (i.weight_map['x'] = '../../etc/passwd') }), 'ERR_MODELMAP_INVALID_SAFETENSORS', /weight_map names the file "\.\.\/\.\.\/etc\/passwd", which is not a file name inside the index's folder/],
    ['an absolute weight_map file', () => safetensorsSet(groups, { editIndex: (i) => void (i.weight_map['x'] = path.resolve('/tmp/x.safetensors')) }), 'ERR_MODELMAP_INVALID_SAFETENSORS', /not a file name inside the index's folder/],
    ['an index without weight_map', () => safetensorsSet(groups, { editIndex: (i) => void delete (i as Partial<typeof i>).weight_map }), 'ERR_MODELMAP_INVALID_SAFETENSORS', /has no "weight_map" object/],
    ['a shard that is not safetensors', () => {
      const index = safetensorsSet(groups)
      fs.writeFileSync(path.join(path.dirname(index), 'model-00002-of-00003.safetensors'), Buffer.alloc(16))
      return index
    }, 'ERR_MODELMAP_INVALID_SAFETENSORS', /model-00002-of-00003\.safetensors' is not a valid safetensors file/],
    ['an extra tensor only in the index', () => safetensorsSet(groups, { editIndex: (i) => void (i.weight_map[extra.name] = 'model-00001-of-00003.safetensors') }), 'ERR_MODELMAP_INCONSISTENT_MODEL', /places tensor 'stray\.bias' in this file/],
  ]
  for (const [name, make, expected, message] of cases) {
    const index = make()
    const err = t.throws(() => openModel(index), { instanceOf: ModelDataError }, name)
    t.is(code(err), expected, name)
    t.regex(err!.message, message, name)
  }
})

test('a hostile index costs its budget, not more: nesting, entry count and size are checked before JSON.parse', (t) => {
  const dir = tmpDir('hostile-index')
  writeSafetensors(path.join(dir, 'model-00001-of-00001.safetensors'), tensors.slice(0, 1))
  const index = path.join(dir, 'model.safetensors.index.json')
  fs.writeFileSync(index, '{"weight_map":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}')
  t.is(code(t.throws(() => openModel(index))), 'ERR_MODELMAP_INVALID_SAFETENSORS')
  const entries = Array.from({ length: 5000 }, (_, i) => `"t${i}":"model-00001-of-00001.safetensors"`).join(',')
  fs.writeFileSync(index, `{"weight_map":{${entries}}}`)
  const err = t.throws(() => openModel(index, { limits: { maxTensors: 1000, maxMetadataEntries: 10 } }), { instanceOf: ModelDataError })
  t.is(code(err), 'ERR_MODELMAP_LIMIT_EXCEEDED')
  t.is(code(t.throws(() => openModel(index, { limits: { maxHeaderBytes: 1000 } }))), 'ERR_MODELMAP_LIMIT_EXCEEDED')
})

test('a folder with the index, its shards and other files is one model', (t) => {
  const index = safetensorsSet(groups)
  const dir = path.dirname(index)
  fs.writeFileSync(path.join(dir, 'config.json'), '{}')
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{}')
  using model = openModel(dir)
  t.is(model.path, index)
  t.is(model.tensorCount, 10)
  writeSafetensors(path.join(dir, 'adapter.safetensors'), tensors.slice(0, 1))
  const err = t.throws(() => openModel(dir), { instanceOf: ModelDataError })
  t.is(code(err), 'ERR_MODELMAP_AMBIGUOUS_MODEL')
  t.regex(err!.message, /'adapter\.safetensors', 'model\.safetensors\.index\.json'/)
})
