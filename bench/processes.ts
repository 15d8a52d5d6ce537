/** Four processes with one model: total PSS when mapping (pages shared) vs reading it (a copy each). */

import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import * as path from 'node:path'

import { makeFile } from './fixtures'
import { mmapIo } from './peers'
import { formatBytes, headline, markdownTable } from './stats'

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve) => child.once('message', (m) => resolve(m as T)))
}

async function pssOf(variant: 'mmap' | 'readFile' | 'mmap-io', file: string, processes: number): Promise<number> {
  const children = Array.from({ length: processes }, () => fork(path.join(__dirname, 'children', 'pss.cjs'), [variant, file], { stdio: 'ignore' }))
  // Measure only once every child holds the file: PSS divides a shared page among its mappers.
  await Promise.all(children.map((c) => nextMessage(c)))
  const reports = await Promise.all(
    children.map((c) => {
      const reply = nextMessage<{ pssKiB: number }>(c)
      c.send('measure')
      return reply
    }),
  )
  await Promise.all(
    children.map((c) => {
      const exited = new Promise((resolve) => c.once('exit', resolve))
      c.send('exit')
      return exited
    }),
  )
  return reports.reduce((a, r) => a + r.pssKiB, 0) * 1024
}

export async function processes(size = 512 << 20): Promise<string> {
  if (process.platform !== 'linux') return 'skipped: PSS is read from /proc (Linux)'
  const file = makeFile('shared.bin', size, size)
  const rows: string[][] = []
  const totals: Record<string, number> = {}
  const peer = mmapIo()
  const variants = typeof peer === 'string' ? (['mmap', 'readFile'] as const) : (['mmap', 'mmap-io', 'readFile'] as const)
  const names = { mmap: 'modelmap (populate, views over the file, every page read)', 'mmap-io': 'mmap-io 1.1.7 (map, touch every page)', readFile: 'fs.readFileSync' }
  for (const variant of variants) {
    const one = await pssOf(variant, file, 1)
    const four = await pssOf(variant, file, 4)
    totals[variant] = four
    rows.push([names[variant], formatBytes(one), formatBytes(four), `${(four / one).toFixed(2)}×`])
  }
  if (typeof peer === 'string') rows.push(['mmap-io 1.1.7', peer, '–', '–'])
  headline('4 processes: total PSS, readFile / modelmap', totals.readFile! / totals.mmap!)
  return `${formatBytes(size)} file, every page touched; total PSS of the processes (Node's own baseline included).\n\n` + markdownTable(['approach', '1 process', '4 processes', '4 / 1'], rows)
}
