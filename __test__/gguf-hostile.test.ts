import * as fs from 'node:fs'

import test from 'ava'
import fc from 'fast-check'

import { GGUFValueType, ModelData, ModelDataError, openGguf, typedArrayValue, writeGguf } from '..'
import { ggufFuzzSeed, MemoryWatch, mutated, parseHostile } from '../fixtures/fuzz-targets'
import { patternBytes, tmpPath } from './helpers'

const T = GGUFValueType

/** A raw little-endian v3 GGUF assembled field by field, so any field can hold any value. */
class Raw {
  parts: Buffer[] = []
  u32(n: number) {
    const b = Buffer.alloc(4)
    b.writeUInt32LE(n)
    this.parts.push(b)
    return this
  }
  u64(n: bigint | number) {
    const b = Buffer.alloc(8)
    b.writeBigUInt64LE(BigInt(n))
    this.parts.push(b)
    return this
  }
  str(s: string, claimed?: bigint) {
    const bytes = Buffer.from(s)
    this.u64(claimed ?? BigInt(bytes.length))
    this.parts.push(bytes)
    return this
  }
  bytes(b: Uint8Array | number[]) {
    this.parts.push(Buffer.from(b as Uint8Array))
    return this
  }
  header(tensors: bigint | number, kvs: bigint | number, version = 3) {
    this.parts.push(Buffer.from('GGUF'))
    return this.u32(version).u64(tensors).u64(kvs)
  }
  build() {
    return Buffer.concat(this.parts)
  }
}

/** Pads to 32 and appends `data` (the default alignment). */
function withData(r: Raw, data: Uint8Array): Buffer {
  const head = r.build()
  const start = Math.ceil(head.length / 32) * 32
  return Buffer.concat([head, Buffer.alloc(start - head.length), data])
}

const tensorInfo = (r: Raw, name: string, dims: number[], type: number, offset: bigint | number) => {
  r.str(name).u32(dims.length)
  for (const d of dims) r.u64(d)
  return r.u32(type).u64(offset)
}

