/**
 * Peers the benchmarks compare with that the library itself never needs, installed apart in
 * bench/peers (`npm run bench:peers`: mmap-io built with CXXFLAGS=-std=c++17, node-llama-cpp
 * without its optional native builds). A benchmark row for a peer that is not installed says so.
 */

import { createRequire } from 'node:module'
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'

const peers = createRequire(path.join(__dirname, 'peers', 'package.json'))
const HOWTO = 'not installed: npm run bench:peers'

export interface MmapIo {
  map(size: number, protection: number, flags: number, fd: number, offset?: number): Buffer
  PROT_READ: number
  MAP_SHARED: number
}

/** mmap-io 1.1.7, or why it is not here. */
export function mmapIo(): MmapIo | string {
  try {
    return peers('mmap-io') as MmapIo
  } catch (err) {
    return `${HOWTO} (${(err as Error).message.split('\n')[0]})`
  }
}

export type ReadGgufFileInfo = (path: string) => Promise<unknown>

/** node-llama-cpp 3.21.1's readGgufFileInfo (an ES module), or why it is not here. */
export async function readGgufFileInfo(): Promise<ReadGgufFileInfo | string> {
  try {
    const mod = (await import(pathToFileURL(peers.resolve('node-llama-cpp')).href)) as { readGgufFileInfo: ReadGgufFileInfo }
    return mod.readGgufFileInfo
  } catch (err) {
    return `${HOWTO} (${(err as Error).message.split('\n')[0]})`
  }
}

/** An mmap-io failure as it reports it: "mmap failed, <errno>", with the errno's name. */
export function mmapIoError(err: unknown): string {
  const errno = /mmap failed, (\d+)/.exec((err as Error).message)?.[1]
  const names: Record<string, string> = { '12': 'ENOMEM', '22': 'EINVAL', '75': 'EOVERFLOW' }
  return errno === undefined ? (err as Error).message : `fails: ${names[errno] ?? `errno ${errno}`}`
}
