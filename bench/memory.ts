/** Resident memory after opening + parsing a 4 GiB GGUF and creating every tensor view, per approach, each in a fresh process. */

import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import { writeGguf, GGUFValueType as T } from '..'
import { benchDir } from './fixtures'
import { formatBytes, headline, markdownTable } from './stats'

export function bigGguf(gib = 4): string {
  const file = path.join(benchDir, `model-${gib}GiB.gguf`)
  if (fs.existsSync(file)) return file
  const tensorBytes = 64 << 20 // 64 MiB F16 tensors, written as holes (sparse)
  const count = (gib * 1024) / 64
  writeGguf(file, {
    metadata: { 'general.architecture': { type: T.STRING, value: 'llama' } },
    tensors: Array.from({ length: count }, (_, i) => ({ name: `blk.${i}.weight`, dtype: 'F16', shape: [8192, tensorBytes / 2 / 8192], data: tensorBytes })),
  })
  return file
}

export function memory(): string {
  const file = bigGguf(4)
  const growth: Record<string, number> = {}
  const rows = (['mmap', 'heap', 'readFile'] as const).map((variant) => {
    const out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'children', 'rss.ts'), variant, file], { encoding: 'utf8' })) as { views: number; rssGrowth: number; note: string }
    growth[variant] = out.rssGrowth
    const name = variant === 'readFile' ? 'fs.readFileSync' : `modelmap (${variant})`
    return [name, out.note ? `fails: ${out.note}` : formatBytes(out.rssGrowth), String(out.views)]
  })
  // The mmap growth is within noise of zero, so the ratio is taken against a 1 MiB floor.
  headline('4 GiB GGUF, all tensors viewed: RSS heap / mmap (1 MiB floor)', growth.heap! / Math.max(growth.mmap!, 1 << 20))
  return `${formatBytes(fs.statSync(file).size)} GGUF, ${(4 * 1024) / 64} tensors of 64 MiB; each approach in a fresh process.\n\n` + markdownTable(['approach', 'RSS growth', 'tensor views'], rows)
}
