/**
 * `npm run bench`: every benchmark side by side with its peer, medians and ratios, as markdown.
 * Not a test: numbers depend on the machine. `npm run bench -- open views` runs a subset.
 */

import * as os from 'node:os'

import { ModelData } from '..'
import { fuzz } from './fuzz'
import { ggufParse } from './gguf'
import { openLatency, rssAfterOpen, viewCost } from './open'

const suites: Record<string, { title: string; run: () => string | Promise<string> }> = {
  open: { title: 'Open latency vs file size', run: () => openLatency() },
  views: { title: 'View creation cost', run: () => viewCost() },
  rss: { title: 'Resident memory after opening', run: () => rssAfterOpen() },
  gguf: { title: 'GGUF header parse, 256k-token vocabulary', run: () => ggufParse() },
  fuzz: { title: 'Fuzzing the format parsers', run: () => fuzz() },
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2)
  // The million-input fuzz run is opt-in (`npm run bench -- fuzz`): it takes minutes.
  const names = wanted.length > 0 ? wanted : Object.keys(suites).filter((n) => n !== 'fuzz')
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  console.log(`# modelmap benchmarks\n`)
  console.log(`${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, backend ${ModelData.nativeStatus.available ? 'mmap' : 'heap'}\n`)
  for (const name of names) {
    const suite = suites[name]
    if (suite === undefined) throw new Error(`unknown benchmark '${name}': choose from ${Object.keys(suites).join(', ')}`)
    console.log(`## ${suite.title}\n`)
    console.log(await suite.run())
    console.log('')
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
