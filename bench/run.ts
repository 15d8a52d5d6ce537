/**
 * `npm run bench`: every benchmark side by side with its peer, medians and ratios, as markdown.
 * Not a test: numbers depend on the machine. `npm run bench -- open views` runs a subset.
 */

import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

import { ModelData } from '..'
import { appHeap } from './app-heap'
import { chartSvg } from './chart'
import { checksum } from './checksum'
import { coldLoad } from './cold-load'
import { fuzz } from './fuzz'
import { viewGc } from './gc'
import { values } from './values'
import { hostile } from './hostile'
import { memory } from './memory'
import { modelSets } from './model-sets'
import { processes } from './processes'
import { scan } from './scan'
import { ggufParse } from './gguf'
import { openLatency, rssAfterOpen, viewCost } from './open'
import { headlines } from './stats'

const suites: Record<string, { title: string; run: () => string | Promise<string> }> = {
  open: { title: 'Open latency vs file size', run: () => openLatency() },
  views: { title: 'View creation cost', run: () => viewCost() },
  gc: { title: 'Garbage collection with views, and close() with 100k live views', run: () => viewGc() },
  heap: { title: 'Inside an application: empty heap against ~300 MB of live objects, Node 20 / 22 / 24', run: () => appHeap() },
  rss: { title: 'Resident memory after opening', run: () => rssAfterOpen() },
  memory: { title: 'Resident memory after opening a 4 GiB GGUF and viewing every tensor', run: () => memory() },
  scan: { title: 'Hot sequential scan', run: () => scan() },
  gguf: { title: 'GGUF header parse, 256k-token vocabulary', run: () => ggufParse() },
  checksum: { title: 'checksum() vs sha256sum', run: () => checksum() },
  processes: { title: 'Four processes, one model', run: () => processes() },
  fuzz: { title: 'Fuzzing the format parsers', run: () => fuzz() },
  sets: { title: 'Models in pieces: opening and validating 100-shard sets', run: () => modelSets() },
  cold: { title: 'Cold loads: prefetch and populate against plain reads, and the page cache they leave', run: () => coldLoad() },
  hostile: { title: 'Hostile inputs: peak memory and time per file', run: () => hostile() },
  values: { title: 'Tensor values: every type against gguf-py and the memory floor', run: () => values() },
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2)
  // The million-input fuzz run and the cold-load run (4 GiB written, evicted ~50 times) are
  // opt-in (`npm run bench -- fuzz cold`): they take minutes.
  const names = wanted.length > 0 ? wanted : Object.keys(suites).filter((n) => n !== 'fuzz' && n !== 'cold')
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  const out: string[] = []
  const print = (line: string) => {
    console.log(line)
    out.push(line)
  }
  print(`# modelmap benchmarks\n`)
  print(`${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, backend ${ModelData.nativeStatus.available ? 'mmap' : 'heap'}\n`)
  for (const name of names) {
    const suite = suites[name]
    if (suite === undefined) throw new Error(`unknown benchmark '${name}': choose from ${Object.keys(suites).join(', ')}`)
    print(`## ${suite.title}\n`)
    print(await suite.run())
    print('')
  }
  // A full run (no names given) refreshes the committed results that README shows.
  if (wanted.length === 0) {
    const dir = path.join(__dirname, 'results')
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(path.join(dir, 'latest.md'), out.join('\n') + '\n')
    fs.writeFileSync(path.join(dir, 'chart.svg'), chartSvg(headlines, `modelmap vs its peers (${os.cpus().length}-core ${os.type()}, Node ${process.version})`))
    console.log(`wrote ${path.relative(process.cwd(), dir)}/latest.md and chart.svg`)
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
