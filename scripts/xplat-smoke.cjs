// A smoke run of the addon where ava cannot run (arm64 Node under qemu-user, no binfmt): loads
// the binary NAPI_RS_NATIVE_LIBRARY_PATH names and exercises open, view, checksum, prefetch,
// residency, advice, close and a GGUF parse on the real mmap backend. Prints "N passed, N failed".
'use strict'
const { createHash } = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { ModelData, openGguf, writeGguf, GGUFValueType } = require('../dist/index.js')

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmap-smoke-'))
const bytes = Buffer.alloc(12 << 20)
for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24
const file = path.join(dir, 'model.bin')
fs.writeFileSync(file, bytes)

let passed = 0
let failed = 0
async function check(name, fn) {
  try {
    await fn()
    passed++
    console.log(`  ✔ ${name}`)
  } catch (err) {
    failed++
    console.log(`  ✘ ${name}: ${err && err.stack}`)
  }
}
function assert(ok, message) {
  if (!ok) throw new Error(message)
}

;(async () => {
  console.log(`modelmap smoke: ${process.platform}-${process.arch}, Node ${process.version}`)
  await check('the native binding loaded (mmap backend)', () => {
    const status = ModelData.nativeStatus
    assert(status.available, `native unavailable: ${status.reason}`)
  })
  const model = ModelData.open(file)
  await check('open: mmap backend, byteLength', () => {
    assert(model.backend === 'mmap', model.backend)
    assert(model.byteLength === bytes.length, String(model.byteLength))
  })
  await check('views read the file, across window edges and at odd offsets', () => {
    for (const [o, l] of [[0, 16], [12345, 4096], [bytes.length - 7, 7], [1, bytes.length - 1]]) {
      assert(model.view(o, l).equals(bytes.subarray(o, o + l)), `view(${o}, ${l})`)
    }
  })
  await check('checksum matches node:crypto', async () => {
    const sha = createHash('sha256').update(bytes).digest('hex')
    assert((await model.checksum()) === sha, 'digest')
  })
  await check('prefetch, then the whole file is resident', async () => {
    let last
    await model.prefetch({ onProgress: (p) => (last = p) })
    assert(last && last.bytesDone === bytes.length, JSON.stringify(last))
    const r = model.residency()
    assert(r.totalBytes === bytes.length && r.residentBytes === bytes.length, JSON.stringify(r))
  })
  await check('advice and releaseCpuPages keep the bytes', () => {
    for (const a of ['sequential', 'random', 'willneed', 'normal']) model.advise(a)
    model.releaseCpuPages()
    assert(model.view(0, 4096).equals(bytes.subarray(0, 4096)), 'bytes after dontneed')
  })
  await check('a write into a view stays out of the file', () => {
    const v = model.view(0, 1)
    v[0] ^= 0xff
    assert(fs.readFileSync(file)[0] === bytes[0], 'the file changed')
  })
  await check('close: later calls throw ERR_MODELMAP_CLOSED, views stay valid', () => {
    const v = model.view(100, 100)
    model.close()
    let code
    try {
      model.view()
    } catch (err) {
      code = err.code
    }
    assert(code === 'ERR_MODELMAP_CLOSED', String(code))
    assert(v.equals(bytes.subarray(100, 200)), 'view after close')
  })
  await check('GGUF written and read back through the mapping', () => {
    const g = path.join(dir, 'm.gguf')
    const w = new Float32Array([1.5, -2, 3.25, 4])
    writeGguf(g, { metadata: { 'general.architecture': { type: GGUFValueType.STRING, value: 'llama' } }, tensors: [{ name: 'w', dtype: 'F32', shape: [4], data: new Uint8Array(w.buffer) }] })
    const f = openGguf(g)
    assert(f.metadata['general.architecture'] === 'llama', 'metadata')
    assert(Array.from(f.tensor('w').array).join() === '1.5,-2,3.25,4', 'tensor')
    f.close()
  })
  fs.rmSync(dir, { recursive: true, force: true })
  console.log(`\n${passed} passed, ${failed} failed`)
  process.exit(failed === 0 ? 0 : 1)
})()
