/** Text formatting for the CLI: sizes, durations, elided metadata values, aligned tables. */

import type { MetadataValue } from '../formats/gguf/parse.js'
import { escapeForTerminal, escapeJsonText } from './escape.js'

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`
}

export function duration(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toFixed(1)} µs`
  if (ms < 1000) return `${ms.toFixed(1)} ms`
  return `${(ms / 1000).toFixed(2)} s`
}

/** A metadata value on one line; long arrays show their length, type and first few items. */
export function elide(value: MetadataValue, max = 6): string {
  if (Array.isArray(value)) {
    const shown = value.slice(0, max).map((v) => elide(v, 3))
    const more = value.length > max ? `, … ${value.length - max} more` : ''
    return `[${shown.join(', ')}${more}] (${value.length})`
  }
  if (typeof value === 'string') {
    const s = value.length > 80 ? `${value.slice(0, 77)}…` : value
    return escapeForTerminal(JSON.stringify(s))
  }
  if (typeof value === 'bigint') return `${value}n`
  return String(value)
}

/**
 * JSON with bigints as strings (the --json output). Exact: parsing it gives the same strings,
 * while no raw control character (DEL, C1, bidi controls) reaches a terminal it is printed on.
 */
export function toJson(value: unknown): string {
  return escapeJsonText(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2))
}

/** An aligned text table; cells are escaped for the terminal (they hold tensor names). */
export function table(headers: string[], cells: string[][], rightAligned: number[] = []): string {
  const rows = cells.map((r) => r.map(escapeForTerminal))
  // A loop, not Math.max(...column): spreading 130,000 rows into one call overflowed the stack.
  const widths = headers.map((h) => h.length)
  for (const r of rows) for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, (r[i] ?? '').length)
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAligned.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

export function percent(part: number | null, whole: number): string {
  if (part === null) return 'unknown'
  return whole === 0 ? '100%' : `${((100 * part) / whole).toFixed(0)}%`
}
