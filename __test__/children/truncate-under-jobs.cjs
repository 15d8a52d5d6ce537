// checksum() and prefetch() in a loop while a second process truncates the file to 1 MiB and
// extends it back, for ~2 s. Every job must resolve or reject with a typed error; a SIGBUS kills
// this process and the parent sees the signal. Prints one JSON line with the outcome counts.
const { spawn } = require('node:child_process')
const { ModelData } = require('../../dist/index.js')

const [file] = process.argv.slice(2)
const model = ModelData.open(file)
const size = model.byteLength
const truncator = spawn(process.execPath, ['-e', `
  const fs = require('node:fs')
  const fd = fs.openSync(process.argv[1], 'r+')
  const end = Date.now() + 2000
  let n = 0
  try {
    while (Date.now() < end) {
      fs.ftruncateSync(fd, 1 << 20)
      fs.ftruncateSync(fd, ${size})
      n++
    }
  } catch {
    // Windows refuses to truncate a mapped file; keep the jobs company for the same time.
    while (Date.now() < end) {}
  }
  console.log(n)`, file], { stdio: ['ignore', 'pipe', 'inherit'] })
let out = ''
truncator.stdout.on('data', (d) => (out += d))
let running = true
const done = new Promise((resolve) => truncator.on('close', () => { running = false; resolve() }))

const outcomes = {}
const count = (key) => (outcomes[key] = (outcomes[key] ?? 0) + 1)
;(async () => {
  while (running) {
    await model.checksum().then(() => count('checksum:digest'), (e) => count(`checksum:${e.code}`))
    await model.prefetch().then(() => count('prefetch:ok'), (e) => count(`prefetch:${e.code}`))
  }
  await done
  model.close()
  console.log(JSON.stringify({ outcomes, truncations: Number(out.trim()) }))
})()
