// The ava suite under Bun (scripts/test-bun.mjs): package.json's settings without --import=tsx,
// which Bun does not need (it runs TypeScript itself).
import { readFileSync } from 'node:fs'

const { ava } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'))

export default { ...ava, nodeArguments: ava.nodeArguments.filter((a) => !a.startsWith('--import')) }
