/** The CLI's inspect and residency commands. Each returns a result object (printed as JSON with --json) and text. */

import * as fs from 'node:fs'
import * as path from 'node:path'

import { ModelData } from '../model-data.js'
import type { Residency } from '../backends/backend.js'
import type { MetadataValue } from '../formats/gguf/parse.js'
import { AbortError } from '../errors.js'
import { escapeForTerminal } from './escape.js'
import { bytes, duration, elide, percent, table } from './format.js'
import { openFiles, openTarget, residencyBeforeOpen } from './target.js'
import type { CliFiles, CliTarget, TensorRow } from './target.js'
import { STATS_HEADERS, statsCells, statsJson, statsOf } from './values.js'
import type { StatsRow } from './values.js'

/** Right-aligned columns of the tensor table: from "bytes" on, and every statistics column. */
function rightColumns(base: number, statsColumns: number): number[] {
  return Array.from({ length: base - 3 + statsColumns }, (_, i) => i + 3)
}

/** The health check's verdict under the tensor table: tensors with NaN or infinite values. */
function healthLines(rows: TensorRow[], stats: StatsRow[]): string[] {
  const bad = rows.filter((_, i) => (stats[i]!.stats?.nan ?? 0) + (stats[i]!.stats?.posInf ?? 0) + (stats[i]!.stats?.negInf ?? 0) > 0)
  const skipped = stats.filter((s) => s.stats === null).length
  return [
    '',
    bad.length === 0 ? 'health: no NaN or infinite value in any tensor' : `health: ${bad.length} tensor(s) hold NaN or infinite values: ${bad.slice(0, 10).map((r) => escapeForTerminal(r.name)).join(', ')}${bad.length > 10 ? ', …' : ''}`,
    ...(skipped === 0 ? [] : [`(${skipped} tensor(s) of types with no decoder were not checked)`]),
  ]
}

export interface Context {
  json: boolean
  signal: AbortSignal
}

export interface Output {
  result: unknown
  text: string
  exitCode?: number
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
export async function checkpoint(signal: AbortSignal): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve))
  if (signal.aborted) throw new AbortError('interrupted', { cause: signal.reason })
}

type ResidentRow = TensorRow & { residentBytes: number | null }

/** Residency of each tensor, yielding now and then so Ctrl-C is honoured on 100k-tensor models. */
async function tensorRows(target: CliTarget, signal: AbortSignal): Promise<ResidentRow[]> {
  const rows: ResidentRow[] = []
  for (const t of target.tensors()) {
    rows.push({ ...t, residentBytes: target.shards[t.shard]!.data.residency(t.byteOffset, t.byteLength).residentBytes })
    if (rows.length % 8192 === 0) await checkpoint(signal)
  }
  return rows
}

function sumResidency(parts: Residency[]): Residency {
  const known = parts.every((r) => r.residentBytes !== null)
  return { residentBytes: known ? parts.reduce((a, r) => a + r.residentBytes!, 0) : null, totalBytes: parts.reduce((a, r) => a + r.totalBytes, 0) }
}

/** One line per shard of a set (nothing for a single file). */
function shardLines(target: CliFiles, residency: Residency[]): string[] {
  if (target.shards.length === 1) return []
  const n = target.shards.length
  return [
    '',
    `shards (${n})`,
    table(
      ['#', 'file', 'size', 'tensors', 'in RAM'],
      target.shards.map((s, i) => [`${i + 1}/${n}`, path.basename(s.path), bytes(s.data.byteLength), String(s.tensorCount), percent(residency[i]!.residentBytes, residency[i]!.totalBytes)]),
      [2, 3, 4],
    ),
  ]
}

