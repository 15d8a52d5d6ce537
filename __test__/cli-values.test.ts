/** The CLI's tensor values: `modelmap tensor` and `inspect --stats` (a health check). */

import { spawnSync } from 'node:child_process'
import * as path from 'node:path'

import test from 'ava'

import { openGguf, writeGguf } from '..'
import { guardUnchanged, tmpPath } from './helpers'

const bin = path.join(__dirname, '..', 'bin', 'modelmap.js')
const demo = path.join(__dirname, '..', 'models', 'demo-llama.gguf')

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

test('tensor prints the first values (as the API decodes them) and --stats the statistics', (t) => {
  guardUnchanged(t, demo)
  const r = cli('tensor', demo, 'blk.0.ffn_down.weight', '--head', '5', '--stats')
  t.is(r.code, 0, r.stderr)
  t.regex(r.stdout, /^blk\.0\.ffn_down\.weight {2}Q6_K {2}\[768, 256\] {2}157\.5 KiB at byte \d+/)
  using gg = openGguf(demo)
  const expected = [...gg.tensor('blk.0.ffn_down.weight').toFloat32().subarray(0, 5)]
  const printed = r.stdout.match(/first 5 values: (.*)/)![1]!.split(', ').map(Number)
  t.deepEqual(printed.map((v) => Math.fround(v)), expected, 'each printed value reads back as the same float32')
  t.regex(r.stdout, /count\s+min\s+max\s+mean\s+std\s+NaN\s+inf/)
  t.regex(r.stdout, /196608 .* 0 +0$/m)
})

test('tensor --json: head values, statistics of the finite values, NaN and infinities counted', async (t) => {
  const file = tmpPath('nan.gguf')
  const values = Float32Array.from([1, 2, NaN, Infinity, -Infinity, 3, 4, 5])
  writeGguf(file, { metadata: {}, tensors: [{ name: 'x', dtype: 'F32', shape: [8], data: new Uint8Array(values.buffer) }] })
  const r = cli('tensor', file, 'x', '--stats', '--json')
  t.is(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout) as { head: Array<number | string>; stats: Record<string, number | null> }
  t.deepEqual(out.head, [1, 2, 'NaN', 'Infinity', '-Infinity', 3, 4, 5])
  t.like(out.stats, { count: 8, finite: 5, nan: 1, posInf: 1, negInf: 1, min: 1, max: 5, mean: 3 })
  t.true(Math.abs(out.stats.std! - Math.sqrt(2)) < 1e-12)
  using gg = openGguf(file)
  t.like(await gg.tensor('x').stats(), { finite: 5, nan: 1, mean: 3 })
})

test('inspect --stats adds min / max / mean / std / NaN / inf per tensor and a verdict; types with no decoder are listed, not fatal', (t) => {
  const r = cli('inspect', demo, '--stats')
  t.is(r.code, 0, r.stderr)
  t.regex(r.stdout, /name\s+dtype\s+shape\s+bytes\s+in RAM\s+min\s+max\s+mean\s+std\s+NaN\s+inf/)
  t.regex(r.stdout, /health: no NaN or infinite value in any tensor/)
  const file = tmpPath('mixed.gguf')
  writeGguf(file, {
    metadata: {},
    tensors: [
      { name: 'ok', dtype: 'F16', shape: [4], data: new Uint8Array(new Uint16Array([0x3c00, 0x7e00, 0x4000, 0x7c00]).buffer) },
      { name: 'odd', dtype: 'Q8_K', shape: [256], data: 292 },
    ],
  })
  const mixed = cli('inspect', file, '--stats', '--json')
  t.is(mixed.code, 0, mixed.stderr)
  const out = JSON.parse(mixed.stdout) as { tensors: Array<{ name: string; stats: Record<string, unknown> }> }
  t.like(out.tensors[0]!.stats, { nan: 1, posInf: 1, finite: 2, min: 1, max: 2 })
  t.regex(String(out.tensors[1]!.stats.skipped), /Q8_K/)
  const text = cli('inspect', file, '--stats')
  t.regex(text.stdout, /health: 1 tensor\(s\) hold NaN or infinite values: ok/)
  t.regex(text.stdout, /1 tensor\(s\) of types with no decoder were not checked/)
})

test('tensor: a name the model lacks is a typed error; a negative --head is refused', (t) => {
  const r = cli('tensor', demo, 'nope')
  t.is(r.code, 2)
  t.regex(r.stderr, /ERR_INVALID_ARG_VALUE: no tensor named 'nope'/)
  const bad = cli('tensor', demo, 'output.weight', '--head', '-1')
  t.is(bad.code, 2)
})
