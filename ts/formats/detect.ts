/** What a file is, from its first bytes (never from its name). */

import { ModelData } from '../model-data.js'

export type Format = 'gguf' | 'safetensors' | 'unknown'

export function detectFormat(model: ModelData): Format {
  if (model.byteLength >= 4 && model.view(0, 4).toString('latin1') === 'GGUF') return 'gguf'
  if (model.byteLength >= 9) {
    const head = model.view(0, 9)
    const length = head.readBigUInt64LE(0)
    if (head[8] === 0x7b && length > 0n && length <= BigInt(model.byteLength - 8)) return 'safetensors'
  }
  return 'unknown'
}
