/**
 * `tensor.stats()`: count, NaN and infinities, and min / max / mean / std of the finite values,
 * computed while decoding and never kept: a health check of a quantized or converted model.
 * A native job on the mmap backend; elsewhere slices decoded on this thread, accumulated here the
 * way the native job accumulates (a mean and squared distances per slice, merged).
 */

import { setImmediate as nextTurn } from 'node:timers/promises'

import type { Running, TensorStats } from '../backends/backend.js'
import { decodeNow, engine, SliceJob, sliceValues } from './engine.js'
import type { ValueType } from './dtypes.js'

class Accumulator {
  count = 0
  nan = 0
  posInf = 0
  negInf = 0
  finite = 0
  min = Infinity
  max = -Infinity
  #mean = 0
  #m2 = 0

  add(values: Float32Array): void {
    let n = 0
    let sum = 0
    for (const v of values) {
      if (Number.isNaN(v)) this.nan++
      else if (v === Infinity) this.posInf++
      else if (v === -Infinity) this.negInf++
      else {
        n++
        sum += v
        if (v < this.min) this.min = v
        if (v > this.max) this.max = v
      }
    }
    this.count += values.length
    if (n === 0) return
    const mean = sum / n
    let m2 = 0
    for (const v of values) if (Number.isFinite(v)) m2 += (v - mean) ** 2
    const total = this.finite + n
    const delta = mean - this.#mean
    this.#mean += (delta * n) / total
    this.#m2 += m2 + (delta * delta * this.finite * n) / total
    this.finite = total
  }

  result(): TensorStats {
    const none = this.finite === 0
    return {
      count: this.count,
      finite: this.finite,
      nan: this.nan,
      posInf: this.posInf,
      negInf: this.negInf,
      min: none ? NaN : this.min,
      max: none ? NaN : this.max,
      mean: none ? NaN : this.#mean,
      std: none ? NaN : Math.sqrt(this.#m2 / this.finite),
    }
  }
}

/** Statistics in slices on this thread (the heap backend, and without the native binding). */
export function statsInSlices(type: ValueType, src: Uint8Array, elements: number, littleEndian: boolean, threads: number, checkOpen: () => void): Running<TensorStats> {
  const job = new SliceJob(checkOpen)
  const using = engine()
  const done = (async () => {
    const acc = new Accumulator()
    const per = sliceValues(using)
    const scratch = new Float32Array(Math.min(per, elements))
    for (let at = 0; at < elements; at += per) {
      job.next()
      const n = Math.min(per, elements - at)
      const from = (at / type.blockSize) * type.typeSize
      const values = scratch.subarray(0, n)
      decodeNow(type, src.subarray(from, from + (n / type.blockSize) * type.typeSize), n, 'F32', littleEndian, threads, values, using)
      acc.add(values)
      job.bytesDone += n * 4
      await nextTurn()
    }
    return acc.result()
  })()
  return { job, done }
}
