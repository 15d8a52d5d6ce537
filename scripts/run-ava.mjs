// Runs the ava suite in a child (`runtime` with `args` before ava's CLI) and then says how many
// Python cross-checks were skipped for want of a Python package: each test that skips one
// appends a line to the file MODELMAP_SKIPPED_REFERENCES names (__test__/python.ts). With
// MODELMAP_REQUIRE_REFERENCES=1 (as .ci/run sets it) a missing package fails its test instead.
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
// ava's bin (its exports map hides the file from require.resolve).
export const avaCli = path.join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs')

/** Runs ava; returns its exit status. `prefix` comes before ava's CLI (a runtime's own script). */
export function runAva({ runtime = process.execPath, prefix = [avaCli], args = [], env = {} } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmap-skips-'))
  const log = path.join(dir, 'skipped.txt')
  const result = spawnSync(runtime, [...prefix, ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env, MODELMAP_SKIPPED_REFERENCES: log },
  })
  reportSkips(log)
  fs.rmSync(dir, { recursive: true, force: true })
  return result.status ?? 1
}

function reportSkips(log) {
  let lines = []
  try {
    lines = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean)
  } catch {
    return
  }
  if (lines.length === 0) return
  const modules = [...new Set(lines)].sort()
  console.log(
    `\n${lines.length} Python cross-check${lines.length === 1 ? ' was' : 's were'} skipped: no Python package ${modules.join(', ')}.` +
      `\nTo run them: python3 -m pip install gguf==0.19.0 safetensors numpy ml_dtypes; MODELMAP_REQUIRE_REFERENCES=1 makes a missing package fail the run (as .ci/run does).`,
  )
}
