// Child for bench/processes.ts: maps the file (or reads it) and faults every page in, says so,
// then reports its PSS when asked (after every sibling holds the file too) and exits.
const fs = require('node:fs')
const { ModelData } = require('../../dist/index.js')

const [variant, file] = process.argv.slice(2)
const keep = variant === 'mmap' ? ModelData.open(file, { populate: true }) : fs.readFileSync(file)
process.send({ ready: true })
process.on('message', (msg) => {
  if (msg === 'measure') {
    const pssKiB = Number(/^Pss:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/smaps_rollup', 'utf8'))[1])
    process.send({ pssKiB })
  } else {
    void keep
    process.exit(0)
  }
})
