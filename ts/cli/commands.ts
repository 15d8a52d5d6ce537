/** The four CLI commands. Each returns a result object (printed as JSON with --json) and text. */

import * as fs from 'node:fs'

import { ModelData } from '../model-data.js'
import { openGguf } from '../formats/gguf/open.js'
import { openSafetensors } from '../formats/safetensors.js'
import type { MetadataValue } from '../formats/gguf/parse.js'
import { detectFormat } from './detect.js'
import { bytes, duration, elide, percent, table } from './format.js'
import { progressBar } from './progress.js'

export interface Context {
  json: boolean
  signal: AbortSignal
}

export interface Output {
  result: unknown
  text: string
  exitCode?: number
}

interface TensorRow {
  name: string
  dtype: string
  shape: number[]
  byteOffset: number
  byteLength: number
}

/** Format, metadata and tensors. GGUF metadata keeps its lazy big arrays: they are decoded only
 * if read (inspect prints them; residency --tensors never touches them). */
function tensorsOf(model: ModelData): { format: string; metadata: Record<string, MetadataValue>; tensors: TensorRow[] } {
  const format = detectFormat(model)
  if (format === 'gguf') {
    const file = openGguf(model)
    return { format, metadata: file.metadata, tensors: file.tensors() }
  }
  if (format === 'safetensors') {
    const file = openSafetensors(model)
    return { format, metadata: file.metadata, tensors: file.tensors() }
  }
  return { format, metadata: {}, tensors: [] }
}

/** Long arrays in --json output: their length and first items, not 256k entries. */
function jsonMetadata(metadata: Record<string, MetadataValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(metadata)) out[k] = Array.isArray(v) && v.length > 16 ? { length: v.length, head: v.slice(0, 8) } : v
  return out
}

/** Median time of `fn` over `runs` calls, in ms. */
function medianMs(runs: number, fn: () => void): number {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    fn()
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  return times[times.length >> 1]!
}

export function inspect(file: string): Output {
  // Load the native binding first so the timings below measure opening, not loading the addon.
  void ModelData.nativeStatus
  const openMs = medianMs(5, () => ModelData.open(file).close())
  const start = performance.now()
  const model = ModelData.open(file)
  try {
    const { format, metadata, tensors } = tensorsOf(model)
    const parsedMs = performance.now() - start
    const readFileMs = model.byteLength < 2 ** 31 - 1 ? medianMs(5, () => void fs.readFileSync(file)) : undefined
    // Named fields only: spreading a tensor would read its lazy `data` and `array` getters.
    const rows = tensors.map((t) => ({
      name: t.name,
      dtype: t.dtype,
      shape: t.shape,
      byteOffset: t.byteOffset,
      byteLength: t.byteLength,
      residentBytes: model.residency(t.byteOffset, t.byteLength).residentBytes,
    }))
    const total = model.residency()
    const result = {
      file,
      format,
      backend: model.backend,
      byteLength: model.byteLength,
      openMs,
      openAndParseMs: parsedMs,
      readFileMs,
      residency: total,
      metadata: jsonMetadata(metadata),
      tensors: rows,
    }
    const lines = [
      `${file}`,
      `  format      ${format}`,
      `  size        ${bytes(model.byteLength)} (${model.byteLength} bytes)`,
      `  backend     ${model.backend}${model.isMmap ? ' (memory-mapped, zero-copy)' : ''}`,
      `  open        ${duration(openMs)} (median of 5); open + header parse ${duration(parsedMs)}` +
        (readFileMs === undefined ? '' : `; fs.readFile of the same file: ${duration(readFileMs)} (${(readFileMs / openMs).toFixed(0)}× the open, and a heap copy)`),
      `  in RAM      ${percent(total.residentBytes, total.totalBytes)} of the file is in the page cache`,
      '',
      `metadata (${Object.keys(metadata).length} keys)`,
      ...Object.entries(metadata).map(([k, v]) => `  ${k} = ${elide(v)}`),
      '',
      `tensors (${rows.length})`,
      table(
        ['name', 'dtype', 'shape', 'bytes', 'in RAM'],
        rows.map((t) => [t.name, t.dtype, `[${t.shape.join(', ')}]`, bytes(t.byteLength), percent(t.residentBytes, t.byteLength)]),
        [3, 4],
      ),
    ]
    return { result, text: lines.join('\n') }
  } finally {
    model.close()
  }
}

