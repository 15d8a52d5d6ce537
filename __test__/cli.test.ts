import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'

import test from 'ava'

import { guardUnchanged, heapForced, sparseFile, tmpPath } from './helpers'

const bin = path.join(__dirname, '..', 'bin', 'modelmap.js')
const demo = path.join(__dirname, '..', 'models', 'demo-llama.gguf')
const demoSha = createHash('sha256').update(fs.readFileSync(demo)).digest('hex')

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env } })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

test('inspect with no file inspects the bundled demo model', (t) => {
  guardUnchanged(t, demo)
  const r = cli('inspect')
  t.is(r.code, 0, r.stderr)
  t.regex(r.stdout, /format\s+gguf/)
  t.regex(r.stdout, /tensors \(39\)/)
  t.regex(r.stdout, /fs\.readFile of the same file/)
  t.regex(r.stdout, /tokenizer\.ggml\.tokens = \[.*… 2042 more\] \(2048\)/)
})

test('inspect --json: format, backend, elided arrays, tensor table with residency', (t) => {
  const r = cli('inspect', demo, '--json')
  t.is(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout) as { format: string; backend: string; tensors: Array<{ name: string; dtype: string; residentBytes: number | null }>; metadata: Record<string, unknown> }
  t.is(out.format, 'gguf')
  t.is(out.backend, heapForced ? 'heap' : 'mmap')
  t.is(out.tensors.length, 39)
  t.deepEqual(new Set(out.tensors.map((x) => x.dtype)), new Set(['Q8_0', 'F32', 'Q4_K', 'Q6_K', 'F16']))
  t.deepEqual((out.metadata['tokenizer.ggml.tokens'] as { length: number }).length, 2048)
})

test('format is detected from content, not the extension', (t) => {
  const disguised = tmpPath('model.bin')
  fs.copyFileSync(demo, disguised)
  t.is((JSON.parse(cli('inspect', disguised, '--json').stdout) as { format: string }).format, 'gguf')
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }))
  const st = Buffer.alloc(8 + header.length + 8)
  st.writeBigUInt64LE(BigInt(header.length))
  header.copy(st, 8)
  const stFile = tmpPath('weights.gguf')
  fs.writeFileSync(stFile, st)
  const out = JSON.parse(cli('inspect', stFile, '--json').stdout) as { format: string; tensors: unknown[] }
  t.is(out.format, 'safetensors')
  t.is(out.tensors.length, 1)
})

test('verify: exit 0 on a match, 1 on a mismatch, 2 on a malformed digest', (t) => {
  const ok = cli('verify', demo, '--sha256', demoSha, '--json')
  t.is(ok.code, 0, ok.stderr)
  t.is((JSON.parse(ok.stdout) as { ok: boolean }).ok, true)
  const bad = cli('verify', demo, '--sha256', '0'.repeat(64))
  t.is(bad.code, 1)
  t.regex(bad.stdout, /^MISMATCH/)
  const malformed = cli('verify', demo, '--sha256', 'xyz')
  t.is(malformed.code, 2)
  t.regex(malformed.stderr, /^modelmap: ERR_INVALID_ARG_VALUE: --sha256 must be 64 hex digits/)
})

test('errors are one line with the code, no stack trace unless --debug', (t) => {
  const r = cli('inspect', '/no/such/model.gguf')
  t.is(r.code, 2)
  t.is(r.stderr.trim().split('\n').length, 1)
  t.regex(r.stderr, /^modelmap: ENOENT: .*\/no\/such\/model\.gguf/)
  const debug = cli('inspect', '/no/such/model.gguf', '--debug')
  t.regex(debug.stderr, /\n\s+at /)
  const notGguf = tmpPath('junk.gguf')
  fs.writeFileSync(notGguf, 'GGUF\u0003\u0000\u0000\u0000' + 'x'.repeat(8))
  const invalid = cli('inspect', notGguf)
  t.regex(invalid.stderr, /^modelmap: ERR_MODELMAP_INVALID_GGUF: .*at byte \d+/)
})

test('warm and residency report the page cache, in text and JSON', (t) => {
  const w = cli('warm', demo, '--json', '--concurrency', '2')
  t.is(w.code, 0, w.stderr)
  const warmed = JSON.parse(w.stdout) as { after: { residentBytes: number | null; totalBytes: number } }
  if (process.platform !== 'win32') t.is(warmed.after.residentBytes, warmed.after.totalBytes)
  const r = cli('residency', demo, '--tensors', '--json')
  t.is(r.code, 0, r.stderr)
  t.is((JSON.parse(r.stdout) as { tensors: unknown[] }).tensors.length, 39)
  t.regex(cli('residency', demo).stdout, /in RAM/)
})

test('Ctrl-C cancels a long verify cleanly through the AbortSignal (exit 130)', async (t) => {
  if (process.platform === 'win32') return t.pass('no SIGINT delivery to a child on Windows')
  const big = sparseFile(16 * 1024 ** 3, [])
  const child = spawn(process.execPath, [bin, 'verify', big, '--sha256', '0'.repeat(64)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  await new Promise((resolve) => setTimeout(resolve, 700))
  const sent = performance.now()
  child.kill('SIGINT')
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  const ms = performance.now() - sent
  t.is(code, 130, stderr)
  t.regex(stderr, /modelmap: aborted/)
  t.log(`exited ${ms.toFixed(0)} ms after SIGINT`)
})
