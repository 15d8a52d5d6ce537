/** The four CLI commands. Each returns a result object (printed as JSON with --json) and text. */

import * as fs from 'node:fs'

import { ModelData } from '../model-data.js'
import { openGguf } from '../formats/gguf/open.js'
import { openSafetensors } from '../formats/safetensors.js'
import type { MetadataValue } from '../formats/gguf/parse.js'
import { detectFormat } from '../formats/detect.js'
import { AbortError } from '../errors.js'
import { escapeForTerminal } from './escape.js'
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

/** Lets a pending Ctrl-C be delivered (signal handlers run between turns), then honours it. */
async function checkpoint(signal: AbortSignal): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve))
  if (signal.aborted) throw new AbortError('interrupted', { cause: signal.reason })
}

/** Residency of each tensor, yielding now and then so Ctrl-C is honoured on 100k-tensor files. */
async function tensorRows(model: ModelData, tensors: TensorRow[], signal: AbortSignal): Promise<Array<TensorRow & { residentBytes: number | null }>> {
  const rows: Array<TensorRow & { residentBytes: number | null }> = []
  for (const t of tensors) {
    // Named fields only: spreading a tensor would read its lazy `data` and `array` getters.
    rows.push({ name: t.name, dtype: t.dtype, shape: t.shape, byteOffset: t.byteOffset, byteLength: t.byteLength, residentBytes: model.residency(t.byteOffset, t.byteLength).residentBytes })
    if (rows.length % 8192 === 0) await checkpoint(signal)
  }
  return rows
}

export async function inspect(file: string, ctx: Context, isDemo: boolean): Promise<Output> {
  // Load the native binding first so the timings below measure opening, not loading the addon.
  void ModelData.nativeStatus
  const openMs = medianMs(5, () => ModelData.open(file).close())
  const start = performance.now()
  const model = ModelData.open(file)
  try {
    // Residency first: nothing below may change what the page cache held when we were asked.
    const total = model.residency()
    const { format, metadata, tensors } = tensorsOf(model)
    const parsedMs = performance.now() - start
    await checkpoint(ctx.signal)
    const rows = await tensorRows(model, tensors, ctx.signal)
    // The read-everything comparison only for the small bundled demo model: on a user's model
    // it would read gigabytes and fill the page cache.
    const readFileMs = isDemo ? medianMs(5, () => void fs.readFileSync(file)) : undefined
    const result = {
      file,
      format,
      backend: model.backend,
      byteLength: model.byteLength,
      openMs,
      openAndParseMs: parsedMs,
      ...(readFileMs === undefined ? {} : { readFileMs }),
      residency: total,
      metadata: jsonMetadata(metadata),
      tensors: rows,
    }
    const lines = [
      `${escapeForTerminal(file)}`,
      `  format      ${format}`,
      `  size        ${bytes(model.byteLength)} (${model.byteLength} bytes)`,
      `  backend     ${model.backend}${model.isMmap ? ' (memory-mapped, zero-copy)' : ''}`,
      `  open        ${duration(openMs)} (median of 5); open + header parse ${duration(parsedMs)}` +
        (readFileMs === undefined ? '' : `; fs.readFile of the same file: ${duration(readFileMs)} (${(readFileMs / openMs).toFixed(0)}× the open, and a heap copy)`),
      `  in RAM      ${percent(total.residentBytes, total.totalBytes)} of the file was in the page cache`,
      '',
      `metadata (${Object.keys(metadata).length} keys)`,
      ...Object.entries(metadata).map(([k, v]) => `  ${escapeForTerminal(k)} = ${elide(v)}`),
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
      text: `${ok ? 'OK' : 'MISMATCH'}  ${escapeForTerminal(file)}\n  expected ${want}\n  actual   ${actual}\n  ${bytes(model.byteLength)} in ${duration(seconds * 1000)} (${bytes(model.byteLength / Math.max(seconds, 1e-9))}/s)`,
      exitCode: ok ? 0 : 1,
    }
  } finally {
    bar.stop()
    model.close()
  }
}

/**
 * Prefetches the file into the page cache. With `lock`, the pages are also locked (mlock) on
 * this open, and the command then holds the lock until it is interrupted (Ctrl-C, SIGTERM):
 * the lock lasts exactly as long as the command says it does.
 */
export async function warm(file: string, options: { lock: boolean; concurrency?: number }, ctx: Context): Promise<Output & { hold?: () => Promise<void> }> {
  const model = ModelData.open(file)
  try {
    const before = model.residency()
    const bar = progressBar('warm', model.byteLength, !ctx.json)
    const start = performance.now()
    try {
      await model.prefetch({ signal: ctx.signal, onProgress: (p) => bar.update(p), ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }) })
    } finally {
      bar.stop()
    }
    const seconds = (performance.now() - start) / 1000
    // The lock is its own open (opens are isolated, so its lock is its own); held below.
    const lockedModel = options.lock && model.isMmap ? ModelData.open(file, { lock: true }) : undefined
    const locked = lockedModel?.locked ?? false
    const after = model.residency()
    const output: Output & { hold?: () => Promise<void> } = {
      result: { file, byteLength: model.byteLength, seconds, bytesPerSecond: model.byteLength / Math.max(seconds, 1e-9), before, after, locked },
      text: [
        `warmed ${escapeForTerminal(file)}`,
        `  ${bytes(model.byteLength)} in ${duration(seconds * 1000)} (${bytes(model.byteLength / Math.max(seconds, 1e-9))}/s)`,
        `  in RAM: ${percent(before.residentBytes, before.totalBytes)} before, ${percent(after.residentBytes, after.totalBytes)} after`,
        ...(options.lock ? [`  lock: ${locked ? 'held until this command is interrupted (Ctrl-C)' : 'not available on this backend'}`] : []),
      ].join('\n'),
    }
    if (lockedModel !== undefined) {
      // Printed first, then held: the caller awaits this after writing the report.
      output.hold = async () => {
        try {
          await new Promise<void>((resolve) => {
            if (ctx.signal.aborted) return resolve()
            // A pending promise does not keep Node running; a timer does, until the signal.
            const keepAlive = setInterval(() => {}, 1 << 30)
            ctx.signal.addEventListener(
              'abort',
              () => {
                clearInterval(keepAlive)
                resolve()
              },
              { once: true },
            )
          })
        } finally {
          lockedModel.close()
        }
      }
    }
    return output
  } finally {
    model.close()
  }
}

export async function residency(file: string, perTensor: boolean, ctx: Context): Promise<Output> {
  const model = ModelData.open(file)
  try {
    const total = model.residency()
    const tensors = perTensor
      ? (await tensorRows(model, tensorsOf(model).tensors, ctx.signal)).map((t) => ({ name: t.name, byteLength: t.byteLength, residentBytes: t.residentBytes }))
      : undefined
    const text = [
      `${escapeForTerminal(file)}: ${total.residentBytes === null ? 'unknown' : bytes(total.residentBytes)} of ${bytes(total.totalBytes)} in RAM (${percent(total.residentBytes, total.totalBytes)})`,
      ...(tensors === undefined
        ? []
        : ['', table(['tensor', 'bytes', 'in RAM'], tensors.map((t) => [t.name, bytes(t.byteLength), percent(t.residentBytes, t.byteLength)]), [1, 2])]),
    ].join('\n')
    return { result: { file, backend: model.backend, ...total, tensors }, text }
  } finally {
    model.close()
  }
}
