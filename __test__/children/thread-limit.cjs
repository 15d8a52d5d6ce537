// Runs under a thread limit (ulimit -u, as a container's pids limit would): opening with populate
// and a prefetch asking for 256 threads must work with the threads the OS grants, or fail with a
// typed error, and never abort the process. Prints one JSON line.
const { ModelData } = require('../../dist/index.js')

const [file] = process.argv.slice(2)
;(async () => {
  const model = ModelData.open(file, { populate: true })
  await model.prefetch({ concurrency: 256 })
  const sha = await model.checksum()
  model.close()
  console.log(JSON.stringify({ backend: model.backend, sha }))
})().catch((err) => {
  console.log(JSON.stringify({ error: err.code ?? String(err) }))
})
