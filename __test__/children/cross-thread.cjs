// A view's memory moves to the main thread from a worker that then exits (DESIGN.md, "Threads").
// The worker opens the file, takes a view and hands its memory over:
//   share:    postMessage(view), which shares a SharedArrayBuffer window (zero-copy);
//   bypass:   ArrayBuffer.prototype.transfer.call(view.buffer), which gets round the window's
//             own refusing transfer(), then a transfer list (an ArrayBuffer window, Node 22+);
//   copy:     postMessage(view) of an ArrayBuffer window (Node copies it).
// The worker then closes the model, collects garbage and ends (`exit`: on its own; `terminate`:
// the main thread terminates it). The main thread then collects garbage, maps and reads other
// files (so freed address space would be reused) and hashes what it received. Prints one JSON
// line; the parent compares the hash with the file's.
//
//   node --expose-gc cross-thread.cjs <how> <ending> <viewBuffer> <file> <otherFile>
const { createHash } = require('node:crypto')
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads')

const { ModelData } = require('../../dist/index.js')

const OFFSET = 1 << 20
const LENGTH = 2 << 20
const sha = (bytes) => createHash('sha256').update(bytes).digest('hex')
const turn = () => new Promise((resolve) => setImmediate(resolve))

if (!isMainThread) {
  const { how, file, viewBuffer } = workerData
  const model = ModelData.open(file, { viewBuffer })
  const view = model.view(OFFSET, LENGTH)
  const sibling = model.view(OFFSET, 16)
  let message
  let transfer = []
  if (how === 'bypass') {
    const byteOffset = view.byteOffset // before the transfer detaches the view
    const moved = ArrayBuffer.prototype.transfer.call(view.buffer)
    message = { buffer: moved, byteOffset, length: LENGTH }
    transfer = [moved]
  } else {
    message = { view }
  }
  parentPort.postMessage({ ...message, kind: model.viewBuffer, siblingLength: sibling.length }, transfer)
  model.close()
  global.gc()
  if (workerData.ending === 'exit') setImmediate(() => process.exit(0))
  else setInterval(() => {}, 1000) // keeps running until terminated
} else {
  const [how, ending, viewBuffer, file, otherFile] = process.argv.slice(2)
  setTimeout(() => {
    console.log(JSON.stringify({ hung: true }))
    process.exit(3)
  }, 60_000).unref()
  ;(async () => {
    const worker = new Worker(__filename, { workerData: { how, ending, file, viewBuffer } })
    const message = await new Promise((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    const exited = new Promise((resolve) => worker.once('exit', resolve))
    if (ending === 'terminate') await worker.terminate()
    const code = await exited
    const received = message.view ?? new Uint8Array(message.buffer, message.byteOffset, message.length)
    for (let i = 0; i < 4; i++) {
      global.gc()
      await turn()
    }
    // Map and read other files, so freed address space would be reused by now.
    const keep = []
    for (let i = 0; i < 32; i++) {
      const other = ModelData.open(otherFile)
      const v = other.view(0, other.byteLength)
      keep.push(v[v.length - 1])
      other.close()
      keep.push(Buffer.alloc(1 << 20, 0x5a))
    }
    global.gc()
    await turn()
    console.log(JSON.stringify({
      how,
      ending,
      workerExit: code,
      kind: message.kind,
      shared: received.buffer instanceof SharedArrayBuffer,
      siblingLength: message.siblingLength,
      got: sha(received),
    }))
  })().catch((err) => {
    console.log(JSON.stringify({ error: String(err && err.stack) }))
    process.exit(1)
  })
}
