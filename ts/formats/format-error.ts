/** The typed error both format parsers raise for a file that is not what it claims to be. */

import { ModelDataError } from '../errors.js'
import type { ModelData } from '../model-data.js'

export function invalidFormat(model: ModelData, format: 'GGUF' | 'safetensors', offset: number, problem: string): ModelDataError {
  const where = model.path === undefined ? 'the in-memory model' : `'${model.path}'`
  return new ModelDataError(`${where} is not a valid ${format} file: ${problem} (at byte ${offset})`, {
    code: format === 'GGUF' ? 'ERR_MODELMAP_INVALID_GGUF' : 'ERR_MODELMAP_INVALID_SAFETENSORS',
    path: model.path,
    byteOffset: offset,
  })
}
