/** The lazy `data` / `array` pair both formats give each tensor. */

import type { ModelData } from '../model-data.js'

export interface ArrayCtor<A> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): A
  BYTES_PER_ELEMENT: number
}

export interface TensorBytes<A> {
  readonly data: Buffer
  readonly array: A | undefined
}

/**
 * `data`: a zero-copy view of the tensor, made on first access (listing tensors creates none).
 * `array`: a typed array over it when `Ctor` is given and the view is aligned for it.
 */
export function tensorBytes<A>(model: ModelData, byteOffset: number, byteLength: number, Ctor: ArrayCtor<A> | undefined): TensorBytes<A> {
  let data: Buffer | undefined
  const view = () => (data ??= model.view(byteOffset, byteLength))
  return {
    get data() {
      return view()
    },
    get array() {
      if (Ctor === undefined) return undefined
      const buf = view()
      if (buf.byteOffset % Ctor.BYTES_PER_ELEMENT !== 0) return undefined
      return new Ctor(buf.buffer, buf.byteOffset, buf.byteLength / Ctor.BYTES_PER_ELEMENT)
    },
  }
}
