import test from 'ava'
import fc from 'fast-check'

import { mutated, parseHostile } from './fuzz-targets'

test('fuzz: mutated safetensors files parse or fail with a typed error (fast-check, fixed seed)', (t) => {
  const header = Buffer.from(JSON.stringify({ __metadata__: { k: 'v' }, a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, b: { dtype: 'I8', shape: [3], data_offsets: [16, 19] } }))
  const seed = Buffer.alloc(8 + header.length + 19)
  seed.writeBigUInt64LE(BigInt(header.length))
  header.copy(seed, 8)
  const outcomes = { parsed: 0, rejected: 0 }
  fc.assert(
    fc.property(mutated(new Uint8Array(seed)), (bytes) => {
      outcomes[parseHostile('safetensors', bytes)]++
    }),
    { seed: 4242, numRuns: 3000 },
  )
  t.log(`3000 mutated safetensors files: ${outcomes.parsed} parsed, ${outcomes.rejected} rejected`)
  t.true(outcomes.rejected > 0)
})
