/** The CLI's long-running commands: verify (sha256 of every shard) and warm (prefetch, optionally lock). */

import * as path from 'node:path'

import { readSmallFile } from '../backends/open-file.js'
import { escapeForTerminal } from './escape.js'
import { bytes, duration, percent } from './format.js'
import { progressBar } from './progress.js'
import { openFiles } from './target.js'
import type { Context, Output } from './commands.js'

function invalidArg(message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_VALUE' })
}

function hexDigest(value: string, what: string): string {
  const want = value.toLowerCase()
  if (!/^[0-9a-f]{64}$/.test(want)) throw invalidArg(`${what} must be 64 hex digits, got '${value}'`)
  return want
}

/** 16 MiB: a sha256sum line is ~80 bytes, so ~200,000 files. */
const MAX_CHECKSUM_FILE = 16 << 20

/**
 * A checksum file as `sha256sum` writes it: `<hex>  <name>` (text mode) or `<hex> *<name>`
 * (binary mode), names relative to the file's folder. Blank lines and # comments are skipped.
 */
export function readChecksumFile(file: string): Map<string, string> {
  const out = new Map<string, string>()
  const dir = path.dirname(path.resolve(file))
  readSmallFile(file, MAX_CHECKSUM_FILE, (size) => invalidArg(`'${file}' is ${size} bytes: a checksum file of more than ${MAX_CHECKSUM_FILE} bytes is refused`))
    .toString('utf8')
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (line.trim() === '' || line.startsWith('#')) return
      const m = /^\\?([0-9a-fA-F]{64}) [ *](.+)$/.exec(line)
      if (m === null) throw invalidArg(`${file}:${i + 1}: not a sha256sum line (expected '<64 hex digits>  <file name>')`)
      out.set(path.resolve(dir, m[2]!), m[1]!.toLowerCase())
    })
  return out
}

export interface VerifyOptions {
  /** Expected digests, one per shard in shard order. */
  sha256?: string[]
  /** A sha256sum-format file listing the shards. */
  checksums?: string
}

export async function verify(file: string, options: VerifyOptions, ctx: Context): Promise<Output> {
  const given = options.sha256?.map((d) => hexDigest(d, '--sha256'))
  const listed = options.checksums === undefined ? undefined : readChecksumFile(options.checksums)
  const target = openFiles(file)
  const bar = progressBar('sha256', target.byteLength, !ctx.json)
  try {
    const n = target.shards.length
    if (given !== undefined && given.length !== n) throw invalidArg(`--sha256 was given ${given.length} digest(s) but the model has ${n} file(s); give one per file, in shard order, or use --checksums`)
    const expected = target.shards.map((s, i) => given?.[i] ?? listed?.get(path.resolve(s.path)) ?? listed?.get(path.resolve(path.dirname(options.checksums!), path.basename(s.path))))
    const start = performance.now()
    const actual = await target.checksum({ signal: ctx.signal, onProgress: (p) => bar.update(p) })
    bar.stop()
    const seconds = (performance.now() - start) / 1000
    const shards = target.shards.map((s, i) => ({
      path: s.path,
      byteLength: s.data.byteLength,
      expected: expected[i] ?? null,
      actual: actual[i]!,
      ok: expected[i] === undefined ? null : expected[i] === actual[i],
    }))
    const compared = given !== undefined || listed !== undefined
    const ok = compared ? shards.every((s) => s.ok === true) : null
    const status = (s: (typeof shards)[number]) => (s.ok === null ? (compared ? 'UNLISTED' : 'SHA256') : s.ok ? 'OK' : 'MISMATCH')
    const rate = `${bytes(target.byteLength)} in ${duration(seconds * 1000)} (${bytes(target.byteLength / Math.max(seconds, 1e-9))}/s)`
    const text =
      n === 1 && compared
        ? `${ok ? 'OK' : 'MISMATCH'}  ${escapeForTerminal(file)}\n  expected ${shards[0]!.expected ?? '(not listed)'}\n  actual   ${shards[0]!.actual}\n  ${rate}`
        : [
            ...(compared ? [`${ok ? 'OK' : 'MISMATCH'}  ${escapeForTerminal(file)} (${n} files)`] : []),
            ...shards.map((s) => `${compared ? `${status(s).padEnd(9)} ` : ''}${s.actual}  ${escapeForTerminal(path.basename(s.path))}${s.ok === false ? `  (expected ${s.expected})` : ''}`),
            `  ${rate}`,
          ].join('\n')
    const single = n === 1 ? { expected: shards[0]!.expected, actual: shards[0]!.actual } : {}
    return {
      result: { file, ok, ...single, shards, byteLength: target.byteLength, seconds },
      text,
      exitCode: ok === false ? 1 : 0,
    }
  } finally {
    bar.stop()
    target.close()
  }
}

/**
 * Prefetches every file of the model into the page cache. With `lock`, the pages are also locked
 * (mlock) on a second open, and the command then holds the lock until it is interrupted (Ctrl-C,
 * SIGTERM): the lock lasts exactly as long as the command says it does.
 */
export async function warm(file: string, options: { lock: boolean; concurrency?: number }, ctx: Context): Promise<Output & { hold?: () => Promise<void> }> {
  const target = openFiles(file)
  try {
    const residency = () => {
      const parts = target.shards.map((s) => s.data.residency())
      const known = parts.every((r) => r.residentBytes !== null)
      return { residentBytes: known ? parts.reduce((a, r) => a + r.residentBytes!, 0) : null, totalBytes: target.byteLength }
    }
    const before = residency()
    const bar = progressBar('warm', target.byteLength, !ctx.json)
    const start = performance.now()
    try {
      await target.prefetch({ signal: ctx.signal, onProgress: (p) => bar.update(p), ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }) })
    } finally {
      bar.stop()
    }
    const seconds = (performance.now() - start) / 1000
    // The lock is its own open (opens are isolated, so its lock is its own); held below.
    const locking = options.lock && target.shards[0]!.data.isMmap ? openFiles(file, { lock: true }) : undefined
    const locked = locking?.shards.every((s) => s.data.locked) ?? false
    const after = residency()
    const n = target.shards.length
    const output: Output & { hold?: () => Promise<void> } = {
      result: { file, files: target.shards.map((s) => s.path), byteLength: target.byteLength, seconds, bytesPerSecond: target.byteLength / Math.max(seconds, 1e-9), before, after, locked },
      text: [
        `warmed ${escapeForTerminal(file)}${n > 1 ? ` (${n} files)` : ''}`,
        `  ${bytes(target.byteLength)} in ${duration(seconds * 1000)} (${bytes(target.byteLength / Math.max(seconds, 1e-9))}/s)`,
        `  in RAM: ${percent(before.residentBytes, before.totalBytes)} before, ${percent(after.residentBytes, after.totalBytes)} after`,
        ...(options.lock ? [`  lock: ${locked ? 'held until this command is interrupted (Ctrl-C)' : 'not available on this backend'}`] : []),
      ].join('\n'),
    }
    if (locking !== undefined) {
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
          locking.close()
        }
      }
    }
    return output
  } finally {
    target.close()
  }
}
