// ESM entry: re-exports the CommonJS build, so `import` and `require` share one module instance
// (one native binding, one mapping registry) instead of loading the library twice.
import modelmap from './dist/index.js'

export const { ModelData, ModelDataError, AbortError, openModel, Model, hubCacheDir, openGguf, gguf, ggufAllShards, parseGgufShardFilename, writeGguf, typedArrayValue, GGUFValueType, GGML_TYPES, openSafetensors, SAFETENSORS_DTYPE_BITS, GGUF_LIMITS, SAFETENSORS_LIMITS, dequantize } = modelmap
export default modelmap
