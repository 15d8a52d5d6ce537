/**
 * Valid-looking files built to cost memory: shared by the budget tests (small, in CI) and
 * `npm run bench -- hostile` (the sizes the issue measured). Each writes straight to disk with a
 * buffered writer, so even a 150 MB input is made in about a second.
 */

import * as fs from 'node:fs'
import * as zlib from 'node:zlib'

class Writer {
  #fd: number
  #buf = Buffer.allocUnsafe(1 << 20)
  #used = 0

  constructor(path: string) {
    this.#fd = fs.openSync(path, 'w')
  }

  #room(n: number): void {
    if (this.#used + n > this.#buf.length) this.flush()
  }

  u32(n: number): this {
    this.#room(4)
    this.#buf.writeUInt32LE(n, this.#used)
    this.#used += 4
    return this
  }

  u64(n: number | bigint): this {
    this.#room(8)
    this.#buf.writeBigUInt64LE(BigInt(n), this.#used)
    this.#used += 8
    return this
  }

  u8(n: number): this {
    this.#room(1)
    this.#buf[this.#used++] = n
    return this
  }

  ascii(s: string): this {
    this.#room(s.length)
    this.#used += this.#buf.write(s, this.#used, 'latin1')
    return this
  }

  /** A GGUF (v3) string: u64 length, bytes. */
  str(s: string): this {
    return this.u64(s.length).ascii(s)
  }

  flush(): void {
    fs.writeSync(this.#fd, this.#buf, 0, this.#used)
    this.#used = 0
  }

  close(): void {
    this.flush()
    fs.closeSync(this.#fd)
  }
}

const GGUF = 0x46554747

/** A GGUF file of `count` empty F32 tensors (shape [0]) and no metadata: all header. */
export function ggufEmptyTensors(path: string, count: number): number {
  const w = new Writer(path).u32(GGUF).u32(3).u64(count).u64(0)
  for (let i = 0; i < count; i++) w.str(`blk.${i}.w`).u32(1).u64(0).u32(0).u64(0)
  w.close()
  // Pad to the default alignment: the (empty) data section starts there.
  const size = fs.statSync(path).size
  fs.truncateSync(path, Math.ceil(size / 32) * 32)
  return fs.statSync(path).size
}

/** A GGUF file of `count` UINT8 metadata entries and no tensors. */
export function ggufManyKeys(path: string, count: number): number {
  const w = new Writer(path).u32(GGUF).u32(3).u64(0).u64(count)
  for (let i = 0; i < count; i++) w.str(`key.${i}`).u32(0).u8(i & 0xff)
  w.close()
  return fs.statSync(path).size
}

function safetensorsHeader(path: string, writeJson: (w: Writer) => void, jsonLength: number): number {
  const w = new Writer(path).u64(jsonLength)
  writeJson(w)
  w.close()
  const size = fs.statSync(path).size
  if (size !== 8 + jsonLength) throw new Error(`header length ${jsonLength} but wrote ${size - 8}`)
  return size
}

/** A safetensors header of `depth` nested '[' (and the matching ']'): valid JSON, not a header. */
export function safetensorsNested(path: string, depth: number): number {
  return safetensorsHeader(
    path,
    (w) => {
      w.ascii('{"x":')
      for (let i = 0; i < depth; i += 65536) w.ascii('['.repeat(Math.min(65536, depth - i)))
      for (let i = 0; i < depth; i += 65536) w.ascii(']'.repeat(Math.min(65536, depth - i)))
      w.ascii('}')
    },
    6 + 2 * depth,
  )
}

/** A safetensors file with no tensors and `count` `__metadata__` entries. */
export function safetensorsMetadataKeys(path: string, count: number): number {
  const entry = (i: number) => `${i === 0 ? '' : ','}"k${i}":"v"`
  let length = '{"__metadata__":{'.length + '}}'.length
  for (let i = 0; i < count; i++) length += entry(i).length
  return safetensorsHeader(
    path,
    (w) => {
      w.ascii('{"__metadata__":{')
      for (let i = 0; i < count; i++) w.ascii(entry(i))
      w.ascii('}}')
    },
    length,
  )
}

/**
 * A .gz that inflates to `mib` MiB of zeros (about 1 KB per MiB): one gzip member of 1 MiB of
 * zeros, repeated (gunzip decodes concatenated members as one stream).
 */
export function gzipOfZeros(path: string, mib: number): number {
  const member = zlib.gzipSync(Buffer.alloc(1 << 20), { level: 9 })
  const fd = fs.openSync(path, 'w')
  try {
    const block = Buffer.concat(Array.from({ length: 64 }, () => member))
    for (let done = 0; done < mib; done += 64) fs.writeSync(fd, block, 0, member.length * Math.min(64, mib - done))
  } finally {
    fs.closeSync(fd)
  }
  return fs.statSync(path).size
}
