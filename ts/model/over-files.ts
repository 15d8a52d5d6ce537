/** One job (prefetch, checksum) over several files in turn, reported as one progress stream. */

import type { JobOptions, ModelData } from '../model-data.js'

/**
 * Runs `job` on each file in order; `onProgress` sees the bytes done over all of them against
 * their total. The signal goes to every file's job; the first failure stops the rest.
 */
export async function overFiles<T>(files: readonly ModelData[], options: JobOptions, job: (data: ModelData, options: JobOptions) => Promise<T>): Promise<T[]> {
  const totalBytes = files.reduce((a, f) => a + f.byteLength, 0)
  const { signal, onProgress } = options
  let before = 0
  const out: T[] = []
  for (const data of files) {
    const offset = before
    const fileOptions: JobOptions = signal === undefined ? {} : { signal }
    if (onProgress !== undefined) fileOptions.onProgress = (p) => onProgress({ bytesDone: offset + p.bytesDone, totalBytes })
    out.push(await job(data, fileOptions))
    before += data.byteLength
  }
  return out
}
