// Cold start of `flinkctl validate` on the example conf/, against `node -e 0` measured in the
// same run, alternating so that machine noise hits both alike. Prints both medians and the ratio.
// Target (issue 2): ratio <= 4. Usage: node bench/validate-cold-start.ts [runs]
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const runs = Number(process.argv[2] ?? 25)
const node = process.execPath

function time(args: string[]): number {
  const start = process.hrtime.bigint()
  const r = spawnSync(node, args, {cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: {...process.env, NO_COLOR: '1'}})
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return ms
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

const validate = ['bin/run.js', 'validate', '--conf-dir', 'conf']
// warm the file cache and the compile cache once, as a second invocation on a host would find them
time(validate)
time(['-e', '0'])
const base: number[] = []
const cli: number[] = []
for (let i = 0; i < runs; i++) {
  base.push(time(['-e', '0']))
  cli.push(time(validate))
}
const b = median(base)
const c = median(cli)
const result = {bench: 'validate-cold-start', runs, node: process.version, baselineMedianMs: +b.toFixed(1), validateMedianMs: +c.toFixed(1), ratio: +(c / b).toFixed(2), target: 4}
console.log(`node -e 0          median ${b.toFixed(1)} ms`)
console.log(`flinkctl validate  median ${c.toFixed(1)} ms`)
console.log(`ratio ${(c / b).toFixed(2)} (target <= 4)`)
console.log(JSON.stringify(result))
