/**
 * `npm run bench -- fuzz`: a million mutated GGUF files and 200k safetensors through the parsers.
 * Every input must parse or fail with the format's typed error; anything else is a finding.
 */

import * as fs from 'node:fs'
import * as path from 'node:path'

import fc from 'fast-check'

import { GGUFValueType as T, typedArrayValue, writeGguf } from '..'
import { mutated, parseHostile } from '../__test__/fuzz-targets'
import { benchDir } from './fixtures'
import { markdownTable } from './stats'

function ggufSeed(): Uint8Array {
  const file = path.join(benchDir, 'fuzz-seed.gguf')
  const pattern = (n: number) => new Uint8Array(n).map((_, i) => (i * 37) & 0xff)
  writeGguf(file, {
    metadata: {
      'general.architecture': { type: T.STRING, value: 'llama' },
      'general.alignment': { type: T.UINT32, value: 32 },
      'x.u64': { type: T.UINT64, value: 7n },
      'tokenizer.ggml.tokens': { type: T.ARRAY, subType: T.STRING, value: ['<s>', 'a', 'bc', 'def', '🙂'] },
      'x.nested': { type: T.ARRAY, subType: T.ARRAY, value: [typedArrayValue([1, 2], T.INT32)] },
      'x.f': { type: T.ARRAY, subType: T.FLOAT32, value: [1, 2, 3] },
    },
    tensors: [
      { name: 'a', dtype: 'F32', shape: [4, 2], data: pattern(32) },
      { name: 'b', dtype: 'Q8_0', shape: [32], data: pattern(34) },
      { name: 'c', dtype: 'Q4_K', shape: [256], data: pattern(144) },
    ],
  })
  return new Uint8Array(fs.readFileSync(file))
}

function safetensorsSeed(): Uint8Array {
  const header = Buffer.from(JSON.stringify({ __metadata__: { k: 'v' }, a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, b: { dtype: 'I8', shape: [3], data_offsets: [16, 19] } }))
  const seed = Buffer.alloc(8 + header.length + 19)
  seed.writeBigUInt64LE(BigInt(header.length))
  header.copy(seed, 8)
  return new Uint8Array(seed)
}

export function fuzz(ggufRuns = Number(process.env.FUZZ_RUNS ?? 1_000_000), safetensorsRuns = Math.round(ggufRuns / 5)): string {
  const rows: string[][] = []
  for (const [format, seed, runs] of [
    ['gguf', ggufSeed(), ggufRuns],
    ['safetensors', safetensorsSeed(), safetensorsRuns],
  ] as const) {
    const outcomes = { parsed: 0, rejected: 0 }
    const findings: string[] = []
    const start = performance.now()
    fc.assert(
      fc.property(mutated(seed), (bytes) => {
        try {
          outcomes[parseHostile(format, bytes)]++
        } catch (err) {
          if (findings.length < 5) findings.push(`${(err as Error).name}: ${(err as Error).message}`)
          throw err
        }
      }),
      { seed: 20261124, numRuns: runs },
    )
    const seconds = (performance.now() - start) / 1000
    rows.push([format, String(runs), String(outcomes.parsed), String(outcomes.rejected), String(findings.length), `${(runs / seconds).toFixed(0)}/s`])
  }
  return markdownTable(['format', 'inputs', 'parsed', 'rejected (typed error)', 'findings', 'rate'], rows)
}
