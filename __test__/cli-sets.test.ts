/** The CLI on models in pieces: every command takes a shard, an index, a folder or a cached repo id and shows one model with per-shard lines. */

import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import test from 'ava'

import { ggufSet, hubCache, safetensorsSet, someStTensors, someTensors, tmpDir } from './model-fixtures'
import { guardUnchanged, sha256File } from './helpers'

const bin = path.join(__dirname, '..', 'bin', 'modelmap.js')

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env } })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const paths = ggufSet(someTensors(7), { maxTensors: 3 })
const st = someStTensors(5)
const index = safetensorsSet([st.slice(0, 3), st.slice(3)])

test('inspect shows a split set as one model with a line per shard and each tensor’s shard', (t) => {
  for (const p of paths) guardUnchanged(t, p)
  const r = cli(['inspect', paths[1]!])
  t.is(r.code, 0, r.stderr)
  t.regex(r.stdout, /format\s+gguf, 3 shards/)
  t.regex(r.stdout, /shards \(3\)/)
  t.regex(r.stdout, /1\/3\s+model-00001-of-00003\.gguf\s+.*\s+3\s+/)
  t.regex(r.stdout, /tensors \(7\)/)
  t.regex(r.stdout, /blk\.6\.weight\s+F32.*\s3$/m)
  const json = JSON.parse(cli(['inspect', '--json', path.dirname(paths[0]!)]).stdout) as { shards: Array<{ path: string; tensorCount: number }>; tensors: Array<{ shard: number }> }
  t.deepEqual(json.shards.map((s) => [s.path, s.tensorCount]), paths.map((p, i) => [p, [3, 3, 1][i]]))
  t.deepEqual(json.tensors.map((x) => x.shard), [0, 0, 0, 1, 1, 1, 2])
})

test('verify hashes every shard: against a sha256sum file, against digests in order, or just printing them', (t) => {
  const dir = path.dirname(index)
  const shardFiles = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']
  const digests = shardFiles.map((f) => sha256File(path.join(dir, f)))
  const sums = path.join(dir, 'SHA256SUMS')
  fs.writeFileSync(sums, shardFiles.map((f, i) => `${digests[i]}  ${f}\n`).join(''))
  const ok = cli(['verify', index, '--checksums', sums])
  t.is(ok.code, 0, ok.stderr)
  t.regex(ok.stdout, /^OK .*\(2 files\)/)
  t.regex(ok.stdout, new RegExp(`OK\\s+${digests[1]}  model-00002-of-00002\\.safetensors`))
  const inOrder = cli(['verify', '--json', dir, '--sha256', digests[0]!, digests[1]!])
  t.is(inOrder.code, 0, inOrder.stderr)
  t.deepEqual((JSON.parse(inOrder.stdout) as { shards: Array<{ ok: boolean }> }).shards.map((s) => s.ok), [true, true])
  fs.writeFileSync(sums, `${digests[0]}  ${shardFiles[0]}\n${'0'.repeat(64)} *${shardFiles[1]}\n`)
  const bad = cli(['verify', index, '--checksums', sums])
  t.is(bad.code, 1)
  t.regex(bad.stdout, /^MISMATCH/)
  t.regex(bad.stdout, /MISMATCH\s+[0-9a-f]{64}  model-00002-of-00002\.safetensors  \(expected 0{64}\)/)
  fs.writeFileSync(sums, `${digests[0]}  ${shardFiles[0]}\n`)
  t.regex(cli(['verify', index, '--checksums', sums]).stdout, /UNLISTED\s+[0-9a-f]{64}  model-00002/)
  const printed = cli(['verify', index])
  t.is(printed.code, 0, printed.stderr)
  t.is(printed.stdout.split('\n').filter((l) => /^[0-9a-f]{64}  model-/.test(l)).length, 2, 'sha256sum-format lines')
  const count = cli(['verify', index, '--sha256', digests[0]!])
  t.is(count.code, 2)
  t.regex(count.stderr, /given 1 digest\(s\) but the model has 2 file\(s\)/)
  fs.writeFileSync(sums, 'not a checksum line\n')
  t.regex(cli(['verify', index, '--checksums', sums]).stderr, /SHA256SUMS:1: not a sha256sum line/)
})

test('warm and residency take a set, a folder or a cached repo id', (t) => {
  const w = cli(['warm', '--json', paths[0]!])
  t.is(w.code, 0, w.stderr)
  const warmed = JSON.parse(w.stdout) as { files: string[]; after: { residentBytes: number | null; totalBytes: number } }
  t.deepEqual(warmed.files, paths)
  if (process.platform !== 'win32') t.is(warmed.after.residentBytes, warmed.after.totalBytes)
  const r = cli(['residency', '--tensors', path.dirname(index)])
  t.is(r.code, 0, r.stderr)
  t.regex(r.stdout, /shards \(2\)/)
  t.regex(r.stdout, /model\.layers\.4\.weight.*\s2$/m)
  const cache = hubCache('org/cli-model', path.dirname(index))
  const byId = cli(['residency', '--json', 'org/cli-model'], { HF_HUB_CACHE: cache })
  t.is(byId.code, 0, byId.stderr)
  t.is((JSON.parse(byId.stdout) as { shards: unknown[] }).shards.length, 2)
  const missing = cli(['inspect', 'org/absent'], { HF_HUB_CACHE: cache })
  t.is(missing.code, 2)
  t.regex(missing.stderr, /^modelmap: ERR_MODELMAP_NO_MODEL: /)
})

test('verify, warm and residency read a corrupt file as bytes (a bad download must still get its digest); inspect names the problem', (t) => {
  const file = path.join(tmpDir('corrupt'), 'corrupt.gguf')
  fs.writeFileSync(file, Buffer.concat([Buffer.from('GGUF'), Buffer.from('not a version, not a header')]))
  const v = cli(['verify', '--json', file])
  t.is(v.code, 0, v.stderr)
  t.is((JSON.parse(v.stdout) as { shards: Array<{ actual: string }> }).shards[0]!.actual, sha256File(file))
  t.is(cli(['warm', file]).code, 0)
  t.is(cli(['residency', file]).code, 0)
  const i = cli(['inspect', file])
  t.is(i.code, 2)
  t.regex(i.stderr, /^modelmap: ERR_MODELMAP_INVALID_GGUF: .*corrupt\.gguf/)
})
