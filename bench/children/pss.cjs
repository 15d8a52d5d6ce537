// Child for bench/processes.ts: maps the file (or reads it) and faults every page in, says so,
// then reports its PSS when asked (after every sibling holds the file too) and exits.
const fs = require('node:fs')
const { ModelData } = require('../../dist/index.js')

const [variant, file] = process.argv.slice(2)

/** mmap-io (bench/peers): the whole file mapped shared, every page touched. */
function mmapIo() {
  const { createRequire } = require('node:module')
  const path = require('node:path')
  const mm = createRequire(path.join(__dirname, '..', 'peers', 'package.json'))('mmap-io')
  const fd = fs.openSync(file, 'r')
  const buf = mm.map(fs.fstatSync(fd).size, mm.PROT_READ, mm.MAP_SHARED, fd, 0)
  fs.closeSync(fd)
  let sum = 0
  for (let i = 0; i < buf.length; i += 4096) sum += buf[i]
  return [buf, sum]
}

/**
 * modelmap: views over the whole file, every page read, kept. (Opening maps nothing: a window
 * maps its range at its first view, so views are what makes the file's pages part of this
 * process; `populate` loads the page cache at open and faults each window in when made.)
 */
function modelmap() {
  const model = ModelData.open(file, { populate: true })
  const views = []
  let sum = 0
  for (let at = 0; at < model.byteLength; at += 64 << 20) {
    const view = model.view(at, Math.min(64 << 20, model.byteLength - at))
    for (let i = 0; i < view.length; i += 4096) sum += view[i]
    views.push(view)
  }
  return [model, views, sum]
}

const keep = variant === 'mmap' ? modelmap() : variant === 'mmap-io' ? mmapIo() : fs.readFileSync(file)
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
