/** Running the Python reference readers from tests (they run where Python has the packages). */

import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import type { ExecutionContext } from 'ava'

const python = process.env.PYTHON ?? 'python3'

/**
 * True when `python3 -c "import <module>"` works. Otherwise the cross-check is skipped (logged,
 * and counted for the summary scripts/run-ava.mjs prints), or, with MODELMAP_REQUIRE_REFERENCES=1
 * (.ci/run), the test fails: a cross-check that cannot run must not pass as skipped there.
 */
export function hasPythonModule(t: ExecutionContext, module: string): boolean {
  // The Windows run under wine (scripts/xplat.sh) has no Windows Python; these cross-checks of
  // platform-independent parsing run in the Linux suite of the same CI run.
  if (process.env.MODELMAP_NO_PYTHON === '1') {
    t.log(`skipped here: no Python on this runner (MODELMAP_NO_PYTHON=1); the Linux suite runs this cross-check`)
    return false
  }
  const probe = spawnSync(python, ['-c', `import ${module}`], { encoding: 'utf8' })
  if (probe.status === 0) return true
  if (process.env.MODELMAP_REQUIRE_REFERENCES === '1') {
    t.fail(`MODELMAP_REQUIRE_REFERENCES=1 and the Python '${module}' package cannot be imported (.ci/run installs it): ${probe.stderr || probe.error}`)
    return false
  }
  t.log(`skipped: Python package '${module}' not installed (pip install ${module})`)
  const log = process.env.MODELMAP_SKIPPED_REFERENCES
  if (log !== undefined && log !== '') fs.appendFileSync(log, `${module}\n`)
  return false
}

export function runPython(script: string, args: string[]): unknown {
  const out = spawnSync(python, [path.join(__dirname, 'python', script), ...args], { encoding: 'utf8', maxBuffer: 64 << 20 })
  if (out.status !== 0) throw new Error(`${script} failed: ${out.stderr}`)
  return JSON.parse(out.stdout)
}
