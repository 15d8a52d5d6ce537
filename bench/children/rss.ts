/** Child for bench/memory.ts: opens a GGUF one way, touches every tensor view, reports RSS growth. */

import * as fs from 'node:fs'

import { ModelData, openGguf } from '../..'

const [variant, file] = process.argv.slice(2) as ['mmap' | 'heap' | 'readFile', string]
const before = process.memoryUsage.rss()
let views = 0
let note = ''
if (variant === 'readFile') {
  try {
    const bytes = fs.readFileSync(file)
    views = bytes.length > 0 ? 1 : 0
  } catch (err) {
    note = (err as { code?: string }).code ?? String(err)
  }
} else {
  const gguf = openGguf(ModelData.open(file, { backend: variant }))
  for (const t of gguf.tensors()) views += t.data.length > 0 ? 1 : 0
}
const after = process.memoryUsage.rss()
console.log(JSON.stringify({ variant, views, rssGrowth: after - before, note }))
