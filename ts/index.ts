/**
 * modelmap: open ML model files by memory-mapping them and get zero-copy Buffer views.
 *
 * ```ts
 * import { ModelData } from 'modelmap'
 * using model = ModelData.open('model.gguf')
 * const header = model.view(0, 4096)
 * ```
 */

export { ModelData } from './model-data.js'
export type { BackendName, OpenOptions, RangeOptions, JobOptions, PrefetchOptions } from './model-data.js'
export { ModelDataError, AbortError } from './errors.js'
export type { ModelDataErrorCode, ModelDataErrorDetails } from './errors.js'
export type { Residency } from './backends/backend.js'
export type { NativeStatus } from './native.js'
export type { Progress } from './track.js'
export type { Advice, OpenAdvice, PathLike } from './validate.js'
export { openGguf, gguf, ggufAllShards, parseGgufShardFilename, writeGguf, typedArrayValue, GGUFValueType, GGML_TYPES } from './formats/gguf/index.js'
export type {
  GgufFile,
  GgufTensor,
  GGUFMetadata,
  GGUFTypedMetadata,
  GGUFTypedEntry,
  GGUFTensorInfo,
  OpenGgufOptions,
  GgufParams,
  WriteGgufOptions,
  WriteGgufSplit,
  GgufAllShardsParams,
  GgufAllShardsResult,
  GgufShardFileInfo,
  WriteMetadataEntry,
  WriteTensor,
  GgmlType,
  TensorArray,
  MetadataValue,
  MetadataBaseValue,
} from './formats/gguf/index.js'
export { openSafetensors, SAFETENSORS_DTYPE_BITS } from './formats/safetensors.js'
export type { SafetensorsFile, SafetensorsTensor, SafetensorsTensorInfo, OpenSafetensorsOptions } from './formats/safetensors.js'
export { GGUF_LIMITS, SAFETENSORS_LIMITS } from './formats/limits.js'
export type { ParseLimits } from './formats/limits.js'
export { openModel, Model } from './model/open-model.js'
export type { OpenModelOptions, ModelTensor, ModelShard, ShardDigest, ModelResidency } from './model/open-model.js'
export { hubCacheDir } from './model/hub-cache.js'
export { dequantize } from './values/dequantize.js'
export type { DequantizeOptions } from './values/dequantize.js'
export type { DecodeOptions, StatsOptions, ToFloat32Options } from './values/tensor-values.js'
export type { TensorStats } from './backends/backend.js'
