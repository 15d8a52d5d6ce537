import test from 'ava'
import fc from 'fast-check'

import { mutated, parseHostile, safetensorsFuzzSeed } from './fuzz-targets'

test('fuzz: mutated safetensors files parse or fail with a typed error (fast-check, fixed seed)', (t) => {
  const seed = safetensorsFuzzSeed()
  const outcomes = { parsed: 0, rejected: 0 }
  fc.assert(
    fc.property(mutated(seed), (bytes) => {
      outcomes[parseHostile('safetensors', bytes)]++
    }),
    { seed: 4242, numRuns: 3000 },
  )
  t.log(`3000 mutated safetensors files: ${outcomes.parsed} parsed, ${outcomes.rejected} rejected`)
  t.true(outcomes.rejected > 0)
})
