import test from 'ava'
import fc from 'fast-check'

import { MemoryWatch, mutated, parseHostile, safetensorsFuzzSeed } from '../fixtures/fuzz-targets'

test('fuzz: mutated safetensors files parse or fail with a typed error (fast-check, fixed seed)', (t) => {
  const seed = safetensorsFuzzSeed()
  const outcomes = { parsed: 0, rejected: 0 }
  const memory = new MemoryWatch()
  fc.assert(
    fc.property(mutated(seed), (bytes) => {
      outcomes[parseHostile('safetensors', bytes)]++
      memory.tick()
    }),
    { seed: 4242, numRuns: 3000 },
  )
  t.log(`3000 mutated safetensors files: ${outcomes.parsed} parsed, ${outcomes.rejected} rejected`)
  t.true(outcomes.rejected > 0)
  // Inputs are under a kilobyte: memory that grows with what a file claims would show here.
  t.log(`peak JS heap + ArrayBuffer growth: ${(memory.peakGrowth / 2 ** 20).toFixed(1)} MiB`)
  t.true(memory.peakGrowth < 256 * 2 ** 20, `grew ${memory.peakGrowth} bytes`)
})