export async function verify(file: string, expected: string, ctx: Context): Promise<Output> {
  const want = expected.toLowerCase()
  if (!/^[0-9a-f]{64}$/.test(want)) throw Object.assign(new TypeError(`--sha256 must be 64 hex digits, got '${expected}'`), { code: 'ERR_INVALID_ARG_VALUE' })
  const model = ModelData.open(file, { advice: 'sequential' })
  const bar = progressBar('sha256', model.byteLength, !ctx.json)
  const start = performance.now()
  try {
    const actual = await model.checksum('sha256', { signal: ctx.signal, onProgress: (p) => bar.update(p) })
    bar.stop()
    const seconds = (performance.now() - start) / 1000
    const ok = actual === want
    return {
      result: { file, ok, expected: want, actual, byteLength: model.byteLength, seconds },
      text: `${ok ? 'OK' : 'MISMATCH'}  ${file}\n  expected ${want}\n  actual   ${actual}\n  ${bytes(model.byteLength)} in ${duration(seconds * 1000)} (${bytes(model.byteLength / Math.max(seconds, 1e-9))}/s)`,
      exitCode: ok ? 0 : 1,
    }
  } finally {
    bar.stop()
    model.close()
  }
}

export async function warm(file: string, options: { lock: boolean; concurrency?: number }, ctx: Context): Promise<Output> {
  const model = ModelData.open(file)
  const before = model.residency()
  const bar = progressBar('warm', model.byteLength, !ctx.json)
  const start = performance.now()
  try {
    await model.prefetch({ signal: ctx.signal, onProgress: (p) => bar.update(p), ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }) })
    bar.stop()
    const seconds = (performance.now() - start) / 1000
    let locked = false
    if (options.lock) {
      // Re-open with lock: the lock holds while this process lives, as mlock does.
      const lockedModel = ModelData.open(file, { lock: true })
      locked = lockedModel.locked
      lockedModel.close()
    }
    const after = model.residency()
    return {
      result: { file, byteLength: model.byteLength, seconds, bytesPerSecond: model.byteLength / Math.max(seconds, 1e-9), before, after, locked },
      text: [
        `warmed ${file}`,
        `  ${bytes(model.byteLength)} in ${duration(seconds * 1000)} (${bytes(model.byteLength / Math.max(seconds, 1e-9))}/s)`,
        `  in RAM: ${percent(before.residentBytes, before.totalBytes)} before, ${percent(after.residentBytes, after.totalBytes)} after`,
        ...(options.lock ? [`  lock: ${locked ? 'granted (released when this command exits)' : 'not available on this backend'}`] : []),
      ].join('\n'),
    }
  } finally {
    bar.stop()
    model.close()
  }
}

export function residency(file: string, perTensor: boolean): Output {
  const model = ModelData.open(file)
  try {
    const total = model.residency()
    const tensors = perTensor
      ? tensorsOf(model).tensors.map((t) => ({ name: t.name, byteLength: t.byteLength, residentBytes: model.residency(t.byteOffset, t.byteLength).residentBytes }))
      : undefined
    const text = [
      `${file}: ${total.residentBytes === null ? 'unknown' : bytes(total.residentBytes)} of ${bytes(total.totalBytes)} in RAM (${percent(total.residentBytes, total.totalBytes)})`,
      ...(tensors === undefined
        ? []
        : ['', table(['tensor', 'bytes', 'in RAM'], tensors.map((t) => [t.name, bytes(t.byteLength), percent(t.residentBytes, t.byteLength)]), [1, 2])]),
    ].join('\n')
    return { result: { file, backend: model.backend, ...total, tensors }, text }
  } finally {
    model.close()
  }
}
