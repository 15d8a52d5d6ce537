/** Which dtypes have values to decode, by ggml id or by name, and how their bytes are laid out. */

import { ModelDataError, typeError } from '../errors.js'
import { GGML_TYPES, GGML_TYPE_IDS } from '../formats/gguf/types.js'

export interface ValueType {
  /** As GGUF tools and safetensors headers spell it: 'Q4_K', 'BF16', 'F8_E4M3', 'BOOL'. */
  name: string
  /** Elements per block (1 for element types). */
  blockSize: number
  /** Bytes per block. */
  typeSize: number
}

/** The safetensors dtypes that are not ggml types. */
const SAFETENSORS_ONLY: ValueType[] = [
  { name: 'U8', blockSize: 1, typeSize: 1 },
  { name: 'U16', blockSize: 1, typeSize: 2 },
  { name: 'U32', blockSize: 1, typeSize: 4 },
  { name: 'U64', blockSize: 1, typeSize: 8 },
  { name: 'BOOL', blockSize: 1, typeSize: 1 },
  { name: 'F8_E4M3', blockSize: 1, typeSize: 1 },
  { name: 'F8_E5M2', blockSize: 1, typeSize: 1 },
]

/**
 * ggml types with no decoder: Q8_1 and Q8_K are the intermediate types of ggml's dot products
 * (no file stores them), and Q1_0 has no reference decoder in gguf-py 0.19.
 */
const NO_DECODER = new Set(['Q8_1', 'Q8_K', 'Q1_0'])

const BY_NAME = new Map<string, ValueType>([
  ...[...GGML_TYPES.values()].map((t): [string, ValueType] => [t.name, { name: t.name, blockSize: t.blockSize, typeSize: t.typeSize }]),
  ...SAFETENSORS_ONLY.map((t): [string, ValueType] => [t.name, t]),
])

function unsupported(what: string, where: string | undefined): ModelDataError {
  return new ModelDataError(`cannot decode ${where === undefined ? '' : `${where}: `}${what}`, { code: 'ERR_MODELMAP_UNSUPPORTED' })
}

/**
 * The layout of `type` (a ggml id or a dtype name, any case), or ERR_MODELMAP_UNSUPPORTED naming
 * it when it has no decoder. `where` names the tensor and file in the message.
 */
export function valueType(type: unknown, where?: string): ValueType {
  let name: string | undefined
  if (typeof type === 'number') {
    if (!Number.isInteger(type)) throw typeError('ERR_INVALID_ARG_VALUE', `The "type" argument must be a ggml type id or a dtype name. Received ${type}`)
    name = GGML_TYPES.get(type)?.name
    if (name === undefined) throw unsupported(`ggml type id ${type} is not a type ggml defines`, where)
  } else if (typeof type === 'string') {
    name = type.toUpperCase()
  } else {
    throw typeError('ERR_INVALID_ARG_TYPE', `The "type" argument must be a ggml type id (number) or a dtype name (string). Received ${typeof type}`)
  }
  const found = BY_NAME.get(name)
  if (found === undefined) throw unsupported(`'${String(type)}' is not a GGUF or safetensors dtype modelmap knows`, where)
  if (NO_DECODER.has(name)) {
    throw unsupported(`${name} (ggml type ${GGML_TYPE_IDS.get(name)}) has no decoder: ${name === 'Q1_0' ? 'gguf-py 0.19 defines none' : 'it is an intermediate type of ggml dot products, not a storage type'}`, where)
  }
  return found
}

/** Bytes that `elements` values of `type` take, or undefined when they are not whole blocks. */
export function bytesFor(type: ValueType, elements: number): number | undefined {
  if (elements % type.blockSize !== 0) return undefined
  return (elements / type.blockSize) * type.typeSize
}
