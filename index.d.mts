// Types for `import ... from 'modelmap'` (index.mjs re-exports the CommonJS build).
import * as modelmap from './dist/index.js'

export * from './dist/index.js'
export default modelmap
