/** Loads the native binding once and says why when it cannot. */

import { constants as bufferConstants } from 'node:buffer'

import type * as Binding from '../native/index.js'

export type NativeBinding = typeof Binding

export interface NativeStatus {
  /** The binding loaded and can hand out zero-copy views. */
  available: boolean
  /** Why not, when it is not: the load error, or that the runtime forbids external buffers. */
  reason?: string
  /**
   * What `view.buffer` is by default: 'shared' (a SharedArrayBuffer: costs the GC nothing, valid
   * in every thread it reaches) where the runtime can share external memory, else 'arraybuffer'.
   * Undefined when the binding is unavailable.
   */
  viewBuffer?: 'shared' | 'arraybuffer'
}

let loaded: { binding: NativeBinding | undefined; status: NativeStatus } | undefined

/**
 * What this facade calls on the binding. A bundler that rewrote the `.node` require into
 * something else (esbuild's `--loader:.node=file` gives a path string), or a stale binary from
 * another build, is a load failure with a reason, so the heap fallback takes over.
 */
const REQUIRED_EXPORTS = [
  'NativeModelData',
  'NativeJob',
  'decodeInto',
  'decodeNew',
  'externalBuffersAllowed',
  'liveMappings',
  'setMaxViewLength',
  'setTeardownGuard',
  'sharedWindowsSupported',
] as const satisfies readonly (keyof NativeBinding)[]

const GENERIC_LOADER_MESSAGE = /^Cannot find native binding\b/
const NOT_FOUND_MESSAGE = /^Cannot find module\b/
// napi-rs's loader assigning exports onto what `require('….node')` gave: a path string where a
// bundler's file loader (esbuild `--loader:.node=file`) replaced the addon with its URL.
const BUNDLED_PATH_MESSAGE = /on string '[^']*\.node'/

interface DenoGlobal {
  permissions?: { querySync?: (descriptor: { name: string }) => { state: string } }
}

function denoGlobal(): DenoGlobal | undefined {
  return (globalThis as { Deno?: DenoGlobal }).Deno
}

/** Whether this is Deno and it was not given `--allow-ffi` (without it no binding loads). */
function denoWithoutFfi(): boolean {
  const deno = denoGlobal()
  if (deno === undefined) return false
  try {
    return deno.permissions?.querySync?.({ name: 'ffi' }).state !== 'granted'
  } catch {
    return false
  }
}

/**
 * The first line of every message down the `cause` chain. napi-rs's loader wraps what went
 * wrong in a generic "Cannot find native binding. npm has a bug…" error with the real causes
 * (a permission refusal, a bad ELF class, a missing package) several `cause`s down.
 */
function causeMessages(err: unknown): string[] {
  const messages: string[] = []
  const seen = new Set<unknown>()
  let current: unknown = err
  while (current !== undefined && current !== null && !seen.has(current) && messages.length < 16) {
    seen.add(current)
    const message = current instanceof Error ? current.message : String(current)
    messages.push(message.split('\n')[0] ?? '')
    current = current instanceof Error ? current.cause : undefined
  }
  return messages
}

/** Why the binding did not load, naming the cause that matters, not the loader's wrapper. */
export function loadFailureReason(err: unknown, withoutFfi: boolean = denoWithoutFfi()): string {
  const messages = causeMessages(err)
  const specific = messages.filter((m) => !GENERIC_LOADER_MESSAGE.test(m) && !NOT_FOUND_MESSAGE.test(m))
  const notFound = messages.filter((m) => NOT_FOUND_MESSAGE.test(m))
  let reason: string
  if (specific.length > 0) reason = specific.join('; ')
  else if (notFound.length > 0)
    reason = `no binary for ${process.platform}-${process.arch} was found (${notFound.join('; ')}); reinstall modelmap so npm fetches its platform package`
  else reason = messages.join('; ')
  if (messages.some((m) => BUNDLED_PATH_MESSAGE.test(m)))
    reason += ' (a bundler replaced the .node addon with its path; see README "Bundling")'
  if (withoutFfi && !reason.includes('--allow-ffi')) reason += '. Deno loads native addons only with --allow-ffi (deno run --allow-ffi …)'
  return `native binding failed to load: ${reason}`
}

/** Names what the loaded module lacks, or undefined when it has every export the facade calls. */
export function missingExports(candidate: unknown): string | undefined {
  if ((typeof candidate !== 'object' && typeof candidate !== 'function') || candidate === null) {
    const shown = typeof candidate === 'string' ? ` ${JSON.stringify(candidate.slice(0, 200))}` : ''
    return `the binding module is a ${candidate === null ? 'null' : typeof candidate}${shown}, not a native addon (a bundler rewrote the .node require; see README "Bundling")`
  }
  const missing = REQUIRED_EXPORTS.filter((name) => typeof (candidate as Record<string, unknown>)[name] !== 'function')
  if (missing.length === 0) return undefined
  return `the binding module lacks ${missing.join(', ')} (a binary from another modelmap build, or a bundler rewrote the .node require; see README "Bundling")`
}

function unavailable(reason: string): { binding: undefined; status: NativeStatus } {
  return { binding: undefined, status: { available: false, reason } }
}

function load(): { binding: NativeBinding | undefined; status: NativeStatus } {
  if (process.env.MODELMAP_NATIVE === '0') return unavailable('the native binding is turned off (MODELMAP_NATIVE=0)')
  let candidate: unknown
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    candidate = require('../native/index.js')
  } catch (err) {
    return unavailable(loadFailureReason(err))
  }
  const missing = missingExports(candidate)
  if (missing !== undefined) return unavailable(`native binding failed to load: ${missing}`)
  const binding = candidate as NativeBinding
  try {
    if (!binding.externalBuffersAllowed()) {
      return unavailable('this runtime forbids external buffers (V8 sandbox, e.g. Electron); views are read per call instead')
    }
    binding.setMaxViewLength(bufferConstants.MAX_LENGTH)
    const canTransfer = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function'
    // Deno frees an external ArrayBuffer's memory only when V8 does, and no Node-API call may
    // run in its finalizers (src/views.rs, set_teardown_guard).
    binding.setTeardownGuard(canTransfer && denoGlobal() === undefined)
    return { binding, status: { available: true, viewBuffer: binding.sharedWindowsSupported() ? 'shared' : 'arraybuffer' } }
  } catch (err) {
    return unavailable(`native binding failed to start: ${causeMessages(err).join('; ')}`)
  }
}

export function nativeBinding(): { binding: NativeBinding | undefined; status: NativeStatus } {
  loaded ??= load()
  return loaded
}
