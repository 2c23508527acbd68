#!/usr/bin/env node
// Cache compiled bytecode between runs: flinkctl is started often and briefly (scripts, drills).
// (a namespace import: a named one would fail to link on Node < 22.1 before the version check below)
import * as nodeModule from 'node:module'
nodeModule.enableCompileCache?.()

const [major] = process.versions.node.split('.').map(Number)
if (major < 22) {
  process.stderr.write(`flinkctl needs Node.js 22 or newer (this is ${process.version}).\n  hint: run bin/with-node flinkctl … to use a private Node 24\n`)
  process.exit(2)
}

const argv = process.argv.slice(2)
// anything nothing caught becomes the internal-error outcome (exit 1), never Node's stack trace
const {installProcessGuard} = await import('../dist/lib/cli/guard.js')
installProcessGuard(argv)
// `validate` runs before every deploy and in CI loops: serve it without loading oclif when the
// arguments are plain flags (FLINKCTL_NO_FAST_PATH=1 forces the oclif path, for comparison).
let handled = false
if (argv[0] === 'validate' && !process.env.FLINKCTL_NO_FAST_PATH) {
  const {runFastValidate} = await import('../dist/lib/cli/fast-validate.js')
  handled = runFastValidate(argv.slice(1))
}

if (!handled) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
