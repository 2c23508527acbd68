#!/usr/bin/env node
// Cache compiled bytecode between runs: flinkctl is started often and briefly (scripts, drills).
import {enableCompileCache} from 'node:module'
enableCompileCache?.()

const [major] = process.versions.node.split('.').map(Number)
if (major < 22) {
  process.stderr.write(`flinkctl needs Node.js 22 or newer (this is ${process.version}).\n  hint: run bin/with-node flinkctl … to use a private Node 24\n`)
  process.exit(2)
}

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
