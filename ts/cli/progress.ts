/** A progress bar on stderr for long jobs (silent when stderr is not a terminal or with --json). */

import { SingleBar, Presets } from 'cli-progress'

import type { Progress } from '../track.js'
import { bytes } from './format.js'

export interface Bar {
  update(p: Progress): void
  stop(): void
}

export function progressBar(label: string, total: number, enabled: boolean): Bar {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} }
  const start = performance.now()
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {done} / {total} | {rate}/s`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  )
  bar.start(total, 0, { done: bytes(0), total: bytes(total), rate: '–' })
  return {
    update(p) {
      const seconds = (performance.now() - start) / 1000
      bar.update(p.bytesDone, { done: bytes(p.bytesDone), total: bytes(total), rate: seconds > 0 ? bytes(p.bytesDone / seconds) : '–' })
    },
    stop() {
      bar.stop()
    },
  }
}
