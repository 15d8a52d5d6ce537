/**
 * Strings from a model file (metadata keys and values, tensor names) and from the filesystem are
 * someone else's text. Printed raw, an ESC or OSC sequence can clear the screen, retitle the
 * terminal, plant a fake line or a hyperlink, and a bidi override can reorder what is shown. So
 * every such string is escaped before it reaches a terminal: C0 and C1 controls, DEL, and the
 * Unicode bidi and line-separator controls become visible escapes (`\x1b`, `\u202e`). `--json`
 * output is exact instead (JSON.stringify escapes C0; see toJson for the rest).
 */

// C0 (incl. \t \n \r), DEL, C1, ALM, LRM/RLM, LRE..RLO, LRI..PDI, line/paragraph separators.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g

// The same set less C0: JSON.stringify already escapes C0 inside strings, and outside strings
// JSON's own whitespace (newlines of pretty printing) must stay as it is.
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g

const NAMED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' }

function visible(ch: string): string {
  const named = NAMED[ch]
  if (named !== undefined) return named
  const code = ch.charCodeAt(0)
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/** `s` with every terminal control shown as a visible escape (a backslash stays as it is). */
export function escapeForTerminal(s: string): string {
  return s.replace(UNSAFE, visible)
}

/** JSON text in which the controls JSON.stringify leaves raw (DEL, C1, bidi) are \u-escaped too. */
export function escapeJsonText(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
