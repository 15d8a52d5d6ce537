// Installs the benchmark-only peers in bench/peers (see bench/peers.ts): mmap-io needs C++17 to
// build against Node 20's V8 headers; node-llama-cpp is only read for its GGUF parser, so its
// llama.cpp download and prebuilt binaries (hundreds of MB) are skipped.
import { spawnSync } from 'node:child_process'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'peers')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const r = spawnSync(npm, ['ci', '--omit=optional', '--no-audit', '--no-fund'], {
  cwd: dir,
  stdio: 'inherit',
  shell: process.platform === 'win32',
  env: { ...process.env, CXXFLAGS: `${process.env.CXXFLAGS ?? ''} -std=c++17`.trim(), NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' },
})
process.exit(r.status ?? 1)
