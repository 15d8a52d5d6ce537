// Runs one parse of a (hostile) file and reports its outcome, time and peak RSS above what this
// process had before the call (library loaded). One JSON line on stdout.
//
//   node parse-peak.cjs <call> <file> [optionsJSON]
//   call: openGguf.tensors | gguf | openSafetensors.tensors | open
const { ModelData, gguf, openGguf, openSafetensors } = require('../../dist/index.js')

const [call, file, optionsJson] = process.argv.slice(2)
const options = optionsJson ? JSON.parse(optionsJson) : {}
const maxRss = () => process.resourceUsage().maxRSS * 1024

async function run() {
  switch (call) {
    case 'openGguf.tensors': {
      const f = openGguf(file, options)
      const n = f.tensors().length
      return { tensors: n, keys: Object.keys(f.metadata).length }
    }
    case 'gguf': {
      const r = await gguf(file, { allowLocalFile: true, ...options })
      return { tensors: r.tensorInfos.length, keys: Object.keys(r.metadata).length }
    }
    case 'openSafetensors.tensors': {
      const f = openSafetensors(file, options)
      return { tensors: f.tensors().length, keys: Object.keys(f.metadata).length }
    }
    case 'open': {
      const m = ModelData.open(file, options)
      return { byteLength: m.byteLength }
    }
    default:
      throw new Error(`unknown call ${call}`)
  }
}

const before = maxRss()
const start = performance.now()
run().then(
  (result) => report({ outcome: 'ok', ...result }),
  (err) => report({ outcome: 'error', code: err.code ?? err.name, message: String(err.message).slice(0, 300) }),
)

function report(result) {
  const ms = performance.now() - start
  console.log(JSON.stringify({ ...result, ms, peakBytes: maxRss() - before }))
}
