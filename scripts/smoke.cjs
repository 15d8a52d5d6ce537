// A smoke run of the library where ava cannot run: arm64 Node under qemu-user (no binfmt; it
// loads the binary NAPI_RS_NATIVE_LIBRARY_PATH names) and Deno (scripts/test-deno.mjs). Exercises
// open, view, checksum, prefetch, residency, advice, close, a GGUF round trip and tensor values
// on the mmap backend; with a `gc` global (--expose-gc) also the lifetime rules: views outlive
// close() and the GC, every mapping comes back, a view read in a worker that exited stays valid.
// MODELMAP_SMOKE_EXPECT_FALLBACK=<text>: the binding must NOT load, with a reason containing
// <text>, and the same calls must work on the heap backend. Prints "N passed, N failed".
'use strict'
const { createHash } = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { ModelData, openGguf, writeGguf, GGUFValueType } = require('../dist/index.js')
const { nativeBinding } = require('../dist/native.js')

const expectFallback = process.env.MODELMAP_SMOKE_EXPECT_FALLBACK
const backend = expectFallback === undefined ? 'mmap' : 'heap'
const runtime = typeof Deno !== 'undefined' ? `Deno ${Deno.version.deno}` : typeof Bun !== 'undefined' ? `Bun ${Bun.version}` : `Node ${process.version}`

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
  console.log(`modelmap smoke: ${process.platform}-${process.arch}, ${runtime}, ${backend} backend`)
  if (expectFallback === undefined) {
    await check('the native binding loaded (mmap backend)', () => {
      const status = ModelData.nativeStatus
      assert(status.available, `native unavailable: ${status.reason}`)
    })
  } else {
    await check(`the binding did not load, and the reason says "${expectFallback}"`, () => {
      const status = ModelData.nativeStatus
      assert(!status.available, 'the binding loaded')
      assert(String(status.reason).includes(expectFallback), `reason: ${status.reason}`)
      console.log(`    reason: ${status.reason}`)
    })
  }
  const model = ModelData.open(file)
  await check(`open: ${backend} backend, byteLength`, () => {
    assert(model.backend === backend, model.backend)
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
    assert(r.totalBytes === bytes.length && (backend === 'heap' || r.residentBytes === bytes.length), JSON.stringify(r))
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
  await check('tensor values: Q8_0 blocks decoded to f32', () => {
    // One Q8_0 block: an f16 scale of 0.5 (0x3800), then 32 int8 quants -16..15.
    const block = Buffer.alloc(34)
    block.writeUInt16LE(0x3800, 0)
    for (let i = 0; i < 32; i++) block.writeInt8(i - 16, 2 + i)
    const g = path.join(dir, 'q.gguf')
    writeGguf(g, { metadata: {}, tensors: [{ name: 'q', dtype: 'Q8_0', shape: [32], data: block }] })
    const f = openGguf(g)
    const values = f.tensor('q').toFloat32()
    assert(values.length === 32 && values[0] === -8 && values[31] === 7.5, Array.from(values).join())
    f.close()
  })
  if (typeof gc === 'function') await lifetimes()
  fs.rmSync(dir, { recursive: true, force: true })
  console.log(`\n${passed} passed, ${failed} failed`)
  process.exit(failed === 0 ? 0 : 1)
})()

async function collect(rounds = 4) {
  for (let i = 0; i < rounds; i++) {
    gc()
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Mappings alive in the binding (undefined on the heap backend). */
function liveMappings() {
  return nativeBinding().binding?.liveMappings()
}

/** Waits (up to 10 s: an end state, not a duration) for the background unmapping. */
async function settle(baseline) {
  const deadline = Date.now() + 10_000
  for (;;) {
    const now = liveMappings()
    if (now === undefined || now <= baseline || Date.now() > deadline) return now
    await collect(1)
  }
}

async function lifetimes() {
  await check('views outlive close() and the GC, and read the file', async () => {
    const m = ModelData.open(file)
    const views = []
    for (let i = 0; i < 2000; i++) views.push(m.view((i * 5003) % (bytes.length - 64), 64))
    m.close()
    await collect()
    for (let i = 0; i < views.length; i++) {
      const o = (i * 5003) % (bytes.length - 64)
      assert(views[i].equals(bytes.subarray(o, o + 64)), `view ${i}`)
    }
  })
  await check('2000 open/view/close cycles: every mapping comes back after the GC', async () => {
    await collect()
    const before = liveMappings()
    for (let i = 0; i < 2000; i++) {
      const m = ModelData.open(file)
      if (m.view(i, 64)[0] !== bytes[i]) throw new Error(`cycle ${i} read wrong bytes`)
      m.close()
    }
    await collect(8)
    const after = await settle(before ?? 0)
    assert(before === undefined || after <= before, `mappings ${before} -> ${after}`)
  })
  await check("a view posted to a worker that exited still reads the file's bytes", async () => {
    const m = ModelData.open(file)
    const view = m.view(4096, 4096)
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads'); let s = 0; for (const b of workerData) s += b; parentPort.postMessage(s)`,
      { eval: true, workerData: view },
    )
    const sum = await new Promise((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    await new Promise((resolve) => worker.once('exit', resolve))
    m.close()
    await collect()
    let expected = 0
    for (const b of bytes.subarray(4096, 8192)) expected += b
    assert(sum === expected, `worker read ${sum}, file has ${expected}`)
    assert(view.equals(bytes.subarray(4096, 8192)), 'the view changed after the worker exited')
  })
}
