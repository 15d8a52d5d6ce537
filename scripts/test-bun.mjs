#!/usr/bin/env node
// `npm run test:bun`: the ava suite under Bun, installed from the npm registry as
// @oven/bun-linux-x64 into .runtimes/bun (Linux x64; the `bun` wrapper package's postinstall is
// not needed). Two harness shims, nothing in the library: Bun runs TypeScript itself (no
// --import=tsx), and ava's CLI calls v8.takeCoverage, which Bun does not implement.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

import { avaCli, root, runAva } from './run-ava.mjs'

if (process.argv[2] === '--ava') {
  // Inside Bun: shim what ava's CLI needs, then run it.
  const v8 = await import('node:v8')
  try {
    v8.default.takeCoverage()
  } catch {
    v8.default.takeCoverage = () => {}
  }
  process.argv.splice(2, 1)
  await import(avaCli)
} else {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    console.log(`skipped: the Bun run installs @oven/bun-linux-x64 (this is ${process.platform} ${process.arch})`)
    process.exit(0)
  }
  const version = process.env.MODELMAP_BUN_VERSION ?? '1.4'
  const prefix = path.join(root, '.runtimes', 'bun')
  const bun = path.join(prefix, 'node_modules', '@oven', 'bun-linux-x64', 'bin', 'bun')
  if (!fs.existsSync(bun)) {
    fs.mkdirSync(prefix, { recursive: true })
    fs.writeFileSync(path.join(prefix, 'package.json'), '{"private":true}')
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `@oven/bun-linux-x64@${version}`], { stdio: 'inherit' })
  }
  console.log(`\n== ava on Bun ${execFileSync(bun, ['--version'], { encoding: 'utf8' }).trim()} ==`)
  const avaPrefix = [fileURLToPath(import.meta.url), '--ava', '--config', path.join(root, 'ava.bun.config.mjs')]
  process.exit(runAva({ runtime: bun, prefix: avaPrefix, args: process.argv.slice(2), env: { MODELMAP_BACKEND: '' } }))
}
