/**
 * The `modelmap` command: inspect, tensor, verify, warm, residency. Errors print one line (code and
 * message) and exit 2; --debug adds the stack. Ctrl-C aborts the running job through the same
 * AbortSignal the API takes, and exits 130.
 */

import * as fs from 'node:fs'
import * as path from 'node:path'

import { Command, CommanderError } from 'commander'

import { AbortError } from '../errors.js'
import { inspect, residency } from './commands.js'
import { verify, warm } from './jobs.js'
import { tensorCommand } from './values.js'
import type { Context, Output } from './commands.js'
import { escapeForTerminal } from './escape.js'
import { toJson } from './format.js'

const MODEL_ARG = 'a .gguf or .safetensors file, any shard of a set, a .safetensors.index.json, a folder, or a repo id in the Hugging Face cache'

/** The small model the repository ships, inspected when no file is given. */
const DEMO_MODEL = path.join(__dirname, '..', '..', 'models', 'demo-llama.gguf')

function defaultFile(file: string | undefined): string {
  if (file !== undefined) return file
  if (fs.existsSync(DEMO_MODEL)) return DEMO_MODEL
  throw Object.assign(new TypeError('no file given (the bundled demo model is only in the repository)'), { code: 'ERR_INVALID_ARG_VALUE' })
}

function positiveInt(value: string): number {
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 1) throw Object.assign(new TypeError(`expected a positive integer, got '${value}'`), { code: 'ERR_INVALID_ARG_VALUE' })
  return n
}

function nonNegativeInt(value: string): number {
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 0) throw Object.assign(new TypeError(`expected an integer >= 0, got '${value}'`), { code: 'ERR_INVALID_ARG_VALUE' })
  return n
}

/** The error line: one code, then the message; anything from a file in it escaped. */
export function errorLine(err: unknown): string {
  const e = err as Error & { code?: string }
  const code = e.code ?? e.name
  const message = e.message.startsWith(`${code}: `) ? e.message.slice(code.length + 2) : e.message
  return `modelmap: ${code}: ${escapeForTerminal(message)}`
}

/**
 * Output into a pipe its reader closed (`modelmap inspect big.gguf | head -1`): stop quietly with
 * the status a process killed by SIGPIPE has (141), as coreutils do, instead of an unhandled
 * EPIPE stack trace.
 */
let pipeWatched = false
function quietOnClosedPipe(): void {
  if (pipeWatched) return
  pipeWatched = true
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(141)
      throw err
    })
  }
}

export async function main(argv = process.argv): Promise<number> {
  quietOnClosedPipe()
  const controller = new AbortController()
  const onSignal = (name: string) => () => controller.abort(new Error(`interrupted (${name})`))
  const onSigint = onSignal('Ctrl-C')
  const onSigterm = onSignal('SIGTERM')
  process.on('SIGINT', onSigint)
  process.on('SIGTERM', onSigterm)
  const program = new Command()
  let json = false
  let debug = false
  let exitCode = 0
  const run = async (fn: (ctx: Context) => Promise<Output & { hold?: () => Promise<void> }>) => {
    const ctx = { json, signal: controller.signal }
    const out = await fn(ctx)
    // A Ctrl-C that arrived while the command worked wins over printing its result.
    if (controller.signal.aborted && out.hold === undefined) throw new AbortError('interrupted', { cause: controller.signal.reason })
    process.stdout.write(`${json ? toJson(out.result) : out.text}\n`)
    exitCode = out.exitCode ?? 0
    if (out.hold !== undefined) {
      process.stderr.write('modelmap: holding the lock; Ctrl-C to release it and exit\n')
      await out.hold()
    }
  }
  program
    .name('modelmap')
    .description('Memory-map ML model files (GGUF, safetensors) and look inside them without reading them.')
    .option('--json', 'machine-readable output')
    .option('--debug', 'print stack traces on errors')
    .hook('preAction', (cmd) => {
      json = Boolean(cmd.opts().json)
      debug = Boolean(cmd.opts().debug)
    })
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
  program
    .command('inspect')
    .description('format, size, backend, metadata (long arrays elided) and a tensor table with page-cache residency')
    .argument('[model]', `${MODEL_ARG} (default: the bundled demo model)`)
    .option('--stats', "every tensor's min / max / mean / std and NaN / inf counts, decoded (a health check)")
    .action((file: string | undefined, opts: { stats?: boolean }) => run((ctx) => inspect(defaultFile(file), ctx, file === undefined, Boolean(opts.stats))))
  program
    .command('tensor')
    .description("one tensor's values: the first few, and with --stats min / max / mean / std and NaN / inf counts")
    .argument('<model>', MODEL_ARG)
    .argument('<name>', 'the tensor')
    .option('--head <n>', 'how many values to print (0: none)', nonNegativeInt, 16)
    .option('--stats', 'decode every value for statistics (progress on stderr)')
    .action((file: string, name: string, opts: { head: number; stats?: boolean }) => run((ctx) => tensorCommand(file, name, { head: opts.head, stats: Boolean(opts.stats) }, ctx)))
  program
    .command('verify')
    .description('sha256 of every file of the model; against expected digests, exit 0 if all match, 1 if not')
    .argument('<model>', MODEL_ARG)
    .option('--sha256 <hex...>', 'expected digest(s), one per file in shard order')
    .option('--checksums <file>', 'expected digests in sha256sum format (names relative to that file)')
    .action((file: string, opts: { sha256?: string[]; checksums?: string }) => run((ctx) => verify(file, opts, ctx)))
  program
    .command('warm')
    .description('read the model into the page cache (parallel prefetch) with progress and throughput')
    .argument('<model>', MODEL_ARG)
    .option('--lock', 'also lock it in RAM, and hold the lock until interrupted (Ctrl-C)')
    .option('--concurrency <n>', 'chunks in flight', positiveInt)
    .action((file: string, opts: { lock?: boolean; concurrency?: number }) => run((ctx) => warm(file, { lock: Boolean(opts.lock), ...(opts.concurrency === undefined ? {} : { concurrency: opts.concurrency }) }, ctx)))
  program
    .command('residency')
    .description('how much of the model is in RAM, per file and in total')
    .argument('<model>', MODEL_ARG)
    .option('--tensors', 'per tensor (GGUF, safetensors)')
    .action((file: string, opts: { tensors?: boolean }) => run((ctx) => residency(file, Boolean(opts.tensors), ctx)))

  try {
    await program.parseAsync(argv)
    return exitCode
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2
    if (err instanceof AbortError || controller.signal.aborted) {
      process.stderr.write('modelmap: aborted\n')
      return 130
    }
    process.stderr.write(`${errorLine(err)}\n`)
    if (debug) process.stderr.write(`${((err as Error).stack ?? '').split('\n').map(escapeForTerminal).join('\n')}\n`)
    return 2
  } finally {
    process.removeListener('SIGINT', onSigint)
    process.removeListener('SIGTERM', onSigterm)
  }
}
