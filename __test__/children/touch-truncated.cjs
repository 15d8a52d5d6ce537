// Child process for faults.test.ts: maps a file, has it truncated, reports isStale(), then touches
// a lost page. On POSIX that raises SIGBUS and this process dies: the documented hazard.
const fs = require('node:fs')
const { ModelData } = require('../../dist/index.js')

const [file, keepBytes] = process.argv.slice(2)
const model = ModelData.open(file)
const view = model.view()
try {
  fs.truncateSync(file, Number(keepBytes))
} catch (err) {
  // Windows refuses to truncate a file while a view of it is mapped: the hazard cannot happen.
  process.stdout.write(JSON.stringify({ backend: model.backend, truncateRefused: err.code, stale: model.isStale() }) + '\n')
  process.exit(0)
}
process.stdout.write(JSON.stringify({ backend: model.backend, stale: model.isStale() }) + '\n')
// Touch the last byte, which no longer exists in the file.
const byte = view[view.length - 1]
process.stdout.write(JSON.stringify({ survived: true, byte }) + '\n')
