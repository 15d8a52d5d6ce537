/**
 * Tensor values: every type decoded by modelmap against llama.cpp's gguf-py (numpy) on the same
 * bytes, and against the memory floor, a Float32Array.set() of the same output into an array
 * already touched, in the same run. Per type, 16 Mi values (64 MiB of f32) from a GGUF tensor
 * on the mmap backend, the page cache hot:
 * - toFloat32({ into }) into a touched array, synchronous, every core;
 * - toFloat32() into new memory (which the decoding threads touch first);
 * - decode({ into }) into a touched SharedArrayBuffer-backed array (the job writes in place) and
 *   into an ArrayBuffer-backed one (slices copied on the JS thread);
 * - gguf-py's dequantize, one thread, as it runs.
 * Then the worst event-loop stall during a decode() of 1 GiB of output.
 */

import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import { openGguf, writeGguf } from '..'
import { worstEventLoopGap } from '../fixtures/event-loop-gap'
import { patternBytes } from '../scripts/pattern-bytes'
import { benchDir } from './fixtures'
import { formatMs, markdownTable, median } from './stats'

const ELEMENTS = 16 << 20
const MiB = 2 ** 20

/** (name, block size, bytes per block, f16 scale offsets in a block) */
const TYPES: Array<[string, number, number, number[]]> = [
  ['Q4_0', 32, 18, [0]],
  ['Q4_1', 32, 20, [0, 2]],
  ['Q5_0', 32, 22, [0]],
  ['Q5_1', 32, 24, [0, 2]],
  ['Q8_0', 32, 34, [0]],
  ['Q2_K', 256, 84, [80, 82]],
  ['Q3_K', 256, 110, [108]],
  ['Q4_K', 256, 144, [0, 2]],
  ['Q5_K', 256, 176, [0, 2]],
  ['Q6_K', 256, 210, [208]],
  ['IQ1_S', 256, 50, [0]],
  ['IQ1_M', 256, 56, []],
  ['IQ2_XXS', 256, 66, [0]],
  ['IQ2_XS', 256, 74, [0]],
  ['IQ2_S', 256, 82, [0]],
  ['IQ3_XXS', 256, 98, [0]],
  ['IQ3_S', 256, 110, [0]],
  ['IQ4_NL', 32, 18, [0]],
  ['IQ4_XS', 256, 136, [0]],
  ['TQ1_0', 256, 54, [52]],
  ['TQ2_0', 256, 66, [64]],
  ['MXFP4', 32, 17, []],
  ['NVFP4', 64, 36, []],
  ['F16', 1, 2, []],
  ['BF16', 1, 2, []],
]

/** Random blocks whose scales are finite (no NaN or infinity to skew anyone's timing). */
function blocks(name: string, block: number, size: number, scales: number[]): Uint8Array {
  const bytes = patternBytes((ELEMENTS / block) * size, name.length * 7 + size)
  for (let at = 0; at < bytes.length; at += size) {
    for (const o of scales) bytes[at + o + 1] = bytes[at + o + 1]! & 0x3f
    if (name === 'IQ1_M') bytes[at + 55] = bytes[at + 55]! & 0xbf
    if (name === 'MXFP4') bytes[at] = 100 + (bytes[at]! % 40)
    if (name === 'F16' || name === 'BF16') bytes[at + 1] = bytes[at + 1]! & 0x3f
  }
  return bytes
}

function timed(runs: number, fn: () => void): number {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    fn()
    times.push(performance.now() - t0)
  }
  return median(times)
}

async function timedAsync(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await fn()
    times.push(performance.now() - t0)
  }
  return median(times)
}

function ggufPy(file: string, name: string): number | string {
  try {
    const out = JSON.parse(execFileSync('python3', [path.join(__dirname, 'children', 'gguf-py-dequantize.py'), file, name, '3'], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } })) as { ms: number[] }
    return median(out.ms)
  } catch (err) {
    return `not run: ${String((err as Error).message).split('\n')[0]}`
  }
}

