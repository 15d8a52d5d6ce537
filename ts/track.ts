/** Progress reporting and AbortSignal handling for a running prefetch or checksum. */

import { AbortError } from './errors.js'
import type { Running } from './backends/backend.js'

export interface Progress {
  bytesDone: number
  totalBytes: number
}

export interface TrackOptions {
  signal?: AbortSignal | undefined
  onProgress?: ((progress: Progress) => void) | undefined
  /** How often onProgress is called while the job runs, in ms. */
  progressIntervalMs?: number
}

function abortError(signal: AbortSignal): AbortError {
  return new AbortError('The operation was aborted', { cause: signal.reason })
}

/**
 * Awaits a job while polling its progress (no callback crosses threads: the worker only bumps a
 * counter) and cancelling it when the signal fires. The promise rejects with AbortError as soon as
 * the signal fires; the worker stops at its next chunk boundary.
 *
 * An `onProgress` that throws cancels the job, and the promise rejects with what it threw: a
 * callback's error is the caller's to see, never an uncaught exception from a timer.
 */
export async function track<T>(start: () => Running<T>, totalBytes: number, options: TrackOptions): Promise<T> {
  const { signal, onProgress } = options
  if (signal?.aborted) throw abortError(signal)
  const running = start()
  let failCallback: ((err: unknown) => void) | undefined
  const callbackFailed = new Promise<never>((_, reject) => {
    failCallback = (err) => {
      running.job.cancel()
      reject(err)
    }
  })
  const report = (): void => {
    try {
      onProgress?.({ bytesDone: Math.min(running.job.bytesDone, totalBytes), totalBytes })
    } catch (err) {
      failCallback?.(err)
      throw err
    }
  }
  const timer =
    onProgress === undefined
      ? undefined
      : setInterval(() => {
          try {
            report()
          } catch {
            clearInterval(timer)
          }
        }, options.progressIntervalMs ?? 100)
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_, reject) => {
    if (signal === undefined) return
    onAbort = () => {
      running.job.cancel()
      reject(abortError(signal))
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  // The job's own rejection after a cancel is expected; never leave it unhandled.
  running.done.catch(() => {})
  callbackFailed.catch(() => {})
  try {
    const result = await Promise.race([running.done, aborted, callbackFailed])
    report()
    return result
  } catch (err) {
    if (err instanceof AbortError && signal !== undefined) throw abortError(signal)
    throw err
  } finally {
    if (timer !== undefined) clearInterval(timer)
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort)
  }
}
