#!/usr/bin/env node
// `npm run test:js`: the ava suite on this Node (arguments go to ava), then how many Python
// cross-checks were skipped, if any (scripts/run-ava.mjs).
import { runAva } from './run-ava.mjs'

process.exit(runAva({ args: process.argv.slice(2) }))
