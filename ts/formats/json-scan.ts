/**
 * One pass over JSON text that measures what JSON.parse would build, without building it: nesting
 * depth, keys at the first two levels, array elements and the longest string. The safetensors
 * parser checks these against its limits before it calls JSON.parse, so a hostile header (100 MB
 * of '[', millions of keys) is refused in milliseconds and a few bytes of memory.
 */

export interface JsonScan {
  maxDepth: number
  /** Offset (in the text) of the first bracket that nests deeper than `depthLimit`, or -1. */
  tooDeepAt: number
  /** Keys of the outermost object. */
  topLevelKeys: number
  /** Keys of objects directly inside the outermost object. */
  secondLevelKeys: number
  /** Elements of every array, summed. */
  arrayElements: number
  longestString: number
  longestStringAt: number
  /** A structural problem the scan can see (unbalanced brackets, an unterminated string). */
  error?: { offset: number; problem: string }
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COLON = 0x3a
const COMMA = 0x2c
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09
}

export function scanJson(text: Uint8Array, depthLimit: number): JsonScan {
  const out: JsonScan = { maxDepth: 0, tooDeepAt: -1, topLevelKeys: 0, secondLevelKeys: 0, arrayElements: 0, longestString: 0, longestStringAt: 0 }
  // Per open container: is it an array, and has it seen a value yet (to count elements). Only
  // the open ones are kept, and the scan stops growing this once it is past any sane depth.
  const isArray: boolean[] = []
  const hasValue: boolean[] = []
  const DEPTH_CAP = 1024
  let depth = 0
  const n = text.length
  for (let i = 0; i < n; i++) {
    const b = text[i]!
    if (b === QUOTE) {
      const start = i
      i++
      while (i < n && text[i] !== QUOTE) i += text[i] === BACKSLASH ? 2 : 1
      if (i >= n) return { ...out, error: { offset: start, problem: 'unterminated string' } }
      const length = i - start - 1
      if (length > out.longestString) {
        out.longestString = length
        out.longestStringAt = start
      }
      if (depth > 0 && depth <= DEPTH_CAP) hasValue[depth - 1] = true
      continue
    }
    if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      if (depth > 0 && depth <= DEPTH_CAP) hasValue[depth - 1] = true
      depth++
      if (depth > out.maxDepth) out.maxDepth = depth
      if (depth > depthLimit && out.tooDeepAt < 0) out.tooDeepAt = i
      if (depth <= DEPTH_CAP) {
        isArray[depth - 1] = b === OPEN_ARRAY
        hasValue[depth - 1] = false
      }
      continue
    }
    if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
      if (depth === 0) return { ...out, error: { offset: i, problem: `unbalanced '${String.fromCharCode(b)}'` } }
      if (depth <= DEPTH_CAP && isArray[depth - 1] && hasValue[depth - 1]) out.arrayElements++
      depth--
      continue
    }
    if (depth === 0 || depth > DEPTH_CAP) continue
    if (b === COLON) {
      if (depth === 1) out.topLevelKeys++
      else if (depth === 2) out.secondLevelKeys++
      continue
    }
    if (b === COMMA) {
      if (isArray[depth - 1]) out.arrayElements++
      continue
    }
    if (!isSpace(b)) hasValue[depth - 1] = true
  }
  if (depth !== 0) return { ...out, error: { offset: n, problem: `${depth} bracket(s) left open at the end` } }
  return out
}
