/**
 * The CLI's tensor values: `modelmap tensor MODEL NAME [--head N] [--stats]` and
 * `inspect --stats`, a quick health check of a quantized or converted model (NaN and infinity
 * counts, range, mean and spread of every tensor), computed through the decoders with a
 * progress bar, nothing kept.
 */

import { ModelDataError } from '../errors.js'
import type { TensorStats } from '../backends/backend.js'
import type { ModelTensor } from '../model/open-model.js'
import { escapeForTerminal } from './escape.js'
import { bytes, table } from './format.js'
import { progressBar } from './progress.js'
import { openTarget } from './target.js'
import type { CliTarget, TensorRow } from './target.js'
import type { Context, Output } from './commands.js'

/** The shortest decimal that reads back as the same float32 (JSON-safe for NaN and infinities). */
export function shortest(v: number): number | string {
  if (!Number.isFinite(v)) return String(v)
  for (let digits = 1; digits <= 9; digits++) {
    const s = Number(v.toPrecision(digits))
    if (Math.fround(s) === v) return s
  }
  return v
}

function text(v: number | string): string {
  return typeof v === 'number' ? String(v) : v
}

/** The first `n` values, decoding only the rows that hold them. */
function head(tensor: ModelTensor, n: number): Float32Array {
  const total = tensor.shape.reduce((a, d) => a * d, 1)
  const outer = tensor.rowCount
  const perRow = outer === 0 ? 0 : total / outer
  const rows = perRow === 0 ? 0 : Math.min(outer, Math.ceil(Math.min(n, total) / perRow))
  return tensor.toFloat32({ rows: [0, rows] }).subarray(0, Math.min(n, total))
}

export interface StatsRow {
  stats: TensorStats | null
  /** Why there are none (a type with no decoder). */
  skipped?: string
}

/** Statistics of every tensor in `rows`, one progress bar over all of them. */
export async function statsOf(target: CliTarget, rows: TensorRow[], ctx: Context): Promise<StatsRow[]> {
  const elements = (r: TensorRow) => r.shape.reduce((a, d) => a * d, 1)
  const total = rows.reduce((a, r) => a + elements(r) * 4, 0)
  const bar = progressBar('stats', total, !ctx.json)
  let before = 0
  const out: StatsRow[] = []
  try {
    for (const row of rows) {
      const tensor = target.tensor(row.name)!
      try {
        const stats = await tensor.stats({ signal: ctx.signal, onProgress: (p) => bar.update({ bytesDone: before + p.bytesDone, totalBytes: total }) })
        out.push({ stats })
      } catch (err) {
        if (!(err instanceof ModelDataError) || err.code !== 'ERR_MODELMAP_UNSUPPORTED') throw err
        out.push({ stats: null, skipped: err.message })
      }
      before += elements(row) * 4
      bar.update({ bytesDone: before, totalBytes: total })
    }
  } finally {
    bar.stop()
  }
  return out
}

/** The table cells of one tensor's statistics. */
export function statsCells(s: StatsRow): string[] {
  if (s.stats === null) return ['–', '–', '–', '–', '–', '–']
  const st = s.stats
  const num = (v: number) => (Number.isNaN(v) ? '–' : text(shortest(Math.fround(v))))
  return [num(st.min), num(st.max), num(st.mean), num(st.std), String(st.nan), String(st.posInf + st.negInf)]
}

export const STATS_HEADERS = ['min', 'max', 'mean', 'std', 'NaN', 'inf']

/** JSON form of statistics: NaN as null. */
export function statsJson(s: StatsRow): unknown {
  if (s.stats === null) return { skipped: s.skipped }
  return Object.fromEntries(Object.entries(s.stats).map(([k, v]) => [k, Number.isNaN(v) ? null : v]))
}

export async function tensorCommand(file: string, name: string, options: { head: number; stats: boolean }, ctx: Context): Promise<Output> {
  const target = openTarget(file)
  try {
    const tensor = target.tensor(name)
    if (tensor === undefined) throw new ModelDataError(`'${file}' is not a GGUF or safetensors model: it has no tensors`, { code: 'ERR_MODELMAP_UNKNOWN_FORMAT', path: file })
    const values = options.head > 0 ? [...head(tensor, options.head)].map(shortest) : []
    const row = target.tensors().find((t) => t.name === name)!
    const stats = options.stats ? (await statsOf(target, [row], ctx))[0]! : undefined
    const multi = target.shards.length > 1
    const result = {
      file,
      name: tensor.name,
      dtype: tensor.dtype,
      shape: tensor.shape,
      shard: tensor.shard,
      byteOffset: tensor.byteOffset,
      byteLength: tensor.byteLength,
      head: values,
      ...(stats === undefined ? {} : { stats: statsJson(stats) }),
    }
    const lines = [
      `${escapeForTerminal(tensor.name)}  ${tensor.dtype}  [${tensor.shape.join(', ')}]  ${bytes(tensor.byteLength)} at byte ${tensor.byteOffset}${multi ? ` of shard ${tensor.shard + 1}/${target.shards.length}` : ''}`,
      ...(values.length === 0 ? [] : [`first ${values.length} values: ${values.map(text).join(', ')}`]),
      ...(stats === undefined
        ? []
        : stats.stats === null
          ? [`stats: ${escapeForTerminal(stats.skipped ?? '')}`]
          : ['', table(['count', ...STATS_HEADERS], [[String(stats.stats.count), ...statsCells(stats)]], [0, 1, 2, 3, 4, 5, 6])]),
    ]
    return { result, text: lines.join('\n') }
  } finally {
    target.close()
  }
}
