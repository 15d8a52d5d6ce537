/**
 * The hostile-input table at the sizes first measured: each input parsed in a fresh process, its
 * peak RSS above that process's baseline, time, and outcome, with the default limits and (where
 * the default refuses) with the limit raised to admit it. The budget tests run the same inputs
 * smaller in CI (__test__/budgets.test.ts).
 */

import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import { ggufEmptyTensors, ggufManyKeys, gzipOfZeros, safetensorsMetadataKeys, safetensorsNested } from '../fixtures/hostile-inputs'
import { benchDir } from './fixtures'
import { formatBytes, markdownTable } from './stats'

const script = path.join(__dirname, '..', 'fixtures', 'children', 'parse-peak.cjs')
const MiB = 1 << 20

interface Row {
  input: string
  call: string
  make: (file: string) => number
  raised?: Record<string, unknown>
  /** The bound this row is held to, from its file size (default: 8× the header + 64 MiB). */
  budget?: (size: number) => number
}

const inputs: Row[] = [
  { input: 'safetensors header of nested [ ] (98 MB)', call: 'openSafetensors.tensors', make: (f) => safetensorsNested(f, 49_000_000) },
  { input: 'safetensors, 6M __metadata__ keys', call: 'openSafetensors.tensors', make: (f) => safetensorsMetadataKeys(f, 6_000_000), raised: { limits: { maxMetadataEntries: 10_000_000 } } },
  { input: 'GGUF, 512k empty tensors', call: 'openGguf.tensors', make: (f) => ggufEmptyTensors(f, 524_288), raised: { limits: { maxTensors: 1 << 20 } } },
  { input: 'GGUF, 1M metadata keys', call: 'gguf', make: (f) => ggufManyKeys(f, 1_000_000), raised: { limits: { maxMetadataEntries: 1 << 20 } } },
  { input: 'GGUF, 4M empty tensors', call: 'openGguf.tensors', make: (f) => ggufEmptyTensors(f, 4_194_304), raised: { limits: { maxTensors: 1 << 23 } } },
  // Decompression is bounded by its caps, not by a header: 100× the input (the ratio cap) + 64 MiB.
  { input: '1 MB .gz of 1 GiB of zeros', call: 'open', make: (f) => gzipOfZeros(f, 1024), budget: (size) => 100 * size + 64 * MiB },
]

function measure(call: string, file: string, options: Record<string, unknown> = {}): { outcome: string; code?: string; ms: number; peakBytes: number } {
  const r = spawnSync(process.execPath, [script, call, file, JSON.stringify(options)], { encoding: 'utf8', timeout: 600_000 })
  if (r.status !== 0) return { outcome: `child died: ${r.signal ?? r.status}`, ms: NaN, peakBytes: NaN }
  return JSON.parse(r.stdout) as { outcome: string; code?: string; ms: number; peakBytes: number }
}

export function hostile(): string {
  const rows: string[][] = []
  for (const row of inputs) {
    const file = path.join(benchDir, `hostile-${rows.length}${row.call.includes('Safetensors') ? '.safetensors' : row.call === 'open' ? '.gguf.gz' : '.gguf'}`)
    const size = row.make(file)
    const runs: Array<[string, Record<string, unknown> | undefined]> = [['defaults', undefined]]
    if (row.raised !== undefined) runs.push([`raised: ${JSON.stringify(row.raised.limits)}`, row.raised])
    for (const [label, options] of runs) {
      const m = measure(row.call, file, options)
      const budget = row.budget?.(size) ?? 8 * size + 64 * MiB
      rows.push([
        row.input,
        `${row.call} (${label})`,
        formatBytes(size),
        m.outcome === 'ok' ? 'parsed' : (m.code ?? m.outcome),
        formatBytes(m.peakBytes),
        `${(m.peakBytes / size).toFixed(1)}×`,
        m.peakBytes <= budget ? 'yes' : 'NO',
        `${m.ms.toFixed(0)} ms`,
      ])
    }
    fs.rmSync(file)
  }
  return markdownTable(['input', 'call', 'file', 'outcome', 'peak RSS', '× file', 'within budget (8× + 64 MiB; .gz: cap + 64 MiB)', 'time'], rows)
}
