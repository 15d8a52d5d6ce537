/**
 * Child for bench/model-sets.ts: opens a model set `runs` times (each opened, validated and
 * closed) and reports the median, then holds one open and reports the JS heap and RSS it added
 * (after full GCs); or, as the
 * peers, parses every shard with @huggingface/gguf's ggufAllShards, or only opens and fstats
 * each file (the floor).
 */

import * as fs from 'node:fs'

import { ggufAllShards as hfAllShards } from '@huggingface/gguf'

import { openModel } from '../..'

const [how, source, shardList] = process.argv.slice(2) as ['openModel' | 'hf' | 'floor', string, string]
const runs = 21

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  return s[s.length >> 1]!
}

async function main(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc!
  const files = shardList.split('\n')
  const once = async (): Promise<unknown> => {
    if (how === 'openModel') return openModel(source)
    if (how === 'hf') return hfAllShards(source, { allowLocalFile: true })
    for (const f of files) {
      const fd = fs.openSync(f, 'r')
      fs.fstatSync(fd)
      fs.closeSync(fd)
    }
    return undefined
  }
  const close = (v: unknown) => (v as { close?: () => void } | undefined)?.close?.()
  for (let i = 0; i < 3; i++) close(await once())
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    const v = await once()
    times.push(performance.now() - t0)
    close(v)
  }
  const settle = async () => {
    for (let i = 0; i < 4; i++) {
      gc()
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    return process.memoryUsage()
  }
  const before = await settle()
  const held = await once()
  const after = await settle()
  close(held)
  console.log(JSON.stringify({ medianMs: median(times), heapGrowth: after.heapUsed - before.heapUsed, rssGrowth: after.rss - before.rss }))
}

void main()