export async function values(): Promise<string> {
  const floorSrc = new Float32Array(ELEMENTS).fill(1.5)
  const touched = new Float32Array(ELEMENTS).fill(0)
  const shared = new Float32Array(new SharedArrayBuffer(ELEMENTS * 4)).fill(0)
  const floor = timed(7, () => touched.set(floorSrc))
  const fresh = timed(3, () => new Float32Array(ELEMENTS).fill(1))
  const gbps = (ms: number) => `${((ELEMENTS * 4) / MiB / (ms / 1000)).toFixed(0)} MiB/s`
  const rows: string[][] = []
  const targets: Record<string, number[]> = {}
  for (const [name, block, size, scales] of TYPES) {
    const data = blocks(name, block, size, scales)
    const raw = path.join(benchDir, `${name}.bin`)
    fs.writeFileSync(raw, data)
    const file = path.join(benchDir, `${name}.gguf`)
    writeGguf(file, { metadata: {}, tensors: [{ name: 'w', dtype: name, shape: [ELEMENTS / 64, 64], data }] })
    using gg = openGguf(file)
    const tensor = gg.tensor('w')
    tensor.toFloat32({ into: touched })
    const into = timed(7, () => void tensor.toFloat32({ into: touched }))
    const alloc = timed(3, () => void tensor.toFloat32())
    const decShared = await timedAsync(5, () => tensor.decode({ into: shared }))
    const decCopy = await timedAsync(5, () => tensor.decode({ into: touched }))
    const py = ggufPy(raw, name)
    const vsPy = (ms: number) => (typeof py === 'number' ? `${(py / ms).toFixed(0)}×` : '–')
    targets[name] = [into / floor, decShared / floor]
    rows.push([
      name,
      typeof py === 'number' ? `${formatMs(py)} (${gbps(py)})` : py,
      `${formatMs(into)} (${gbps(into)})`,
      vsPy(into),
      `${(into / floor).toFixed(2)}×`,
      `${formatMs(alloc)} (${vsPy(alloc)})`,
      `${formatMs(decShared)} (${(decShared / floor).toFixed(2)}×)`,
      `${formatMs(decCopy)} (${(decCopy / floor).toFixed(2)}×)`,
    ])
    fs.rmSync(raw)
    fs.rmSync(file)
  }
  // A decode of 1 GiB of output, the event loop's worst gap meanwhile.
  const big = path.join(benchDir, 'big.gguf')
  writeGguf(big, { metadata: {}, tensors: [{ name: 'w', dtype: 'Q4_K', shape: [8192, 32768], data: bigQ4K() }] })
  using bg = openGguf(big)
  const stall = await worstEventLoopGap(() => bg.tensor('w').decode())
  const idle = await worstEventLoopGap(() => new Promise((resolve) => setTimeout(resolve, stall.ms)))
  // Into an ArrayBuffer, the slices run on this thread (with helpers): the gap is one slice's time.
  const staging = new Float32Array(256 << 20).fill(0)
  const stallInto = await worstEventLoopGap(() => bg.tensor('w').decode({ into: staging }))
  fs.rmSync(big)
  return (
    `${ELEMENTS / 2 ** 20} Mi values per type (64 MiB of f32), medians; gguf-py 0.19 with numpy, one thread. Memory floor: Float32Array.set() of 64 MiB into a touched array, ${formatMs(floor)} (${gbps(floor)}); a new Float32Array of 64 MiB filled once (first touch): ${formatMs(fresh)}.\n\n` +
    markdownTable(['type', 'gguf-py dequantize', 'toFloat32({ into })', 'vs gguf-py', 'vs floor', 'toFloat32() new memory (vs gguf-py)', 'decode({ into: shared }) (vs floor)', 'decode({ into: ArrayBuffer }) (vs floor)'], rows) +
    `\n\ndecode() of 1 GiB of f32 output (Q4_K, 268M values): ${formatMs(stall.ms)}, worst event-loop gap ${formatMs(stall.worstMs)} (an idle event loop's worst gap over the same time: ${formatMs(idle.worstMs)}); into a touched ArrayBuffer-backed array: ${formatMs(stallInto.ms)}, worst gap ${formatMs(stallInto.worstMs)}.`
  )
}

/** 256 Mi Q4_K values (1 GiB of f32 output). */
function bigQ4K(): Uint8Array {
  const n = (256 << 20) / 256
  const out = new Uint8Array(n * 144)
  const one = blocks('Q4_K', 256, 144, [0, 2])
  for (let at = 0; at < out.length; at += one.length) out.set(one.subarray(0, Math.min(one.length, out.length - at)), at)
  return out
}
