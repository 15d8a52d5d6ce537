/** openModel over GGUF split sets: one tensor table from many files, and every way a set can be wrong. */

import * as fs from 'node:fs'
import * as path from 'node:path'

import test from 'ava'
import { ggufAllShards as hfAllShards, parseGgufShardFilename as hfParseShard } from '@huggingface/gguf'

import { GGUFValueType, ggufAllShards, ModelDataError, openGguf, openModel, parseGgufShardFilename, writeGguf } from '..'
import type { WriteMetadataEntry, WriteTensor } from '..'
import { GGUF_METADATA, ggufSet, someTensors, tmpDir } from './model-fixtures'
import { guardUnchanged, heapForced, sha256File } from './helpers'

const T = GGUFValueType

/** One shard written by hand, with whatever split keys the case needs. */
function shard(dir: string, name: string, keys: { no?: number; count?: number; tensors?: number }, tensors: WriteTensor[], extra: Record<string, WriteMetadataEntry> = {}): string {
  const metadata: Record<string, WriteMetadataEntry> = { ...extra }
  if (keys.no !== undefined) metadata['split.no'] = { type: T.UINT16, value: keys.no }
  if (keys.count !== undefined) metadata['split.count'] = { type: T.UINT16, value: keys.count }
  if (keys.tensors !== undefined) metadata['split.tensors.count'] = { type: T.INT32, value: keys.tensors }
  return writeGguf(path.join(dir, name), { metadata, tensors })[0]!
}

function code(err: unknown): string | undefined {
  return (err as ModelDataError).code
}

test('a split set opens from any shard or its folder as one model, tensor for tensor the same as the unsplit file', (t) => {
  const tensors = someTensors(11)
  const paths = ggufSet(tensors, { maxTensors: 4 })
  t.deepEqual(paths.map((p) => path.basename(p)), ['model-00001-of-00003.gguf', 'model-00002-of-00003.gguf', 'model-00003-of-00003.gguf'])
  for (const p of paths) guardUnchanged(t, p)
  const single = path.join(tmpDir('unsplit'), 'model.gguf')
  writeGguf(single, { metadata: GGUF_METADATA, tensors })
  using whole = openGguf(single)
  for (const from of [paths[0]!, paths[2]!, path.dirname(paths[0]!)]) {
    using model = openModel(from)
    t.is(model.format, 'gguf')
    t.is(model.tensorCount, 11)
    t.deepEqual(model.tensorNames(), tensors.map((x) => x.name))
    t.deepEqual(
      model.shards.map((s) => [s.index, s.path, s.tensorCount, s.byteLength]),
      paths.map((p, i) => [i, p, [4, 4, 3][i], fs.statSync(p).size]),
    )
    t.is(model.metadata['general.architecture'], 'llama')
    t.is(model.metadata['split.count'], 3)
    for (const [i, x] of model.tensors().entries()) {
      const ref = whole.tensor(x.name)
      t.is(x.shard, Math.floor(i / 4))
      t.is(x.file, paths[x.shard]!)
      t.is(x.dtype, ref.dtype)
      t.deepEqual(x.shape, ref.shape)
      t.deepEqual(x.data, ref.data)
      t.deepEqual(model.tensor(x.name).data, tensors[i]!.data as Buffer)
    }
    if (!heapForced) t.true(model.shards.every((s) => s.data.isMmap), 'each shard is mapped: views are zero-copy')
  }
})

test('writeGguf splits by bytes, or with a metadata-only first shard; one shard writes a plain file', (t) => {
  const tensors = someTensors(6) // 32..160 bytes each
  const byBytes = ggufSet(tensors, { maxBytes: 200 })
  using a = openModel(byBytes[0]!)
  for (const s of a.shards) t.true(s.tensorCount === 1 || a.files[s.index]!.tensors().reduce((n, x) => n + x.byteLength, 0) <= 200)
  t.is(a.tensorCount, 6)
  const metaFirst = ggufSet(tensors, { metadataOnlyFirstShard: true, maxTensors: 3 })
  using b = openModel(metaFirst[1]!)
  t.deepEqual(b.shards.map((s) => s.tensorCount), [0, 3, 3])
  t.is(b.metadata['general.name'], 'set fixture')
  t.is(b.files[1]!.metadata['general.name'], undefined, 'later shards carry only the split keys')
  const one = ggufSet(tensors, { maxTensors: 100 })
  t.deepEqual(one.map((p) => path.basename(p)), ['model.gguf'])
  t.is(openGguf(one[0]!).metadata['split.count'], undefined)
})

test('a missing shard is ERR_MODELMAP_INCOMPLETE_MODEL naming it', (t) => {
  const paths = ggufSet(someTensors(9), { maxTensors: 2 })
  fs.rmSync(paths[1]!)
  fs.rmSync(paths[3]!)
  const err = t.throws(() => openModel(paths[0]!), { instanceOf: ModelDataError })
  t.is(code(err), 'ERR_MODELMAP_INCOMPLETE_MODEL')
  t.regex(err!.message, /2 of its 5 files are missing/)
  t.true(err!.message.includes(paths[1]!) && err!.message.includes(paths[3]!))
})

