/**
 * Opening models in pieces: openModel over 100-shard sets (open, parse every header, validate the
 * set), with the floor (open + fstat + close of each file) and @huggingface/gguf's ggufAllShards
 * in the same run. Each row runs in its own process; 'held' is what holding one open model added
 * after full GCs (the JS heap is the precise figure; RSS moves by allocator pages).
 * Same tensor count with 1000× larger (sparse) files shows that memory follows tensors, not bytes.
 */

import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import { GGUFValueType, writeGguf } from '..'
import { benchDir } from './fixtures'
import { formatBytes, markdownTable } from './stats'

const MiB = 1 << 20

function ggufSet(name: string, shards: number, tensorsPerShard: number, bytesPerTensor: number): string[] {
  const dir = path.join(benchDir, name)
  fs.mkdirSync(dir)
  const tensors = Array.from({ length: shards * tensorsPerShard }, (_, i) => ({ name: `blk.${i}.weight`, dtype: 'F32', shape: [bytesPerTensor / 4], data: bytesPerTensor }))
  const metadata = { 'general.architecture': { type: GGUFValueType.STRING, value: 'llama' } }
  return writeGguf(path.join(dir, 'model.gguf'), { metadata, tensors, split: { maxTensors: tensorsPerShard } })
}

function safetensorsSet(name: string, shards: number, tensorsPerShard: number): string[] {
  const dir = path.join(benchDir, name)
  fs.mkdirSync(dir)
  const weightMap: Record<string, string> = {}
  const files: string[] = []
  for (let s = 0; s < shards; s++) {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`
    const header: Record<string, unknown> = { __metadata__: { format: 'pt' } }
    for (let i = 0; i < tensorsPerShard; i++) {
      const tname = `model.layers.${s}.w${i}`
      header[tname] = { dtype: 'F32', shape: [1024], data_offsets: [i * 4096, (i + 1) * 4096] }
      weightMap[tname] = file
    }
    const json = Buffer.from(JSON.stringify(header))
    const prefix = Buffer.alloc(8)
    prefix.writeBigUInt64LE(BigInt(json.length))
    fs.writeFileSync(path.join(dir, file), Buffer.concat([prefix, json, Buffer.alloc(tensorsPerShard * 4096)]))
    files.push(path.join(dir, file))
  }
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: shards * tensorsPerShard * 4096 }, weight_map: weightMap }))
  return files
}

interface Measured {
  medianMs: number
  heapGrowth: number
  rssGrowth: number
}

function run(how: string, source: string, files: string[]): Measured {
  const script = path.join(__dirname, 'children', 'open-set.ts')
  return JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, how, source, files.join('\n')], { encoding: 'utf8' })) as Measured
}

export function modelSets(): string {
  const sets = [
    { label: 'GGUF, 100 shards × 10 tensors, 40 KiB each', files: ggufSet('g-small', 100, 10, 4096), peers: true },
    { label: 'GGUF, 100 shards × 10 tensors, 1 GiB each (sparse)', files: ggufSet('g-large', 100, 10, 100 * MiB), peers: false },
    { label: 'GGUF, 100 shards × 100 tensors', files: ggufSet('g-many', 100, 100, 4096), peers: false },
    { label: 'safetensors + index, 100 shards × 10 tensors', files: safetensorsSet('st', 100, 10), peers: false },
  ]
  const rows: string[][] = []
  for (const set of sets) {
    const bytes = set.files.reduce((a, f) => a + fs.statSync(f).size, 0)
    const source = set.label.startsWith('safetensors') ? path.join(path.dirname(set.files[0]!), 'model.safetensors.index.json') : set.files[0]!
    const floor = run('floor', source, set.files)
    const ours = run('openModel', source, set.files)
    const row = (who: string, r: Measured, note = '') => [set.label, formatBytes(bytes), who, `${r.medianMs.toFixed(2)} ms`, `${(r.medianMs / floor.medianMs).toFixed(1)}×`, formatBytes(r.heapGrowth), formatBytes(r.rssGrowth), note]
    rows.push(row('fs open + fstat + close of each file (floor)', floor))
    rows.push(row('openModel (open, parse, validate)', ours))
    if (set.peers) {
      const hf = run('hf', source, set.files)
      rows.push(row('@huggingface/gguf ggufAllShards', hf, `openModel ${(hf.medianMs / ours.medianMs).toFixed(1)}× faster`))
    }
  }
  return markdownTable(['set', 'file bytes', 'how', 'median of 21', 'vs floor', 'JS heap held', 'RSS held', ''], rows)
}
