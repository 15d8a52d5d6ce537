#!/usr/bin/env node
// `npm run test:deno`: scripts/smoke.cjs under Deno, installed from the npm registry as
// @deno/linux-x64-glibc into .runtimes/deno. ava does not run under Deno (its workers need
// Node's child_process IPC), so this is the smoke-plus-lifetimes script, twice: with every
// permission (the binding loads: mmap backend, lifetimes checked with --expose-gc), and without
// --allow-ffi (no binding can load: the heap fallback, with a reason that says --allow-ffi).
import { execFileSync, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.log(`skipped: the Deno run installs @deno/linux-x64-glibc (this is ${process.platform} ${process.arch})`)
  process.exit(0)
}
const version = process.env.MODELMAP_DENO_VERSION ?? '2.9'
const prefix = path.join(root, '.runtimes', 'deno')
const deno = path.join(prefix, 'node_modules', '@deno', 'linux-x64-glibc', 'deno')
if (!fs.existsSync(deno)) {
  fs.mkdirSync(prefix, { recursive: true })
  fs.writeFileSync(path.join(prefix, 'package.json'), '{"private":true}')
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `@deno/linux-x64-glibc@${version}`], { stdio: 'inherit' })
}
const smoke = path.join(root, 'scripts', 'smoke.cjs')
const runs = [
  { title: 'every permission: the mmap backend', args: ['-A'], env: {} },
  {
    title: 'without --allow-ffi: the heap fallback',
    args: ['--allow-read', '--allow-write', '--allow-env', '--allow-sys'],
    env: { MODELMAP_SMOKE_EXPECT_FALLBACK: '--allow-ffi' },
  },
]
let failed = 0
for (const run of runs) {
  console.log(`\n== Deno ${execFileSync(deno, ['--version'], { encoding: 'utf8' }).split('\n')[0]}, ${run.title} ==`)
  const env = { ...process.env, MODELMAP_BACKEND: '', ...run.env }
  delete env.MODELMAP_NATIVE
  const result = spawnSync(deno, ['run', ...run.args, '--v8-flags=--expose-gc', smoke], { cwd: root, stdio: 'inherit', env })
  if (result.status !== 0) failed++
}
process.exit(failed === 0 ? 0 : 1)
