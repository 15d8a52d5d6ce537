/** The typed errors of model sets: each names the file (or folder) and what is wrong with it. */

import { ModelDataError } from '../errors.js'
import type { ModelDataErrorCode } from '../errors.js'

export function modelError(code: ModelDataErrorCode, path: string, message: string, cause?: unknown): ModelDataError {
  return new ModelDataError(message, { code, path, ...(cause === undefined ? {} : { cause }) })
}

/** A list for a message: the first `max` items, then how many more. */
export function listSome(items: readonly string[], max = 10): string {
  const shown = items.slice(0, max).map((s) => `'${s}'`)
  return items.length > max ? `${shown.join(', ')} and ${items.length - max} more` : shown.join(', ')
}

export function inconsistent(path: string, problem: string): ModelDataError {
  return modelError('ERR_MODELMAP_INCONSISTENT_MODEL', path, `'${path}': ${problem}`)
}

export function incomplete(setPath: string, missing: readonly string[], total: number): ModelDataError {
  return modelError(
    'ERR_MODELMAP_INCOMPLETE_MODEL',
    setPath,
    `the model at '${setPath}' is incomplete: ${missing.length} of its ${total} files ${missing.length === 1 ? 'is' : 'are'} missing: ${listSome(missing)}`,
  )
}
