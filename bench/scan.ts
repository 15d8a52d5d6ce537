/** Hot sequential scan: summing a page-cached 1 GiB file through modelmap views vs over a heap Buffer. */

import * as fs from 'node:fs'

import { ModelData } from '..'
import { makeFile } from './fixtures'
import { mmapIo, mmapIoError } from './peers'
import { formatMs, headline, markdownTable, median, timeRuns } from './stats'

function sum(words: Uint32Array): number {
  let acc = 0
  for (let i = 0; i < words.length; i++) acc = (acc + words[i]!) | 0
  return acc
}

export function scan(size = 1 << 30, windowBytes = 64 << 20): string {
  const file = makeFile('scan.bin', size, size)
  const heap = fs.readFileSync(file)
  const model = ModelData.open(file)
  const viaViews = () => {
    let acc = 0
    for (let at = 0; at < size; at += windowBytes) {
      const v = model.view(at, Math.min(windowBytes, size - at))
      acc = (acc + sum(new Uint32Array(v.buffer, v.byteOffset, v.byteLength >>> 2))) | 0
    }
    return acc
  }
  const viaHeap = () => sum(new Uint32Array(heap.buffer, heap.byteOffset, heap.byteLength >>> 2))
  if (viaViews() !== viaHeap()) throw new Error('scan results differ')
  // mmap-io: the whole file as one Buffer.
  const peer = mmapIo()
  let peerBuf: Buffer | string = typeof peer === 'string' ? peer : ''
  if (typeof peer !== 'string') {
    const fd = fs.openSync(file, 'r')
    try {
      peerBuf = peer.map(size, peer.PROT_READ, peer.MAP_SHARED, fd, 0)
    } catch (err) {
      peerBuf = mmapIoError(err)
    }
    fs.closeSync(fd)
  }
  const mapped = typeof peerBuf === 'string' ? undefined : peerBuf
  const viaPeer = () => sum(new Uint32Array(mapped!.buffer, mapped!.byteOffset, mapped!.byteLength >>> 2))
  if (mapped !== undefined && viaPeer() !== viaHeap()) throw new Error('mmap-io scan differs')
  // Interleave the two so drift on a shared machine hits both alike.
  const mm: number[] = []
  const hp: number[] = []
  const pr: number[] = []
  for (let i = 0; i < 7; i++) {
    mm.push(...timeRuns(1, () => void viaViews(), 0))
    hp.push(...timeRuns(1, () => void viaHeap(), 0))
    if (mapped !== undefined) pr.push(...timeRuns(1, () => void viaPeer(), 0))
  }
  model.close()
  fs.rmSync(file)
  const gbps = (ms: number) => `${(size / 2 ** 30 / (ms / 1000)).toFixed(2)} GiB/s`
  const m = median(mm)
  const h = median(hp)
  headline('hot scan through views vs heap Buffer', h / m)
  return markdownTable(['scan of 1 GiB (page cache hot)', 'median of 7', 'throughput', 'vs heap'], [
    ['modelmap views of 64 MiB', formatMs(m), gbps(m), `${(h / m).toFixed(2)}×`],
    ['heap Buffer (fs.readFileSync)', formatMs(h), gbps(h), '1.00×'],
    mapped !== undefined ? ['mmap-io 1.1.7 (one Buffer of the whole file)', formatMs(median(pr)), gbps(median(pr)), `${(h / median(pr)).toFixed(2)}×`] : ['mmap-io 1.1.7', peerBuf as string, '–', '–'],
  ])
}