const cases: Array<[string, () => Buffer, RegExp]> = [
  ['bad magic', () => Buffer.concat([Buffer.from('GGML'), Buffer.alloc(20)]), /bad magic/],
  ['unsupported version', () => new Raw().header(0, 0, 4).build(), /unsupported version 4/],
  ['truncated before the counts', () => new Raw().header(0, 0).build().subarray(0, 12), /past the end/],
  ['metadata count larger than any file', () => new Raw().header(0, 1n << 60n).build(), /larger than any file/],
  ['tensor count larger than any file', () => new Raw().header(1n << 60n, 0).build(), /larger than any file/],
  ['counts within the limits but more than the file holds', () => new Raw().header(200_000, 60_000).build(), /more than the \d+-byte file can hold/],
  // Corrupt is not a limit: over maxTensors / maxMetadataEntries, but no file this size could hold them.
  ['a 4 KiB file claiming 2^40 tensors', () => new Raw().header(1n << 40n, 0).bytes(new Array(4096).fill(0)).build(), /claims 0 metadata entries and 1099511627776 tensors, more than the 4\d{3}-byte file can hold/],
  ['a 4 KiB file claiming 2^40 metadata entries', () => new Raw().header(0, 1n << 40n).bytes(new Array(4096).fill(0)).build(), /claims 1099511627776 metadata entries and 0 tensors/],
  ['key longer than the file', () => new Raw().header(0, 1).str('k', 1n << 40n).bytes(new Array(16).fill(0)).build(), /claims 1099511627776 bytes but only/],
  ['string value longer than the file', () => new Raw().header(0, 1).str('k').u32(T.STRING).str('v', 100_000n).build(), /claims 100000 bytes/],
  ['unknown value type', () => new Raw().header(0, 1).str('k').u32(13).u32(0).build(), /unknown value type 13/],
  ['array claims a billion elements', () => new Raw().header(0, 1).str('k').u32(T.ARRAY).u32(T.UINT32).u64(1_000_000_000).build(), /claims 1000000000 elements/],
  ['array of unknown element type', () => new Raw().header(0, 1).str('k').u32(T.ARRAY).u32(99).u64(1).build(), /unknown element type 99/],
  ['duplicate key', () => new Raw().header(0, 2).str('k').u32(T.UINT8).bytes([1]).str('k').u32(T.UINT8).bytes([2]).build(), /duplicate metadata key/],
  ['alignment not a power of two', () => new Raw().header(0, 1).str('general.alignment').u32(T.UINT32).u32(3).build(), /power of two/],
  ['too many dimensions', () => tensorInfo(new Raw().header(1, 0), 'w', [1, 1, 1, 1, 1, 1, 1, 1, 1], 0, 0).build(), /9 dimensions/],
  ['unknown ggml type', () => withData(tensorInfo(new Raw().header(1, 0), 'w', [4], 99, 0), new Uint8Array(16)), /unknown ggml type 99/],
  ['row not a multiple of the block size', () => withData(tensorInfo(new Raw().header(1, 0), 'w', [33], 8, 0), new Uint8Array(64)), /not a multiple of Q8_0's block size 32/],
  ['misaligned tensor offset', () => withData(tensorInfo(new Raw().header(1, 0), 'w', [1], 0, 4), new Uint8Array(64)), /not aligned to 32/],
  ['tensor data past the end', () => withData(tensorInfo(new Raw().header(1, 0), 'w', [64], 0, 0), new Uint8Array(16)), /past the end/],
  [
    'overlapping tensors',
    () => withData(tensorInfo(tensorInfo(new Raw().header(2, 0), 'a', [16], 0, 0), 'b', [16], 0, 32), new Uint8Array(128)),
    /overlap/,
  ],
  ['duplicate tensor name', () => withData(tensorInfo(tensorInfo(new Raw().header(2, 0), 'a', [4], 0, 0), 'a', [4], 0, 32), new Uint8Array(64)), /duplicate tensor name/],
  [
    'dimension larger than any file',
    () => withData(tensorInfo(new Raw().header(1, 0), 'w', [0], 0, 0), new Uint8Array(0)).fill(0xff, 40 + 4 + 1, 40 + 4 + 1 + 8),
    /./,
  ],
]

for (const [name, make, message] of cases) {
  test(`hostile GGUF: ${name} → ERR_MODELMAP_INVALID_GGUF with a byte offset`, (t) => {
    const err = t.throws(() => openGguf(ModelData.fromBuffer(make())), { instanceOf: ModelDataError })
    t.is(err?.code, 'ERR_MODELMAP_INVALID_GGUF')
    t.is(typeof err?.byteOffset, 'number')
    t.regex(err!.message, message)
  })
}

test('arrays nested deeper than limits.maxDepth (4) are refused with ERR_MODELMAP_LIMIT_EXCEEDED', (t) => {
  const file = tmpPath('deep.gguf')
  let value: unknown = typedArrayValue([1], T.INT32)
  for (let i = 0; i < 4; i++) value = typedArrayValue([value as never], T.ARRAY)
  writeGguf(file, { metadata: { deep: { type: T.ARRAY, subType: T.ARRAY, value: value as never } }, maxDepth: 5 })
  const err = t.throws(() => openGguf(file), { instanceOf: ModelDataError })
  t.is(err?.code, 'ERR_MODELMAP_LIMIT_EXCEEDED')
  t.regex(err!.message, /limits\.maxDepth/)
  t.notThrows(() => openGguf(file, { limits: { maxDepth: 5 } }).close(), 'raising the limit admits it')
})

test('a file truncated anywhere is a typed error, never a crash', (t) => {
  const file = tmpPath('full.gguf')
  writeGguf(file, {
    metadata: { 'general.architecture': { type: T.STRING, value: 'llama' }, 'tokenizer.ggml.tokens': { type: T.ARRAY, subType: T.STRING, value: ['a', 'bb', 'ccc'] } },
    tensors: [{ name: 'w', dtype: 'F32', shape: [8], data: patternBytes(32, 1) }],
  })
  const bytes = fs.readFileSync(file)
  for (let cut = 0; cut < bytes.length; cut++) {
    t.is(parseHostile('gguf', bytes.subarray(0, cut)), 'rejected', `cut at ${cut}`)
  }
  t.is(parseHostile('gguf', bytes), 'parsed')
})

test('fuzz: mutated GGUF files parse or fail with a typed error (fast-check, fixed seed)', (t) => {
  const seed = ggufFuzzSeed(tmpPath('seed.gguf'))
  const outcomes = { parsed: 0, rejected: 0 }
  const memory = new MemoryWatch()
  fc.assert(
    fc.property(mutated(seed), (bytes) => {
      outcomes[parseHostile('gguf', bytes)]++
      memory.tick()
    }),
    { seed: 424242, numRuns: 3000 },
  )
  t.log(`3000 mutated GGUF files: ${outcomes.parsed} parsed, ${outcomes.rejected} rejected with a typed error`)
  t.true(outcomes.rejected > 0 && outcomes.parsed > 0)
  // Inputs are under a kilobyte: memory that grows with what a file claims would show here.
  t.log(`peak JS heap + ArrayBuffer growth: ${(memory.peakGrowth / 2 ** 20).toFixed(1)} MiB`)
  t.true(memory.peakGrowth < 256 * 2 ** 20, `grew ${memory.peakGrowth} bytes`)
})