export async function inspect(file: string, ctx: Context, isDemo: boolean, withStats = false): Promise<Output> {
  // Load the native binding first so the timings below measure opening, not loading the addon.
  void ModelData.nativeStatus
  // Residency first: nothing below may change what the page cache held when we were asked.
  const before = residencyBeforeOpen(file)
  const start = performance.now()
  const target = openTarget(file)
  try {
    const parsedMs = performance.now() - start
    const openMs = medianMs(5, () => target.shards.forEach((s) => ModelData.open(s.path).close()))
    const shardResidency = target.shards.map((s) => before.get(path.resolve(s.path)) ?? s.data.residency())
    const total = sumResidency(shardResidency)
    await checkpoint(ctx.signal)
    const rows = await tensorRows(target, ctx.signal)
    const stats = withStats ? await statsOf(target, rows, ctx) : undefined
    const first = target.shards[0]!.data
    const multi = target.shards.length > 1
    // The read-everything comparison only for the small bundled demo model: on a user's model
    // it would read gigabytes and fill the page cache.
    const readFileMs = isDemo ? medianMs(5, () => void fs.readFileSync(file)) : undefined
    const result = {
      file,
      format: target.format,
      backend: first.backend,
      byteLength: target.byteLength,
      shards: target.shards.map((s, i) => ({ path: s.path, byteLength: s.data.byteLength, tensorCount: s.tensorCount, residency: shardResidency[i] })),
      openMs,
      openAndParseMs: parsedMs,
      ...(readFileMs === undefined ? {} : { readFileMs }),
      residency: total,
      metadata: jsonMetadata(target.metadata),
      tensors: stats === undefined ? rows : rows.map((r, i) => ({ ...r, stats: statsJson(stats[i]!) })),
    }
    const what = multi ? `${target.shards.length} files` : 'the file'
    const lines = [
      `${escapeForTerminal(file)}`,
      `  format      ${target.format}${multi ? `, ${target.shards.length} shards` : ''}`,
      `  size        ${bytes(target.byteLength)} (${target.byteLength} bytes)`,
      `  backend     ${first.backend}${first.isMmap ? ' (memory-mapped, zero-copy)' : ''}`,
      `  open        ${duration(openMs)} (median of 5${multi ? `, all ${target.shards.length} files` : ''}); open + header parse${multi ? ' + set validation' : ''} ${duration(parsedMs)}` +
        (readFileMs === undefined ? '' : `; fs.readFile of the same file: ${duration(readFileMs)} (${(readFileMs / openMs).toFixed(0)}× the open, and a heap copy)`),
      `  in RAM      ${percent(total.residentBytes, total.totalBytes)} of ${what} was in the page cache`,
      ...shardLines(target, shardResidency),
      '',
      `metadata (${Object.keys(target.metadata).length} keys)`,
      ...Object.entries(target.metadata).map(([k, v]) => `  ${escapeForTerminal(k)} = ${elide(v)}`),
      '',
      `tensors (${rows.length})`,
      table(
        [...(multi ? ['name', 'dtype', 'shape', 'bytes', 'in RAM', 'shard'] : ['name', 'dtype', 'shape', 'bytes', 'in RAM']), ...(stats === undefined ? [] : STATS_HEADERS)],
        rows.map((t, i) => [t.name, t.dtype, `[${t.shape.join(', ')}]`, bytes(t.byteLength), percent(t.residentBytes, t.byteLength), ...(multi ? [String(t.shard + 1)] : []), ...(stats === undefined ? [] : statsCells(stats[i]!))]),
        rightColumns(multi ? 6 : 5, stats === undefined ? 0 : STATS_HEADERS.length),
      ),
      ...(stats === undefined ? [] : healthLines(rows, stats)),
    ]
    return { result, text: lines.join('\n') }
  } finally {
    target.close()
  }
}

export async function residency(file: string, perTensor: boolean, ctx: Context): Promise<Output> {
  // Per tensor needs the headers parsed; the files' residency alone does not (a corrupt file
  // still has a page cache).
  const parsed = perTensor ? openTarget(file) : undefined
  const target: CliFiles = parsed ?? openFiles(file)
  try {
    const shardResidency = target.shards.map((s) => s.data.residency())
    const total = sumResidency(shardResidency)
    const tensors = parsed
      ? (await tensorRows(parsed, ctx.signal)).map((t) => ({ name: t.name, shard: t.shard, byteLength: t.byteLength, residentBytes: t.residentBytes }))
      : undefined
    const multi = target.shards.length > 1
    const text = [
      `${escapeForTerminal(file)}: ${total.residentBytes === null ? 'unknown' : bytes(total.residentBytes)} of ${bytes(total.totalBytes)} in RAM (${percent(total.residentBytes, total.totalBytes)})`,
      ...shardLines(target, shardResidency),
      ...(tensors === undefined
        ? []
        : [
            '',
            table(
              multi ? ['tensor', 'bytes', 'in RAM', 'shard'] : ['tensor', 'bytes', 'in RAM'],
              tensors.map((t) => [t.name, bytes(t.byteLength), percent(t.residentBytes, t.byteLength), ...(multi ? [String(t.shard + 1)] : [])]),
              multi ? [1, 2, 3] : [1, 2],
            ),
          ]),
    ].join('\n')
    const shards = target.shards.map((s, i) => ({ path: s.path, ...shardResidency[i]! }))
    return { result: { file, backend: target.shards[0]!.data.backend, ...total, shards, tensors }, text }
  } finally {
    target.close()
  }
}
