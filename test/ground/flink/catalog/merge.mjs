// Folds per-line catalogs (ConfigOptionCatalog.java output) into src/lib/conf/catalog/options.json:
//
//   node merge.mjs <options.json> <line>=<release>=<per-line.json>...
//
// Lines not given keep what options.json already holds, so one line can be regenerated alone.
// Output: {"lines":[...],"sources":{line: release},"options":{key: [[from, to, info], ...]}}, one key
// per line, sorted by key; from/to index `lines` (inclusive) and consecutive lines whose info is
// identical share one range. info: {type, default?, deprecatedKeys?, fallbackKeys?, enumValues?,
// section?, deprecated?}; null defaults and empty key lists are left out.
import {existsSync, readFileSync, writeFileSync} from 'node:fs'

const [out, ...inputs] = process.argv.slice(2)
if (!out || inputs.length === 0) {
  console.error('usage: merge.mjs <options.json> <line>=<release>=<per-line.json>...')
  process.exit(2)
}

const num = (l) => l.split('.').map(Number).reduce((a, b) => a * 1000 + b)
/** line → Map(key → info JSON string) */
const perLine = new Map()
const sources = {}

if (existsSync(out)) {
  const old = JSON.parse(readFileSync(out, 'utf8'))
  for (const line of old.lines) {
    perLine.set(line, new Map())
    sources[line] = old.sources[line]
  }
  for (const [key, ranges] of Object.entries(old.options)) {
    for (const [from, to, info] of ranges) {
      for (let i = from; i <= to; i++) perLine.get(old.lines[i]).set(key, JSON.stringify(info))
    }
  }
}

for (const arg of inputs) {
  const [line, release, file] = arg.split('=')
  const options = new Map()
  for (const o of JSON.parse(readFileSync(file, 'utf8'))) {
    const info = {type: o.type}
    if (o.default !== null) info.default = o.default
    if (o.deprecatedKeys.length) info.deprecatedKeys = o.deprecatedKeys
    if (o.fallbackKeys.length) info.fallbackKeys = o.fallbackKeys
    if (o.enumValues) info.enumValues = o.enumValues
    if (o.section) info.section = o.section
    if (o.deprecated) info.deprecated = true
    options.set(o.key, JSON.stringify(info))
  }
  perLine.set(line, options)
  sources[line] = release
}

const lines = [...perLine.keys()].sort((a, b) => num(a) - num(b))
const keys = [...new Set(lines.flatMap((l) => [...perLine.get(l).keys()]))].sort()
const rows = keys.map((key) => {
  const ranges = []
  lines.forEach((line, i) => {
    const info = perLine.get(line).get(key)
    const last = ranges.at(-1)
    if (info === undefined) return
    if (last && last[1] === i - 1 && last[2] === info) last[1] = i
    else ranges.push([i, i, info])
  })
  return `${JSON.stringify(key)}:[${ranges.map(([f, t, info]) => `[${f},${t},${info}]`).join(',')}]`
})
const orderedSources = Object.fromEntries(lines.map((l) => [l, sources[l]]))
writeFileSync(out, `{"lines":${JSON.stringify(lines)},\n"sources":${JSON.stringify(orderedSources)},\n"options":{\n${rows.join(',\n')}\n}}\n`)
const sizes = lines.map((l) => `${l}: ${perLine.get(l).size}`).join(', ')
console.error(`options.json: ${keys.length} keys over ${lines.length} lines (${sizes})`)
