/**
 * `npm run bench -- fuzz`: a million mutated GGUF files and 200k safetensors through the parsers.
 * Every input must parse or fail with a typed error (the format's, or a limit); anything else is a
 * finding. Peak JS heap growth is reported too: it must not follow what a file claims.
 */

import * as path from 'node:path'

import fc from 'fast-check'

import { ggufFuzzSeed, MemoryWatch, mutated, parseHostile, safetensorsFuzzSeed } from '../fixtures/fuzz-targets'
import { benchDir } from './fixtures'
import { markdownTable } from './stats'

export function fuzz(ggufRuns = Number(process.env.FUZZ_RUNS ?? 1_000_000), safetensorsRuns = Math.round(ggufRuns / 5)): string {
  const rows: string[][] = []
  for (const [format, seed, runs] of [
    ['gguf', ggufFuzzSeed(path.join(benchDir, 'fuzz-seed.gguf')), ggufRuns],
    ['safetensors', safetensorsFuzzSeed(), safetensorsRuns],
  ] as const) {
    const outcomes = { parsed: 0, rejected: 0 }
    const findings: string[] = []
    const memory = new MemoryWatch()
    const start = performance.now()
    fc.assert(
      fc.property(mutated(seed), (bytes) => {
        try {
          outcomes[parseHostile(format, bytes)]++
          memory.tick()
        } catch (err) {
          if (findings.length < 5) findings.push(`${(err as Error).name}: ${(err as Error).message}`)
          throw err
        }
      }),
      { seed: 20261124, numRuns: runs },
    )
    const seconds = (performance.now() - start) / 1000
    rows.push([format, String(runs), String(outcomes.parsed), String(outcomes.rejected), String(findings.length), `${(memory.peakGrowth / 2 ** 20).toFixed(1)} MiB`, `${(runs / seconds).toFixed(0)}/s`])
  }
  return markdownTable(['format', 'inputs', 'parsed', 'rejected (typed error)', 'findings', 'peak heap growth', 'rate'], rows)
}
