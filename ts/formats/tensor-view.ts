/** The tensor object both formats give: plain fields, plus lazy `data` / `array` on the prototype. */

import type { ModelData } from '../model-data.js'

export interface ArrayCtor<A> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): A
  BYTES_PER_ELEMENT: number
}

/**
 * One tensor of a parsed file. Its own fields are what describes it (so `JSON.stringify` and
 * spreading give those, not the bytes); `data` and `array` are getters on the prototype, and a
 * tensor object holds no closure, so listing a file's tensors costs little memory.
 */
export class TensorView<A> {
  readonly #model: ModelData
  readonly #Ctor: ArrayCtor<A> | undefined
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
  ) {
    this.#model = model
    this.#Ctor = Ctor
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
}
