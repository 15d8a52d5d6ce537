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

function load(): { binding: NativeBinding | undefined; status: NativeStatus } {
  if (process.env.MODELMAP_NATIVE === '0') {
    return { binding: undefined, status: { available: false, reason: 'the native binding is turned off (MODELMAP_NATIVE=0)' } }
  }
  let binding: NativeBinding
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    binding = require('../native/index.js') as NativeBinding
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err)
    return { binding: undefined, status: { available: false, reason: `native binding failed to load: ${reason}` } }
  }
  if (!binding.externalBuffersAllowed()) {
    return {
      binding: undefined,
      status: { available: false, reason: 'this runtime forbids external buffers (V8 sandbox, e.g. Electron); views are read per call instead' },
    }
  }
  binding.setMaxViewLength(bufferConstants.MAX_LENGTH)
  binding.setTransferAvailable(typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function')
  return { binding, status: { available: true, viewBuffer: binding.sharedWindowsSupported() ? 'shared' : 'arraybuffer' } }
}

export function nativeBinding(): { binding: NativeBinding | undefined; status: NativeStatus } {
  loaded ??= load()
  return loaded
}
