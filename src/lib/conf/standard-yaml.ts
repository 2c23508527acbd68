import {isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair} from 'yaml'
import type {ParsedConfigFile} from './legacy-yaml.ts'
import type {ConfigEntry, Finding} from './types.ts'

/**
 * Standard-YAML `config.yaml` (Flink 1.19+): nested maps are flattened to dotted keys, lists
 * and maps become the `a;b` / `k:v,k2:v2` strings Flink's ConfigurationUtils produces.
 */
export function parseStandardConfigYaml(text: string, file: string): ParsedConfigFile {
  const entries = new Map<string, ConfigEntry>()
  const notes: Finding[] = []
  const lc = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lc, uniqueKeys: false, prettyErrors: false})
  const pos = (offset: number) => lc.linePos(offset)

  for (const err of doc.errors) {
    const p = pos(err.pos[0])
    notes.push({rule: 'CONF-YAML-SYNTAX', severity: 'error', file, line: p.line, col: p.col,
      message: `not valid YAML: ${err.message.split('\n')[0]}`,
      hint: 'fix the YAML syntax; Flink refuses to start with an unreadable config.yaml'})
  }
  if (doc.errors.length > 0) return {entries, notes}
  const root = doc.contents
  if (root === null) return {entries, notes}
  if (!isMap(root)) {
    const p = pos(root.range?.[0] ?? 0)
    notes.push({rule: 'CONF-YAML-SYNTAX', severity: 'error', file, line: p.line, col: p.col,
      message: 'the top level of config.yaml must be a map of keys', hint: 'write `key: value` lines'})
    return {entries, notes}
  }

  const visit = (pairs: Pair[], prefix: string) => {
    for (const pair of pairs) {
      const keyNode = pair.key as Node | null
      const keyText = isScalar(keyNode) ? String(keyNode.value) : String(keyNode)
      const key = prefix + keyText
      const p = pos((keyNode as Node | null)?.range?.[0] ?? 0)
      const value = pair.value as Node | null
      if (isMap(value)) {
        visit(value.items as Pair[], `${key}.`)
        continue
      }
      if (value === null || (isScalar(value) && value.value === null)) {
        notes.push({rule: 'CONF-SKIPPED-LINE', severity: 'warning', file, line: p.line, col: p.col, key,
          message: `'${key}' has no value and Flink ignores it`, hint: `give '${key}' a value or remove it`})
        continue
      }
      const previous = entries.get(key)
      if (previous && previous.source.kind === 'file') {
        notes.push({rule: 'CONF-DUPLICATE-KEY', severity: 'error', file, line: p.line, col: p.col, key,
          message: `'${key}' is defined twice (first on line ${previous.source.line}); Flink refuses duplicate keys in config.yaml`,
          hint: `keep one '${key}' (nested and dotted forms of the same key count as duplicates)`})
        entries.delete(key)
      }
      entries.set(key, {key, ...render(value), source: {kind: 'file', file, line: p.line, col: p.col}})
    }
  }
  visit(root.items as Pair[], '')
  return {entries, notes}
}

function scalarText(node: Node): string {
  if (!isScalar(node)) return String(node)
  const v = node.value
  if (typeof v === 'string') return v
  // numbers and booleans: keep the literal as written (1.0 stays 1.0), as Flink's toString would
  return node.source !== undefined && typeof node.source === 'string' ? node.source : String(v)
}

function escapeListItem(s: string): string {
  return /[;'"]/.test(s) ? `'${s.replaceAll("'", "''")}'` : s
}

function render(node: Node): {value: string; structured?: unknown} {
  if (isSeq(node)) {
    const items = node.items.map((item) => (isMap(item) ? renderMap(item as never) : scalarText(item as Node)))
    return {value: items.map(escapeListItem).join(';'), structured: node.toJSON()}
  }
  if (isMap(node)) return {value: renderMap(node as never), structured: node.toJSON()}
  return {value: scalarText(node)}
}

function renderMap(node: {items: Pair[]}): string {
  return node.items.map((p) => `${scalarText(p.key as Node)}:${scalarText(p.value as Node)}`).join(',')
}
