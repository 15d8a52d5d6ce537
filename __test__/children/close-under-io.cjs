// One scenario per run: a view handed to one of Node's own asynchronous consumers, then the model
// closed, our references dropped, garbage collected and memory churned (new buffers, another file
// mapped), so released memory would be reused if anything had freed it. Prints one JSON line with
// the SHA-256 of what the consumer delivered; the parent compares it with the file's.
//
//   node --expose-gc close-under-io.cjs <scenario> <file> <otherFile> <outFile>
const { spawn } = require('node:child_process')
const { createHash } = require('node:crypto')
const fs = require('node:fs')
const net = require('node:net')
const zlib = require('node:zlib')
const { ModelData } = require('../../dist/index.js')

const [scenario, file, otherFile, outFile] = process.argv.slice(2)
const sha = (bytes) => createHash('sha256').update(bytes).digest('hex')
const turn = () => new Promise((resolve) => setImmediate(resolve))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// Nothing may hang: a consumer that never finishes is a failure the parent sees.
setTimeout(() => {
  console.log(JSON.stringify({ scenario, hung: true }))
  process.exit(3)
}, 30_000).unref()

/** After close(): collect, then reuse memory as hard as we can while the consumer still runs. */
async function churn() {
  for (let i = 0; i < 4; i++) {
    global.gc()
    await turn()
  }
  const keep = []
  for (let i = 0; i < 16; i++) keep.push(Buffer.alloc(4 << 20, 0xa5))
  const other = ModelData.open(otherFile)
  keep.push(other.view())
  global.gc()
  await turn()
  return keep
}

/** Opens the model, hands a whole-file view to `consume`, closes, and drops every reference. */
async function handOff(consume) {
  const model = ModelData.open(file)
  const backend = model.backend
  const delivered = (() => consume(model.view()))()
  model.close()
  const keep = await churn()
  const result = await delivered
  return { scenario, backend, ...result, kept: keep.length }
}

const scenarios = {
  // A child process that starts reading its stdin only after a while: the write stays pending.
  pipe: () =>
    handOff((view) => {
      const reader = spawn(process.execPath, ['-e', `
        const h = require('node:crypto').createHash('sha256')
        setTimeout(() => {
          process.stdin.on('data', (d) => h.update(d))
          process.stdin.on('end', () => process.stdout.write(h.digest('hex')))
        }, 500)`], { stdio: ['pipe', 'pipe', 'inherit'] })
      let out = ''
      reader.stdout.on('data', (d) => (out += d))
      const wrote = new Promise((resolve) => reader.stdin.write(view, (err) => resolve(err ? err.code : 'ok')))
      reader.stdin.end()
      return Promise.all([wrote, new Promise((resolve) => reader.on('close', resolve))]).then(([write]) => ({ write, got: out }))
    }),

  // A TCP peer on loopback that does not read for a while.
  socket: async () => {
    let resolveGot
    const got = new Promise((resolve) => (resolveGot = resolve))
    const server = net.createServer((conn) => {
      const h = createHash('sha256')
      conn.pause()
      setTimeout(() => conn.resume(), 500)
      conn.on('data', (d) => h.update(d))
      conn.on('end', () => resolveGot(h.digest('hex')))
    })
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    const result = await handOff((view) => {
      const client = net.connect(server.address().port, '127.0.0.1')
      const wrote = new Promise((resolve) => client.write(view, (err) => resolve(err ? err.code : 'ok')))
      client.end()
      return Promise.all([wrote, got]).then(([write, digest]) => ({ write, got: digest }))
    })
    server.close()
    return result
  },

  // zlib compresses on the thread pool while holding the input's pointer.
  zlib: () =>
    handOff(
      (view) =>
        new Promise((resolve) =>
          zlib.deflate(view, (err, out) => resolve(err ? { error: err.message } : { got: sha(zlib.inflateSync(out)) })),
        ),
    ),

  // fs.write from the thread pool into another file.
  'fs-write': () =>
    handOff((view) => {
      const fd = fs.openSync(outFile, 'w')
      return new Promise((resolve) =>
        fs.write(fd, view, 0, view.length, 0, (err, n) => {
          fs.closeSync(fd)
          resolve(err ? { error: err.message } : { written: n, got: sha(fs.readFileSync(outFile)) })
        }),
      )
    }),

  // A write stream: must finish, with the file's bytes.
  stream: () =>
    handOff((view) => {
      const out = fs.createWriteStream(outFile)
      out.write(view)
      out.end()
      return new Promise((resolve) => {
        out.on('finish', () => resolve({ got: sha(fs.readFileSync(outFile)) }))
        out.on('error', (err) => resolve({ error: err.message }))
      })
    }),

  // Node 22+, ArrayBuffer views (MODELMAP_VIEW_BUFFER=arraybuffer): the view's backing store
  // moved to a new ArrayBuffer, going round the window's own refusing transfer(), then the model
  // closed.
  transfer: () =>
    handOff((view) => {
      if (typeof ArrayBuffer.prototype.transfer !== 'function') return { skipped: 'no ArrayBuffer.prototype.transfer' }
      const { byteOffset, length } = view
      const moved = ArrayBuffer.prototype.transfer.call(view.buffer)
      return sleep(50).then(() => {
        const bytes = new Uint8Array(moved, byteOffset, length)
        const got = sha(bytes)
        bytes[0] ^= 0xff // a write into the moved buffer: copy-on-write, no crash, never the file
        return { got, viewLengthAfterTransfer: view.length }
      })
    }),
}

scenarios[scenario]().then(
  (result) => {
    console.log(JSON.stringify(result))
    process.exit(0)
  },
  (err) => {
    console.log(JSON.stringify({ scenario, error: String(err && err.stack) }))
    process.exit(1)
  },
)
