/**
 * Reading a header through ModelData views: a window that starts small and doubles when a read
 * runs past it, so parsing a header touches kilobytes of a 30 GB file on either backend, and every
 * read is bounds-checked against the file before it happens.
 */

import type { ModelData } from '../model-data.js'

export class ByteCursor {
  readonly fileSize: number
  #window: Buffer
  #view: DataView
  /** Reads ending at or before this need no check: inside the window and within the budget. */
  #reachable: number

  /**
   * @param overBudget called (and its error thrown) when a read would reach past `maxBytes`: a
   *   header larger than the caller's limit is refused before its bytes are touched.
   */
  constructor(
    readonly model: ModelData,
    private readonly fail: (offset: number, problem: string) => Error,
    private readonly maxBytes = Infinity,
    private readonly overBudget?: (end: number) => Error,
    // 64 KiB: the header of a shard or a small model fits, and on ArrayBuffer views (Node 20),
    // where V8 counts every window's length, a 1 MiB first view made each shard of a 100-shard
    // set map a 2 MiB window (bench "sets": 44 ms against 12 ms for the same headers in small
    // files). Larger headers double from here.
    initialWindow = 1 << 16,
  ) {
    this.fileSize = model.byteLength
    this.#window = model.view(0, Math.min(initialWindow, this.fileSize))
    this.#view = new DataView(this.#window.buffer, this.#window.byteOffset, this.#window.byteLength)
    this.#reachable = Math.min(this.#window.length, maxBytes)
  }

  /** Makes `offset..offset+length` readable, or fails with the offset when the file is too short. */
  ensure(offset: number, length: number, what: string): void {
    const end = offset + length
    if (end <= this.#reachable) return
    if (!Number.isSafeInteger(end) || end > this.fileSize) {
      throw this.fail(offset, `${what} needs ${length} bytes at offset ${offset}, past the end of the ${this.fileSize}-byte file`)
    }
    if (end > this.maxBytes && this.overBudget !== undefined) throw this.overBudget(end)
    if (end <= this.#window.length) return
    // Never 0 (an empty first window would double forever): the loop ends in O(log end) steps.
    let size = Math.max(this.#window.length, 1 << 16)
    while (size < end) size *= 2
    this.#window = this.model.view(0, Math.min(size, this.fileSize, Math.max(this.maxBytes, end)))
    this.#view = new DataView(this.#window.buffer, this.#window.byteOffset, this.#window.byteLength)
    this.#reachable = Math.min(this.#window.length, this.maxBytes)
  }

  get bytes(): Buffer {
    return this.#window
  }

  get view(): DataView {
    return this.#view
  }
}
