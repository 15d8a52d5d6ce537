/** openModel in the Hugging Face hub cache layout: symlinks into blobs/, refs, repo ids, offline. */

import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

import test from 'ava'

import { hubCacheDir, ModelDataError, openModel } from '..'
import { ggufSet, hubCache, safetensorsSet, someStTensors, someTensors, symlinksWork, tmpDir } from './model-fixtures'

function code(err: unknown): string | undefined {
  return (err as ModelDataError).code
}

function snapshotOf(cache: string, repo: string): string {
  const repoDir = path.join(cache, `models--${repo.replace('/', '--')}`)
  const commit = fs.readFileSync(path.join(repoDir, 'refs', 'main'), 'utf8')
  return path.join(repoDir, 'snapshots', commit)
}

const st = someStTensors(6)
const stSource = path.dirname(safetensorsSet([st.slice(0, 2), st.slice(2, 4), st.slice(4)]))
const stCache = hubCache('org/st-model', stSource)
const ggufSource = path.dirname(ggufSet(someTensors(5), { maxTensors: 2 })[0]!)
const ggufCache = hubCache('org/gguf-model', ggufSource)

test('a shard reached through a snapshot symlink finds its siblings beside the snapshot path, not the blob', (t) => {
  const snapshot = snapshotOf(stCache, 'org/st-model')
  const shard = path.join(snapshot, 'model-00002-of-00003.safetensors')
  if (symlinksWork) {
    t.true(fs.lstatSync(shard).isSymbolicLink())
    t.regex(fs.realpathSync(shard), /blobs[\\/][0-9a-f]{64}$/)
  } else t.log('no file symlinks here: the snapshot holds copies, as huggingface_hub makes them on such systems')
  using model = openModel(shard)
  t.is(model.tensorCount, 6)
  t.deepEqual(model.shards.map((s) => s.path), ['00001', '00002', '00003'].map((n) => path.join(snapshot, `model-${n}-of-00003.safetensors`)))
  t.deepEqual(model.tensor('model.layers.5.weight').data, Buffer.from(st[5]!.data))
  using split = openModel(path.join(snapshotOf(ggufCache, 'org/gguf-model'), 'model-00003-of-00003.gguf'))
  t.is(split.tensorCount, 5)
})

test('a repo id resolves in the cache offline: cacheDir, HF_HUB_CACHE, HF_HOME; a file in the repo; a commit hash', (t) => {
  using byOption = openModel('org/st-model', { cacheDir: stCache })
  t.is(byOption.path, path.join(snapshotOf(stCache, 'org/st-model'), 'model.safetensors.index.json'))
  using inRepo = openModel('org/gguf-model/model-00001-of-00003.gguf', { cacheDir: ggufCache })
  t.is(inRepo.shards.length, 3)
  const commit = path.basename(snapshotOf(ggufCache, 'org/gguf-model'))
  using byCommit = openModel('org/gguf-model', { cacheDir: ggufCache, revision: commit })
  t.is(byCommit.tensorCount, 5)
})

test.serial('the cache folder comes from HF_HUB_CACHE, then HF_HOME, then XDG_CACHE_HOME, then ~/.cache', (t) => {
  const saved = { HF_HUB_CACHE: process.env.HF_HUB_CACHE, HF_HOME: process.env.HF_HOME, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME }
  t.teardown(() => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]
    else process.env[k] = v
  })
  process.env.HF_HUB_CACHE = stCache
  process.env.HF_HOME = '/nowhere'
  t.is(hubCacheDir(), stCache)
  using a = openModel('org/st-model')
  t.is(a.tensorCount, 6)
  delete process.env.HF_HUB_CACHE
  const home = tmpDir('hf-home')
  fs.cpSync(ggufCache, path.join(home, 'hub'), { recursive: true, verbatimSymlinks: true })
  process.env.HF_HOME = home
  t.is(hubCacheDir(), path.join(home, 'hub'))
  using b = openModel('org/gguf-model')
  t.is(b.tensorCount, 5)
  delete process.env.HF_HOME
  process.env.XDG_CACHE_HOME = '/xdg'
  t.is(hubCacheDir(), path.join('/xdg', 'huggingface', 'hub'))
  delete process.env.XDG_CACHE_HOME
  t.is(hubCacheDir(), path.join(os.homedir(), '.cache', 'huggingface', 'hub'))
})

test('a repo or revision that is not cached is ERR_MODELMAP_NO_MODEL saying where it looked; nothing is fetched', (t) => {
  const missing = t.throws(() => openModel('org/not-here', { cacheDir: stCache }), { instanceOf: ModelDataError })
  t.is(code(missing), 'ERR_MODELMAP_NO_MODEL')
  t.true(missing!.message.includes(stCache))
  const rev = t.throws(() => openModel('org/st-model', { cacheDir: stCache, revision: 'v2' }), { instanceOf: ModelDataError })
  t.is(code(rev), 'ERR_MODELMAP_NO_MODEL')
  t.regex(rev!.message, /has org\/st-model but not its revision 'v2' \(it has: main\)/)
  // Not a repo id: a plain missing path is ENOENT.
  t.is(code(t.throws(() => openModel('./org/x.gguf', { cacheDir: stCache }))), 'ENOENT')
  t.is(code(t.throws(() => openModel('org/../../etc', { cacheDir: stCache }))), 'ENOENT')
})
