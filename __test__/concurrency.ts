/** Shared by the concurrency test and the stress command: workers reading while the main thread hashes. */

import * as path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'

import { AbortError, ModelData } from '..'

export interface WorkerReport {
  reads: number
  mismatches: number
  bytesRead: number
  backend: string
  liveMappings: number | undefined
}

export interface ConcurrencyResult {
  workers: WorkerReport[]
  checksums: string[]
  worstStallMs: number
  abortLatenciesMs: number[]
}

export async function runConcurrency(file: string, options: { workers: number; readsPerWorker: number; rounds: number; aborts: number }): Promise<ConcurrencyResult> {
  const model = ModelData.open(file)
  const script = path.join(__dirname, 'children', 'reader-worker.cjs')
  const started: Array<Promise<Worker>> = []
  const workers = Array.from(
    { length: options.workers },
    (_, i) =>
      new Promise<WorkerReport>((resolve, reject) => {
        // Plain workers: no loader hooks inherited from the test runner (tsx), as in an app.
        const w = new Worker(script, { workerData: { file, reads: options.readsPerWorker, maxLength: 256 * 1024, seed: 1000 + i }, execArgv: [] })
        started.push(new Promise((ready) => w.once('message', () => ready(w))))
        w.once('error', reject)
        w.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)))
        void started.at(-1)!.then(() => w.once('message', resolve))
      }),
  )
  for (const w of await Promise.all(started)) w.postMessage('go')
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  const checksums: string[] = []
  const main = (async () => {
    for (let i = 0; i < options.rounds; i++) {
      await model.prefetch()
      checksums.push(await model.checksum())
    }
  })()
  const reports = await Promise.all([...workers, main.then(() => undefined)])
  delay.disable()

  // Abort latency: from abort() to the rejection being observed, with the loop otherwise idle.
  const abortLatenciesMs: number[] = []
  for (let i = 0; i < options.aborts; i++) {
    const controller = new AbortController()
    const pending = model.checksum('sha256', { signal: controller.signal })
    await new Promise((resolve) => setTimeout(resolve, 3))
    const start = performance.now()
    controller.abort()
    try {
      await pending
    } catch (err) {
      if (!(err instanceof AbortError)) throw err
    }
    abortLatenciesMs.push(performance.now() - start)
  }
  model.close()
  return {
    workers: reports.filter((r): r is WorkerReport => r !== undefined),
    checksums,
    worstStallMs: delay.max / 1e6,
    abortLatenciesMs,
  }
}
