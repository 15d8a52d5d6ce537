/**
 * The CLI fed files built to attack the terminal it prints to, and interrupted mid-command. No
 * raw control byte from a file may reach stdout or stderr; --json stays exact.
 */

import { spawn, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import test from 'ava'

import { GGUFValueType as T, writeGguf } from '..'
import { ggufEmptyTensors } from '../fixtures/hostile-inputs'
import { heapForced, isLinux, tmpPath } from './helpers'

const bin = path.join(__dirname, '..', 'bin', 'modelmap.js')

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env } })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

// Clear screen, retitle (OSC 0 … BEL), a fake "verified" line after a carriage return, an OSC 8
// hyperlink, a right-to-left override, DEL and a C1 CSI.
const attacks = {
  clear: 'a\u001b[2J\u001b[Hb',
  title: 'x\u001b]0;pwned\u0007y',
  fake: 'name\r\u001b[32mOK  verified\u001b[0m',
  link: '\u001b]8;;https://example.invalid\u001b\\click\u001b]8;;\u001b\\',
  bidi: 'model\u202egguf.exe',
  del: 'd\u007fe\u009bf',
}
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

function hostileGguf(): string {
  const file = tmpPath('hostile.gguf')
  writeGguf(file, {
    metadata: Object.fromEntries(Object.entries(attacks).map(([k, v]) => [`key.${k}.${v}`, { type: T.STRING, value: v }])),
    tensors: Object.values(attacks).map((name) => ({ name, dtype: 'F32', shape: [4], data: new Uint8Array(16) })),
  })
  return file
}

test('inspect, residency --tensors and verify print no raw control byte from a hostile file; --json stays exact', (t) => {
  const file = hostileGguf()
  for (const args of [['inspect', file], ['residency', file, '--tensors'], ['verify', file, '--sha256', '0'.repeat(64)], ['inspect', file, '--json']]) {
    const r = cli(...args)
    t.true(r.code === 0 || r.code === 1, `${args.join(' ')}: exit ${r.code} ${r.stderr}`)
    t.false(RAW.test(r.stdout), `${args[0]}: a raw control character reached stdout`)
    t.false(RAW.test(r.stderr), `${args[0]}: a raw control character reached stderr`)
  }
  const text = cli('inspect', file).stdout
  t.true(text.includes('\\x1b[2J'), 'shown as a visible escape')
  t.true(text.includes('\\u202e'))
  const json = JSON.parse(cli('inspect', file, '--json').stdout) as { tensors: Array<{ name: string }>; metadata: Record<string, unknown> }
  t.deepEqual(json.tensors.map((x) => x.name), Object.values(attacks), '--json gives the exact names')
  t.is(json.metadata[`key.bidi.${attacks.bidi}`], attacks.bidi)
})

test('an error line naming a hostile tensor is escaped too, and carries one code', (t) => {
  // Two tensors whose hostile names differ in the last byte; patched to the same name, the
  // file is refused with a message that quotes it.
  const file = tmpPath('dup.gguf')
  const data = new Uint8Array(16)
  writeGguf(file, { metadata: {}, tensors: [{ name: `${attacks.clear}X`, dtype: 'F32', shape: [4], data }, { name: `${attacks.clear}Y`, dtype: 'F32', shape: [4], data }] })
  const raw = fs.readFileSync(file)
  raw[raw.indexOf(`${attacks.clear}Y`) + attacks.clear.length] = 'X'.charCodeAt(0)
  fs.writeFileSync(file, raw)
  const r = cli('inspect', file)
  t.is(r.code, 2)
  t.false(RAW.test(r.stderr), r.stderr)
  t.regex(r.stderr, /^modelmap: ERR_MODELMAP_INVALID_GGUF: /)
  t.is(r.stderr.match(/ERR_MODELMAP_INVALID_GGUF/g)?.length, 1)
  const missing = cli('inspect', '/no/such/file.gguf')
  t.regex(missing.stderr, /^modelmap: ENOENT: no such file/, 'the code once, not "ENOENT: ENOENT:"')
})

test('Ctrl-C during inspect of a 250k-tensor file exits 130', async (t) => {
  if (!isLinux) return t.pass('the test watches /proc/<pid>/fd to know the command is working')
  const file = tmpPath('many.gguf')
  ggufEmptyTensors(file, 250_000)
  const child = spawn(process.execPath, [bin, 'inspect', file], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  child.stdout.resume()
  const exited = new Promise<[number | null, string | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])))
  // Wait until the command holds the file open (its signal handlers are installed by then).
  const real = fs.realpathSync(file)
  for (;;) {
    let open = false
    try {
      open = fs.readdirSync(`/proc/${child.pid}/fd`).some((fd) => {
        try {
          return fs.readlinkSync(`/proc/${child.pid}/fd/${fd}`) === real
        } catch {
          return false
        }
      })
    } catch {
      break // the child is gone
    }
    if (open) break
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  child.kill('SIGINT')
  const [code, signal] = await exited
  t.is(signal, null, stderr)
  t.is(code, 130, stderr)
  t.regex(stderr, /modelmap: aborted/)
})

test('warm --lock holds the lock (VmLck) after it reports, until Ctrl-C', async (t) => {
  const file = tmpPath('lock.bin')
  fs.writeFileSync(file, Buffer.alloc(4 << 20, 1))
  const child = spawn(process.execPath, [bin, 'warm', file, '--lock', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  const report = await new Promise<{ locked: boolean }>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      try {
        resolve(JSON.parse(stdout) as { locked: boolean })
      } catch {
        // not complete yet
      }
    })
    child.once('exit', () => reject(new Error(`exited before reporting: ${stderr}`)))
  })
  if (heapForced || !report.locked) {
    t.false(report.locked, 'the heap backend has nothing to lock')
    t.is(await exited, 0, stderr)
    return
  }
  // The report is out; the notice that the lock is being held follows on stderr.
  while (!stderr.includes('holding the lock')) {
    if (child.exitCode !== null) break
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  t.regex(stderr, /holding the lock/)
  if (isLinux) {
    const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8')
    const vmLck = Number(/VmLck:\s+(\d+) kB/.exec(status)?.[1])
    t.true(vmLck >= 4096, `VmLck ${vmLck} kB while the command says the lock is held`)
  }
  t.is(child.exitCode, null, 'still holding')
  child.kill('SIGINT')
  const code = await exited
  // Windows has no SIGINT delivery to a child: kill() terminates it, there is no exit code to check.
  if (process.platform !== 'win32') t.is(code, 0, stderr)
})
