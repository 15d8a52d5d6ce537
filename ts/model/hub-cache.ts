/**
 * Hugging Face hub cache, read offline: `<cache>/models--<org>--<name>/refs/<revision>` holds a
 * commit hash, `snapshots/<hash>/` holds the repo's files as symlinks into `blobs/`. Never the
 * network: a repo that is not in the cache is an error that says where it looked.
 */

import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

import { readSmallFile } from '../backends/open-file.js'

import { modelError } from './errors.js'

export interface HubOptions {
  /** The hub cache folder; default `HF_HUB_CACHE`, `$HF_HOME/hub`, `$XDG_CACHE_HOME/huggingface/hub`, `~/.cache/huggingface/hub`. */
  cacheDir?: string
  /** Branch, tag or commit hash (default 'main'). */
  revision?: string
}

/** The cache folder huggingface_hub uses, by the same environment variables. */
export function hubCacheDir(given?: string): string {
  if (given !== undefined) return given
  const env = process.env
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE
  if (env.HF_HOME) return path.join(env.HF_HOME, 'hub')
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, 'huggingface', 'hub')
  return path.join(os.homedir(), '.cache', 'huggingface', 'hub')
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/

/**
 * `org/name` or `org/name/path/in/repo` (also a legacy one-part id such as `gpt2`): the parts, or
 * undefined when `id` cannot be a repo id (absolute, `.`/`..` parts, backslashes).
 */
function splitRepoId(id: string): string[] | undefined {
  if (path.isAbsolute(id) || id.includes('\\') || id.includes('\0')) return undefined
  const parts = id.split('/')
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return undefined
  if (!SEGMENT.test(parts[0]!)) return undefined
  return parts
}

export function looksLikeRepoId(id: string): boolean {
  return splitRepoId(id) !== undefined
}

const COMMIT = /^[0-9a-f]{40}$/

/**
 * The commit a revision names: itself when it is one, else the content of refs/<revision>, which
 * huggingface_hub writes as a 40-hex commit. Anything else (a path such as ../../elsewhere, a
 * FIFO, a huge file) names no snapshot of this cache: ERR_MODELMAP_NO_MODEL naming the ref.
 */
function readRef(repoDir: string, revision: string): string | undefined {
  if (COMMIT.test(revision)) return revision
  const parts = revision.split('/')
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return undefined
  const ref = path.join(repoDir, 'refs', ...parts)
  if (!fs.existsSync(ref)) return undefined
  let content: string
  try {
    content = readSmallFile(ref, 4096, (size) => modelError('ERR_MODELMAP_NO_MODEL', ref, `the cache ref '${ref}' is ${size} bytes, not a commit hash`)).toString('utf8').trim()
  } catch (err) {
    throw modelError('ERR_MODELMAP_NO_MODEL', ref, `the cache ref '${ref}' cannot be read as a commit hash: ${(err as Error).message}`)
  }
  if (!COMMIT.test(content)) throw modelError('ERR_MODELMAP_NO_MODEL', ref, `the cache ref '${ref}' holds ${JSON.stringify(content.slice(0, 80))}, not a 40-hex commit hash as huggingface_hub writes`)
  return content
}

/**
 * The snapshot path for a repo id (the snapshot folder, or a file in it), or undefined when the
 * id names no repo in the cache. A repo that is cached without the revision asked for is an
 * ERR_MODELMAP_NO_MODEL naming the revisions it has.
 */
export function resolveRepoId(id: string, options: HubOptions = {}): string | undefined {
  const parts = splitRepoId(id)
  if (parts === undefined) return undefined
  const cache = hubCacheDir(options.cacheDir)
  const revision = options.revision ?? 'main'
  // `org/name` first (every current id); then a legacy one-part id with the rest as the path.
  for (const n of [2, 1]) {
    if (parts.length < n) continue
    const repoDir = path.join(cache, `models--${parts.slice(0, n).join('--')}`)
    if (!fs.existsSync(repoDir)) continue
    const repo = parts.slice(0, n).join('/')
    const commit = readRef(repoDir, revision)
    const snapshot = commit === undefined ? undefined : path.join(repoDir, 'snapshots', commit)
    if (snapshot === undefined || !fs.existsSync(snapshot)) {
      const refs = fs.existsSync(path.join(repoDir, 'refs')) ? fs.readdirSync(path.join(repoDir, 'refs')) : []
      throw modelError(
        'ERR_MODELMAP_NO_MODEL',
        repoDir,
        `the Hugging Face cache '${cache}' has ${repo} but not its revision '${revision}'${refs.length > 0 ? ` (it has: ${refs.join(', ')})` : ''}; nothing is downloaded`,
      )
    }
    return path.join(snapshot, ...parts.slice(n))
  }
  return undefined
}
