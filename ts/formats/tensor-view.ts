/** The tensor object both formats give: plain fields, plus lazy `data` / `array` on the prototype. */

import type { ModelData } from '../model-data.js'
import { decode, stats, toFloat32 } from '../values/tensor-values.js'
import type { DecodeOptions, StatsOptions, TensorSource, ToFloat32Options } from '../values/tensor-values.js'
import type { TensorStats } from '../backends/backend.js'

export interface ArrayCtor<A> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): A
  BYTES_PER_ELEMENT: number
}

/**
 * One tensor of a parsed file. Its own fields are what describes it (so `JSON.stringify` and
 * spreading give those, not the bytes); `data` and `array` are getters on the prototype, and a
 * tensor object holds no closure, so listing a file's tensors costs little memory.
 */
/** How a format lays out values: byte order, and which dimension holds the rows. */
export interface ValueLayout {
  littleEndian: boolean
  /** GGUF lists dimensions innermost first (rows along the last); safetensors outermost first. */
  rowsAlongLast: boolean
  format: 'gguf' | 'safetensors'
}

export class TensorView<A> {
  readonly #model: ModelData
  readonly #Ctor: ArrayCtor<A> | undefined
  readonly #layout: ValueLayout
  #data: Buffer | undefined

  constructor(
    model: ModelData,
    readonly name: string,
    readonly dtype: string,
    readonly shape: number[],
    /** Absolute position of the tensor's bytes in the file. */
    readonly byteOffset: number,
    readonly byteLength: number,
    Ctor: ArrayCtor<A> | undefined,
    layout: ValueLayout,
  ) {
    this.#model = model
    this.#Ctor = Ctor
    this.#layout = layout
  }

  /** Zero-copy view of the tensor's bytes (made on first access; listing tensors makes none). */
  get data(): Buffer {
    return (this.#data ??= this.#model.view(this.byteOffset, this.byteLength))
  }

  /**
   * A typed array over `data` for plain dtypes, when the bytes' address is aligned for the
   * element type (a view's address has its file offset's alignment on every backend); else
   * undefined.
   */
  get array(): A | undefined {
    const Ctor = this.#Ctor
    if (Ctor === undefined) return undefined
    const buf = this.data
    if (buf.byteOffset % Ctor.BYTES_PER_ELEMENT !== 0) return undefined
    return new Ctor(buf.buffer, buf.byteOffset, buf.byteLength / Ctor.BYTES_PER_ELEMENT)
  }

  /** Rows of the outermost dimension (what the `rows` option counts): GGUF's last, safetensors' first. */
  get rowCount(): number {
    const shape = this.shape
    if (shape.length === 0) return 1
    return shape[this.#layout.rowsAlongLast ? shape.length - 1 : 0]!
  }

  #source(): TensorSource {
    return { model: this.#model, name: this.name, dtype: this.dtype, shape: this.shape, byteOffset: this.byteOffset, byteLength: this.byteLength, ...this.#layout }
  }

  /**
   * Every value (or whole rows of the outermost dimension: `rows: [start, end)`) as float32,
   * synchronously, bit for bit as llama.cpp's gguf-py decodes it. `into` receives the values
   * (and is returned) instead of a new array.
   */
  toFloat32(options?: ToFloat32Options): Float32Array {
    return toFloat32(this.#source(), this.data, options)
  }

  /**
   * The values as F32 (default), F16 or BF16, off the main thread on the mmap backend (several
   * threads, progress, AbortSignal, like prefetch), in slices on it elsewhere.
   */
  decode(options?: DecodeOptions): Promise<Float32Array | Uint16Array> {
    return decode(this.#source(), options)
  }

  /**
   * Count, NaN and ±infinity counts, and min / max / mean / std of the finite values, computed
   * while decoding and never kept (a health check), off the main thread where it can.
   */
  stats(options?: StatsOptions): Promise<TensorStats> {
    return stats(this.#source(), () => this.data, options)
  }
}
