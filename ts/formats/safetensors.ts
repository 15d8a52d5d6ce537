/**
 * safetensors: an 8-byte little-endian header length, a JSON header, then the tensor bytes.
 * Validated the way the Rust `safetensors` crate validates: header size cap, known dtypes,
 * dtype × shape = byte length, offsets in bounds, contiguous and non-overlapping, covering the
 * whole data section. Tensor data are zero-copy views.
 */

import { ModelData } from '../model-data.js'
import type { OpenOptions } from '../model-data.js'
import { typeError } from '../errors.js'
import type { ModelDataError } from '../errors.js'
import { invalidFormat } from './format-error.js'
import { limitExceeded, resolveLimits, SAFETENSORS_LIMITS } from './limits.js'
import type { ParseLimits, ResolvedLimits } from './limits.js'
import { scanJson } from './json-scan.js'
import { TensorView } from './tensor-view.js'

/** As the Rust crate: by default a larger header is refused before it is read (limits.maxHeaderBytes). */
export const MAX_HEADER_SIZE = SAFETENSORS_LIMITS.maxHeaderBytes

/** Bits per element of every dtype the format defines. */
export const SAFETENSORS_DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
}

type SafeArray = Float32Array | Float64Array | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | BigInt64Array | BigUint64Array

const ARRAYS: Record<string, { new (b: ArrayBufferLike, o: number, n: number): SafeArray; BYTES_PER_ELEMENT: number }> = {
  BOOL: Uint8Array,
  U8: Uint8Array,
  I8: Int8Array,
  U16: Uint16Array,
  I16: Int16Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  U32: Uint32Array,
  I32: Int32Array,
  F32: Float32Array,
  F64: Float64Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
}

/** safetensors is little-endian, dimensions outermost first. */
const SAFETENSORS_LAYOUT = { littleEndian: true, rowsAlongLast: false, format: 'safetensors' } as const

export interface SafetensorsTensorInfo {
  dtype: string
  shape: number[]
  data_offsets: [number, number]
}

/** One tensor: name, dtype, shape, byteOffset (absolute), byteLength; `data` and `array` (whole-byte dtypes, when aligned) on first access. */
export type SafetensorsTensor = TensorView<SafeArray>

export interface OpenSafetensorsOptions extends OpenOptions {
  /** Parsing budgets (README, "Limits"); raise one for a trusted file that needs it. */
  limits?: ParseLimits
}

export interface SafetensorsFile {
  model: ModelData
  /** `__metadata__` (string to string), or {} when absent. */
  metadata: Record<string, string>
  tensorInfos: Record<string, SafetensorsTensorInfo>
  /** Tensor names in data order. */
  tensorNames: readonly string[]
  /** Where tensor data begins: 8 + header length. */
  dataOffset: number
  headerLength: number
  tensor(name: string): SafetensorsTensor
  tensors(): SafetensorsTensor[]
  close(): void
  [Symbol.dispose](): void
}

