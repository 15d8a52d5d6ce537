/**
 * No reachable call crashes the process (DESIGN.md): a file truncated and re-extended under a
 * checksum or prefetch, thread creation refused by the OS, a lazily decoded array read after
 * close(). Each runs in a child process, so a signal fails one test, not the suite.
 */

import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

import test from 'ava'

import { openGguf, writeGguf, GGUFValueType } from '..'
import { heapForced, patternBytes, tmpPath, writeFixture } from './helpers'

const children = path.join(__dirname, 'children')

test('checksum() and prefetch() while another process truncates and re-extends the file: results or typed errors, never SIGBUS', (t) => {
  const bytes = patternBytes(32 << 20, 51)
  const file = writeFixture(bytes)
  const child = spawnSync(process.execPath, [path.join(children, 'truncate-under-jobs.cjs'), file], {
    encoding: 'utf8',
    env: process.env,
    timeout: 120_000,
  })
  t.is(child.signal, null, `child killed by ${child.signal}: ${child.stderr}`)
  t.is(child.status, 0, child.stderr)
  const out = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as { outcomes: Record<string, number>; truncations: number }
  t.log(`${out.truncations} truncate/extend cycles; outcomes ${JSON.stringify(out.outcomes)}`)
  if (process.platform === 'win32' && !heapForced) {
    // A mapped file cannot be truncated on Windows: the truncator is refused, every job succeeds.
    t.is(out.truncations, 0)
    t.deepEqual(Object.keys(out.outcomes).sort(), ['checksum:digest', 'prefetch:ok'])
    return
  }
  t.true(out.truncations > 0, 'the file was really truncated under the jobs')
  const allowed = new Set(['checksum:digest', 'checksum:ERR_MODELMAP_FILE_CHANGED', 'prefetch:ok', 'prefetch:ERR_MODELMAP_FILE_CHANGED'])
  for (const key of Object.keys(out.outcomes)) t.true(allowed.has(key), `unexpected outcome ${key}`)
})

test('populate and a 256-thread prefetch under a thread limit: no abort, fewer threads or a typed error', (t) => {
  if (process.platform !== 'linux') {
    t.pass('ulimit -u and /proc are Linux facts here; the Rust side uses Builder::spawn_scoped everywhere')
    return
  }
  const bytes = patternBytes(16 << 20, 52)
  // Readable by 'nobody': root ignores RLIMIT_NPROC, so as root the child runs as uid 65534.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmap-nproc-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.chmodSync(dir, 0o755)
  const file = path.join(dir, 'model.bin')
  fs.writeFileSync(file, bytes, { mode: 0o644 })
  const asRoot = process.getuid?.() === 0
  // The limit counts every task of the user: allow what it already runs plus 40, enough for Node
  // (~12 threads) and far fewer than the 256 asked for.
  const script = `n=$(grep -ls "^Uid:[[:space:]]*$(id -u)[[:space:]]" /proc/[0-9]*/task/*/status 2>/dev/null | wc -l)
    ulimit -u $((n + 40)) && exec "$0" "$@"`
  const child = spawnSync('bash', ['-c', script, process.execPath, path.join(children, 'thread-limit.cjs'), file], {
    encoding: 'utf8',
    env: process.env,
    timeout: 120_000,
    ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
  })
  t.is(child.signal, null, `child killed by ${child.signal}: ${child.stderr}`)
  t.is(child.status, 0, child.stderr)
  const out = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as { sha?: string; error?: string }
  if (out.error !== undefined) t.regex(out.error, /^(ERR_MODELMAP_|E[A-Z]+$)/, 'a typed error')
  else t.is(out.sha, createHash('sha256').update(bytes).digest('hex'))
})

test('a lazily decoded GGUF array read after close() decodes (the views it holds stay valid) and never spins', (t) => {
  const file = tmpPath('lazy.gguf')
  const tokens = Array.from({ length: 5000 }, (_, i) => `token-${i}`)
  writeGguf(file, {
    metadata: {
      'general.architecture': { type: GGUFValueType.STRING, value: 'llama' },
      'tokenizer.ggml.tokens': { type: GGUFValueType.ARRAY, subType: GGUFValueType.STRING, value: tokens },
    },
    tensors: [{ name: 'w', dtype: 'F32', shape: [16], data: new Uint8Array(64) }],
  })
  const child = spawnSync(
    process.execPath,
    [
      '-e',
      `const { openGguf } = require(${JSON.stringify(path.join(__dirname, '..'))})
       const f = openGguf(process.argv[1]); f.close()
       let out; try { const t = f.metadata['tokenizer.ggml.tokens']; out = { length: t.length, last: t.at(-1) } } catch (e) { out = { code: e.code } }
       console.log(JSON.stringify(out))`,
      file,
    ],
    { encoding: 'utf8', env: process.env, timeout: 30_000 },
  )
  t.is(child.signal, null, `child did not finish: ${child.signal} (a spinning parser is killed by the timeout)`)
  t.is(child.status, 0, child.stderr)
  const out = JSON.parse(child.stdout) as { length?: number; last?: string; code?: string }
  if (out.code !== undefined) t.is(out.code, 'ERR_MODELMAP_CLOSED')
  else t.deepEqual(out, { length: 5000, last: 'token-4999' })
  // In this process too, with `using`.
  let metadata: Record<string, unknown>
  {
    using f = openGguf(file)
    metadata = f.metadata
  }
  t.is((metadata['tokenizer.ggml.tokens'] as string[]).length, 5000)
})
