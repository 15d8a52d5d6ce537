// Worker for the concurrency suites: opens the model itself (views cannot move between threads),
// reads random ranges and compares them with a plain read of the file.
const fs = require('node:fs')
const { parentPort, workerData } = require('node:worker_threads')
const { ModelData } = require('../../dist/index.js')

const { file, reads, maxLength, seed } = workerData
const expected = fs.readFileSync(file)
const model = ModelData.open(file)
let x = seed >>> 0 || 1
const next = () => {
  x ^= x << 13
  x ^= x >>> 17
  x ^= x << 5
  return x >>> 0
}
let mismatches = 0
let bytesRead = 0
// Start reading only when told, so the main thread can measure the steady state apart from
// worker start-up (loading Node, the addon and the expected bytes).
parentPort.postMessage({ ready: true })
parentPort.once('message', run)

function run() {
for (let i = 0; i < reads; i++) {
  const offset = next() % model.byteLength
  const length = Math.min(next() % maxLength, model.byteLength - offset)
  const view = model.view(offset, length)
  if (!view.equals(expected.subarray(offset, offset + length))) mismatches++
  bytesRead += length
}
let liveMappings
try {
  liveMappings = require('../../dist/native.js').nativeBinding().binding?.liveMappings()
} catch {
  liveMappings = undefined
}
parentPort.postMessage({ reads, mismatches, bytesRead, backend: model.backend, liveMappings })
model.close()
}
