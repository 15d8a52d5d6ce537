/** Running the Python reference readers from tests (they run where Python has the packages). */

import { spawnSync } from 'node:child_process'
import * as path from 'node:path'

import type { ExecutionContext } from 'ava'

const python = process.env.PYTHON ?? 'python3'

/** True when `python3 -c "import <module>"` works; in CI a missing module fails the test instead. */
export function hasPythonModule(t: ExecutionContext, module: string): boolean {
  // The Windows run under wine (scripts/xplat.sh) has no Windows Python; these cross-checks of
  // platform-independent parsing run in the Linux suite of the same CI run.
  if (process.env.MODELMAP_NO_PYTHON === '1') {
    t.log(`skipped here: no Python on this runner (MODELMAP_NO_PYTHON=1); the Linux suite runs this cross-check`)
    return false
  }
  const probe = spawnSync(python, ['-c', `import ${module}`], { encoding: 'utf8' })
  if (probe.status === 0) return true
  if (process.env.CI) t.fail(`CI must have the Python '${module}' package (.ci/run installs it): ${probe.stderr || probe.error}`)
  else t.log(`skipped: Python package '${module}' not installed (pip install ${module})`)
  return false
}

export function runPython(script: string, args: string[]): unknown {
  const out = spawnSync(python, [path.join(__dirname, 'python', script), ...args], { encoding: 'utf8', maxBuffer: 64 << 20 })
  if (out.status !== 0) throw new Error(`${script} failed: ${out.stderr}`)
  return JSON.parse(out.stdout)
}
