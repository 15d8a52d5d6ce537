#!/usr/bin/env node
// `npm run test:js:heap`: the ava suite with the heap backend forced (MODELMAP_BACKEND=heap).
import { runAva } from './run-ava.mjs'

process.exit(runAva({ args: process.argv.slice(2), env: { MODELMAP_BACKEND: 'heap' } }))
