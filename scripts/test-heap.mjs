// Runs the ava suite with the heap backend forced (MODELMAP_BACKEND=heap), portably.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// ava's bin (its exports map hides the file from require.resolve).
const ava = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'ava', 'entrypoints', 'cli.mjs')
const result = spawnSync(process.execPath, [ava, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, MODELMAP_BACKEND: 'heap' },
})
process.exit(result.status ?? 1)