function invalid(model: ModelData, offset: number, problem: string): ModelDataError {
  return invalidFormat(model, 'safetensors', offset, problem)
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

function parseHeader(model: ModelData, limits: ResolvedLimits): { infos: Array<[string, SafetensorsTensorInfo]>; metadata: Record<string, string>; headerLength: number } {
  const size = model.byteLength
  if (size < 8) throw invalid(model, 0, `the file is ${size} bytes, too short for the 8-byte header length`)
  const lengthBytes = model.view(0, 8)
  const headerLength64 = lengthBytes.readBigUInt64LE(0)
  // A length the file cannot hold is corruption (random bytes read as one), not a big header.
  if (headerLength64 + 8n > BigInt(size)) throw invalid(model, 0, `header length ${headerLength64} runs past the end of the ${size}-byte file (is it a safetensors file?)`)
  if (headerLength64 > BigInt(limits.maxHeaderBytes)) throw limitExceeded(model, 'safetensors', 'maxHeaderBytes', String(headerLength64), limits.maxHeaderBytes, 0)
  const headerLength = Number(headerLength64)
  const headerBytes = model.view(8, headerLength)
  if (headerLength === 0 || headerBytes[0] !== 0x7b) throw invalid(model, 8, 'the header is not a JSON object')
  // Before JSON.parse builds anything: nesting depth, and how many tensors and entries the text
  // can hold, from one pass over the bytes (JSON.parse of 100 MB of '[' takes GBs and seconds).
  const scan = scanJson(headerBytes, limits.maxDepth)
  if (scan.error !== undefined) throw invalid(model, 8 + scan.error.offset, `the header is not valid JSON: ${scan.error.problem}`)
  if (scan.tooDeepAt >= 0) throw limitExceeded(model, 'safetensors', 'maxDepth', scan.maxDepth, limits.maxDepth, 8 + scan.tooDeepAt)
  if (scan.topLevelKeys > limits.maxTensors + 1) throw limitExceeded(model, 'safetensors', 'maxTensors', `at least ${scan.topLevelKeys - 1}`, limits.maxTensors, 8)
  if (scan.secondLevelKeys > 3 * (scan.topLevelKeys - 1) + limits.maxMetadataEntries) {
    throw limitExceeded(model, 'safetensors', 'maxMetadataEntries', `at least ${scan.secondLevelKeys - 3 * (scan.topLevelKeys - 1)}`, limits.maxMetadataEntries, 8)
  }
  if (scan.longestString > limits.maxStringBytes) throw limitExceeded(model, 'safetensors', 'maxStringBytes', scan.longestString, limits.maxStringBytes, 8 + scan.longestStringAt)
  if (scan.arrayElements > limits.maxArrayElements) throw limitExceeded(model, 'safetensors', 'maxArrayElements', scan.arrayElements, limits.maxArrayElements, 8)
  let header: unknown
  try {
    header = JSON.parse(headerBytes.toString('utf8'))
  } catch (err) {
    throw invalid(model, 8, `the header is not valid JSON: ${(err as Error).message}`)
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw invalid(model, 8, 'the header is not a JSON object')

  const dataLength = size - 8 - headerLength
  let metadata: Record<string, string> = {}
  const infos: Array<[string, SafetensorsTensorInfo]> = []
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(model, 8, '__metadata__ is not an object')
      const keys = Object.keys(raw)
      if (keys.length > limits.maxMetadataEntries) throw limitExceeded(model, 'safetensors', 'maxMetadataEntries', keys.length, limits.maxMetadataEntries, 8)
      for (const k of keys) if (typeof (raw as Record<string, unknown>)[k] !== 'string') throw invalid(model, 8, `__metadata__.${k} is not a string`)
      metadata = raw as Record<string, string>
      continue
    }
    const info = raw as Partial<SafetensorsTensorInfo> | null
    if (info === null || typeof info !== 'object') throw invalid(model, 8, `tensor '${name}' is not an object`)
    const bits = typeof info.dtype === 'string' ? SAFETENSORS_DTYPE_BITS[info.dtype] : undefined
    if (bits === undefined) throw invalid(model, 8, `tensor '${name}' has unknown dtype ${JSON.stringify(info.dtype)}`)
    if (!Array.isArray(info.shape) || !info.shape.every(isNonNegInt)) throw invalid(model, 8, `tensor '${name}' has an invalid shape`)
    const offsets = info.data_offsets
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegInt) || offsets[0] > offsets[1]) {
      throw invalid(model, 8, `tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`)
    }
    const [begin, end] = offsets
    if (end > dataLength) throw invalid(model, 8 + headerLength + begin, `tensor '${name}' data [${begin}, ${end}) runs past the ${dataLength}-byte data section`)
    const elements = info.shape.reduce((a, b) => a * b, 1)
    const elementBits = elements * bits
    if (!Number.isSafeInteger(elementBits) || elementBits % 8 !== 0 || elementBits / 8 !== end - begin) {
      throw invalid(model, 8 + headerLength + begin, `tensor '${name}': ${info.dtype} × [${info.shape.join(', ')}] is ${elementBits / 8} bytes but data_offsets span ${end - begin}`)
    }
    infos.push([name, { dtype: info.dtype!, shape: info.shape, data_offsets: [begin, end] }])
  }
  // Contiguous, non-overlapping, and covering the data section exactly (as the Rust crate checks).
  infos.sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0] || a[1].data_offsets[1] - b[1].data_offsets[1])
  let expected = 0
  for (const [name, info] of infos) {
    const [begin, end] = info.data_offsets
    if (begin !== expected) {
      throw invalid(model, 8 + headerLength + begin, begin < expected ? `tensor '${name}' overlaps the previous tensor` : `gap before tensor '${name}' (data is not contiguous)`)
    }
    expected = end
  }
  if (expected !== dataLength) throw invalid(model, 8 + headerLength + expected, `tensors cover ${expected} bytes but the data section has ${dataLength}`)
  return { infos, metadata, headerLength }
}

/** Opens a safetensors file (or reads one from a ModelData) with zero-copy tensor views. */
export function openSafetensors(source: string | Buffer | URL | ModelData, options: OpenSafetensorsOptions = {}): SafetensorsFile {
  const { limits: givenLimits, ...openOptions } = options
  const limits = resolveLimits(givenLimits, SAFETENSORS_LIMITS)
  const owned = !(source instanceof ModelData)
  const model = source instanceof ModelData ? source : ModelData.open(source, openOptions)
  let parsed: ReturnType<typeof parseHeader>
  try {
    parsed = parseHeader(model, limits)
  } catch (err) {
    if (owned) model.close()
    throw err
  }
  const dataOffset = 8 + parsed.headerLength
  const byName = new Map(parsed.infos)
  const make = (name: string, info: SafetensorsTensorInfo): SafetensorsTensor => {
    const byteOffset = dataOffset + info.data_offsets[0]
    const byteLength = info.data_offsets[1] - info.data_offsets[0]
    return new TensorView(model, name, info.dtype, info.shape, byteOffset, byteLength, ARRAYS[info.dtype], SAFETENSORS_LAYOUT)
  }
  return {
    model,
    metadata: parsed.metadata,
    tensorInfos: Object.fromEntries(parsed.infos),
    tensorNames: parsed.infos.map(([name]) => name),
    dataOffset,
    headerLength: parsed.headerLength,
    tensor(name: string) {
      const info = byName.get(name)
      if (info === undefined) throw typeError('ERR_INVALID_ARG_VALUE', `no tensor named '${name}' in ${model.path ?? 'the model'}`)
      return make(name, info)
    },
    tensors() {
      return parsed.infos.map(([name, info]) => make(name, info))
    },
    close() {
      model.close()
    },
    [Symbol.dispose]() {
      model.close()
    },
  }
}
