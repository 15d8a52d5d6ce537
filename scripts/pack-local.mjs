#!/usr/bin/env node
// `npm run pack:local`: packs the main package and this machine's platform package as tarballs in
// .pack/, the way they would be published (the main package gains optionalDependencies on every
// platform package, as `napi prepublish` adds them). Needs `npm run build` first.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

import { platformName } from './platform.mjs'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = path.join(root, '.pack')
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
const platform = platformName()
const binary = path.join(root, 'native', `${pkg.napi.binaryName}.${platform}.node`)
for (const needed of [binary, path.join(root, 'dist', 'index.js'), path.join(root, 'native', 'index.js')]) {
  if (!fs.existsSync(needed)) throw new Error(`${needed} is missing: run \`npm run build\` first`)
}

fs.rmSync(out, { recursive: true, force: true })
const stage = path.join(out, 'stage')
const npmCmd = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const pack = (dir) => execFileSync(npmCmd, ['pack', '--silent', '--pack-destination', out], { cwd: dir, encoding: 'utf8', shell: process.platform === 'win32' }).trim()

// The main package: exactly the files `files` lists, and a publishable package.json.
const main = path.join(stage, 'main')
fs.mkdirSync(main, { recursive: true })
const listed = JSON.parse(execFileSync(npmCmd, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' }))[0].files
for (const { path: file } of listed) {
  if (file === 'package.json') continue
  fs.mkdirSync(path.dirname(path.join(main, file)), { recursive: true })
  fs.copyFileSync(path.join(root, file), path.join(main, file))
}
const platforms = fs.readdirSync(path.join(root, 'npm')).sort()
const published = { ...pkg, optionalDependencies: Object.fromEntries(platforms.map((p) => [`${pkg.name}-${p}`, pkg.version])) }
delete published.devDependencies
delete published.scripts
delete published.ava
fs.writeFileSync(path.join(main, 'package.json'), JSON.stringify(published, null, 2) + '\n')
const mainTarball = pack(main)

// This machine's platform package, with the binary just built.
const platformDir = path.join(stage, platform)
fs.cpSync(path.join(root, 'npm', platform), platformDir, { recursive: true })
fs.copyFileSync(binary, path.join(platformDir, path.basename(binary)))
const platformTarball = pack(platformDir)

console.log(JSON.stringify({ dir: out, main: path.join(out, mainTarball), platform: path.join(out, platformTarball), stage: main }))
