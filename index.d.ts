// The public types of `modelmap` (both `require` and `import`); generated from ts/ by tsc.
export * from './dist/index.js'