test('split keys that disagree with the names or each other are ERR_MODELMAP_INCONSISTENT_MODEL naming the file', (t) => {
  const two = someTensors(4)
  const cases: Array<[string, (dir: string) => void, RegExp]> = [
    ['split.no off by one', (d) => (shard(d, 'm-00001-of-00002.gguf', { no: 0, count: 2, tensors: 4 }, two.slice(0, 2)), shard(d, 'm-00002-of-00002.gguf', { no: 0, count: 2, tensors: 4 }, two.slice(2))), /00002-of-00002\.gguf': split\.no is 0 \(shard 1\) but the file is named as shard 2 of 2/],
    ['split.count differs from the names', (d) => (shard(d, 'm-00001-of-00002.gguf', { no: 0, count: 3, tensors: 4 }, two.slice(0, 2)), shard(d, 'm-00002-of-00002.gguf', { no: 1, count: 3, tensors: 4 }, two.slice(2))), /split\.count is 3 but the file is named as one of 2 shards/],
    ['split.tensors.count not the total', (d) => (shard(d, 'm-00001-of-00002.gguf', { no: 0, count: 2, tensors: 5 }, two.slice(0, 2)), shard(d, 'm-00002-of-00002.gguf', { no: 1, count: 2, tensors: 5 }, two.slice(2))), /split\.tensors\.count says the set has 5 tensors but its 2 shard\(s\) hold 4/],
    ['shards of two sets (their totals differ)', (d) => (shard(d, 'm-00001-of-00002.gguf', { no: 0, count: 2, tensors: 4 }, two.slice(0, 2)), shard(d, 'm-00002-of-00002.gguf', { no: 1, count: 2, tensors: 9 }, someTensors(7, 50).slice(2))), /split\.tensors\.count is 9 but shard 1 says 4: the shards come from different sets/],
    ['shards of two sets (architectures differ)', (d) => (shard(d, 'm-00001-of-00002.gguf', { no: 0, count: 2, tensors: 4 }, two.slice(0, 2), GGUF_METADATA), shard(d, 'm-00002-of-00002.gguf', { no: 1, count: 2, tensors: 4 }, two.slice(2), { 'general.architecture': { type: T.STRING, value: 'qwen2' } })), /general\.architecture is 'qwen2' but shard 1 has 'llama'/],
    ['a tensor in two shards', (d) => (shard(d, 'm-00001-of-00002.gguf', { no: 0, count: 2, tensors: 4 }, two.slice(0, 2)), shard(d, 'm-00002-of-00002.gguf', { no: 1, count: 2, tensors: 4 }, [two[2]!, two[0]!])), /tensor 'blk\.0\.weight' is also in shard 1 'm-00001-of-00002\.gguf'/],
    ['a shard without split keys', (d) => (shard(d, 'm-00001-of-00002.gguf', { no: 0, count: 2, tensors: 4 }, two.slice(0, 2)), shard(d, 'm-00002-of-00002.gguf', {}, two.slice(2))), /named as shard 2 of 2 but has no split\.count key/],
  ]
  for (const [name, make, message] of cases) {
    const dir = tmpDir('bad-set')
    make(dir)
    const err = t.throws(() => openModel(path.join(dir, 'm-00001-of-00002.gguf')), { instanceOf: ModelDataError }, name)
    t.is(code(err), 'ERR_MODELMAP_INCONSISTENT_MODEL', name)
    t.regex(err!.message, message, name)
    t.true(err!.path!.startsWith(dir), `${name}: the error names the file`)
  }
  // One file that says it is one shard of three, under a plain name.
  const lone = shard(tmpDir('lone'), 'model.gguf', { no: 0, count: 3, tensors: 4 }, two)
  const err = t.throws(() => openModel(lone), { instanceOf: ModelDataError })
  t.is(code(err), 'ERR_MODELMAP_INCONSISTENT_MODEL')
  t.regex(err!.message, /shard 1 of 3 .* not named as a shard/)
})

test('the parsing budgets apply to the set as a whole; a name claiming 5000 shards is refused before any is looked for', (t) => {
  const paths = ggufSet(someTensors(300), { maxTensors: 100 })
  using ok = openModel(paths[0]!, { limits: { maxTensors: 300 } })
  t.is(ok.tensorCount, 300)
  const err = t.throws(() => openModel(paths[0]!, { limits: { maxTensors: 250 } }), { instanceOf: ModelDataError })
  t.is(code(err), 'ERR_MODELMAP_LIMIT_EXCEEDED')
  t.regex(err!.message, /apply to the whole model .* shard\(s\) before this one used 200 tensors/)
  const claim = path.join(tmpDir('claim'), 'x-00001-of-05000.gguf')
  fs.copyFileSync(paths[0]!, claim)
  const many = t.throws(() => openModel(claim), { instanceOf: ModelDataError })
  t.is(code(many), 'ERR_MODELMAP_LIMIT_EXCEEDED')
  t.regex(many!.message, /names 5000 files, over the limit of 4096 \(limits\.maxShards\)/)
})

test('prefetch, checksum and residency run over every shard with one progress stream; close() closes all, views stay valid', async (t) => {
  const paths = ggufSet(someTensors(12), { maxTensors: 3 })
  const model = openModel(paths[0]!)
  const total = paths.reduce((a, p) => a + fs.statSync(p).size, 0)
  t.is(model.byteLength, total)
  const seen: number[] = []
  await model.prefetch({ onProgress: (p) => (t.is(p.totalBytes, total), seen.push(p.bytesDone)) })
  t.deepEqual([...seen].sort((a, b) => a - b), seen, 'progress never goes back')
  t.is(seen[seen.length - 1], total)
  const digests = await model.checksum()
  t.deepEqual(
    digests.map((d) => [d.shard, d.path, d.sha256]),
    paths.map((p, i) => [i, p, sha256File(p)]),
  )
  const r = model.residency()
  t.is(r.totalBytes, total)
  t.is(r.shards.length, 4)
  if (r.residentBytes !== null) t.is(r.residentBytes, r.shards.reduce((a, s) => a + s.residentBytes!, 0))
  const controller = new AbortController()
  controller.abort()
  await t.throwsAsync(model.checksum('sha256', { signal: controller.signal }), { name: 'AbortError' })
  const view = model.tensor('blk.7.weight').data
  const copy = Buffer.from(view)
  model.close()
  t.true(model.closed)
  t.true(model.shards.every((s) => s.data.closed))
  t.deepEqual(view, copy, 'a view outlives close()')
  t.throws(() => model.tensor('blk.0.weight'), { code: 'ERR_MODELMAP_CLOSED' })
  await t.throwsAsync(model.prefetch(), { code: 'ERR_MODELMAP_CLOSED' })
})

test('a folder with several models, none, or a file of another format: typed errors that list what is there', (t) => {
  const dir = path.dirname(ggufSet(someTensors(4), { maxTensors: 2 })[0]!)
  writeGguf(path.join(dir, 'mmproj.gguf'), { metadata: GGUF_METADATA, tensors: someTensors(1) })
  const err = t.throws(() => openModel(dir), { instanceOf: ModelDataError })
  t.is(code(err), 'ERR_MODELMAP_AMBIGUOUS_MODEL')
  t.regex(err!.message, /holds 2 models; open one of them by its path: 'mmproj\.gguf', 'model-\*-of-00002\.gguf \(2 files here\)'/)
  const empty = tmpDir('empty')
  fs.writeFileSync(path.join(empty, 'README.md'), 'hi')
  t.is(code(t.throws(() => openModel(empty))), 'ERR_MODELMAP_NO_MODEL')
  t.is(code(t.throws(() => openModel(path.join(empty, 'README.md')))), 'ERR_MODELMAP_UNKNOWN_FORMAT')
  t.is(code(t.throws(() => openModel(path.join(empty, 'nope.gguf')))), 'ENOENT')
  t.is(code(t.throws(() => openModel(''))), 'ERR_INVALID_ARG_TYPE')
})

test('writeGguf leaves no temporary file when a split write fails', (t) => {
  const dir = tmpDir('fail-split')
  // The third shard's final name is a non-empty folder: its rename fails after all shards were written.
  fs.mkdirSync(path.join(dir, 'model-00003-of-00003.gguf', 'x'), { recursive: true })
  t.throws(() => writeGguf(path.join(dir, 'model.gguf'), { metadata: GGUF_METADATA, tensors: someTensors(6), split: { maxTensors: 2 } }))
  t.deepEqual(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')), [])
  t.throws(() => writeGguf(path.join(dir, 'model.gguf'), { metadata: GGUF_METADATA, split: {} }), { code: 'ERR_INVALID_ARG_VALUE' })
  t.throws(() => writeGguf(path.join(dir, 'model.gguf'), { metadata: GGUF_METADATA, split: { maxTensors: 0 } }), { code: 'ERR_OUT_OF_RANGE' })
})

test('ggufAllShards and parseGgufShardFilename give what @huggingface/gguf gives on local files', async (t) => {
  const paths = ggufSet(someTensors(7), { maxTensors: 3 })
  for (const p of [paths[0]!, paths[2]!]) {
    t.deepEqual(await ggufAllShards(p, { allowLocalFile: true }), await hfAllShards(p, { allowLocalFile: true }))
  }
  const single = path.join(tmpDir('single'), 'one.gguf')
  writeGguf(single, { metadata: GGUF_METADATA, tensors: someTensors(2) })
  t.deepEqual(await ggufAllShards(single, { allowLocalFile: true }), await hfAllShards(single, { allowLocalFile: true }))
  for (const name of ['a-00001-of-00003.gguf', '/x/y/Llama-3-00002-of-00010.gguf', 'a-1-of-3.gguf', 'a-00001-of-00003.gguf.part', 'x-y-00001-of-00002-00001-of-00002.gguf', '-00001-of-00001.gguf']) {
    t.deepEqual(parseGgufShardFilename(name), hfParseShard(name), name)
  }
})
