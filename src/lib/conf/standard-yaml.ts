import {Composer, isAlias, isCollection, isMap, isScalar, isSeq, Lexer, LineCounter, Parser, visit, YAMLParseError, type CST, type Document, type Node, type Pair} from 'yaml'
import type {ParsedConfigFile} from './legacy-yaml.ts'
import {clip} from './read-text.ts'
import type {ConfigEntry, Finding} from './types.ts'

/**
 * What Flink's YAML loader refuses. YamlParserUtils keeps SnakeYAML's LoaderOptions defaults
 * (only duplicate keys are turned off): at most 3 MiB of code points and at most 50 aliases of
 * lists or maps (the "billion laughs" guard). It sets no nesting limit, but its recursive
 * parser overflows the JVM stack (Flink 2.3.0: 1,000 levels load, 10,000 end in
 * StackOverflowError). The yaml package recurses too (its composer gave up at about 775
 * levels of `[`), so flinkctl stops at 500, far beyond any real configuration.
 */
export const YAML_CODE_POINT_LIMIT = 3 * 1024 * 1024
export const YAML_MAX_COLLECTION_ALIASES = 50
export const YAML_MAX_DEPTH = 500
/** Flink stops at the first syntax error; past a few, more findings only flood the output. */
const MAX_SYNTAX_FINDINGS = 20

// YAML 1.2 c-printable, which SnakeYAML's StreamReader enforces ("special characters are not allowed")
const NON_PRINTABLE = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uFFFE\uFFFF]/

/**
 * Standard-YAML `config.yaml` (Flink 1.19+): nested maps are flattened to dotted keys, lists
 * and maps become the `a;b` / `k:v,k2:v2` strings Flink's ConfigurationUtils produces.
 */
export function parseStandardConfigYaml(text: string, file: string): ParsedConfigFile {
  const entries = new Map<string, ConfigEntry>()
  const notes: Finding[] = []
  const refuse = (rule: string, offset: number, message: string, hint: string): ParsedConfigFile => {
    notes.push({rule, severity: 'error', file, ...lineColAt(text, offset), message, hint})
    return {entries, notes}
  }

  const over = codePointOffset(text, YAML_CODE_POINT_LIMIT)
  if (over !== -1) {
    return refuse('CONF-YAML-LIMIT', over, `config.yaml has more than ${YAML_CODE_POINT_LIMIT} characters; Flink's YAML loader refuses it`,
      'keep config.yaml to the settings; large values belong in files the settings point at')
  }
  const bad = text.search(NON_PRINTABLE)
  if (bad !== -1) {
    const code = `U+${text.charCodeAt(bad).toString(16).toUpperCase().padStart(4, '0')}`
    return refuse('CONF-ENCODING', bad, `character ${code} is not allowed in YAML; Flink's YAML loader refuses the file ("special characters are not allowed")`,
      'remove the control character (NUL, a stray escape sequence, a binary paste)')
  }

  const lc = new LineCounter()
  const parsed = parseTokens(text, lc.addNewLine, YAML_MAX_DEPTH)
  const tokens = 'tokens' in parsed ? parsed.tokens : []
  const deep = 'deepAt' in parsed ? parsed.deepAt : deepestToken(tokens, YAML_MAX_DEPTH)
  if (deep !== undefined) {
    return refuse('CONF-YAML-LIMIT', deep, `lists or maps nested more than ${YAML_MAX_DEPTH} levels deep, which flinkctl does not read (Flink's own YAML parser overflows its stack on deep nesting, 10,000 levels for sure)`,
      'flatten the structure: Flink reads nested maps as dotted keys')
  }
  const doc = composeSingle(tokens, text.length)
  const pos = (offset: number) => lc.linePos(offset)

  for (const err of doc.errors.slice(0, MAX_SYNTAX_FINDINGS)) {
    const p = pos(err.pos[0])
    notes.push({rule: 'CONF-YAML-SYNTAX', severity: 'error', file, line: p.line, col: p.col,
      message: `not valid YAML: ${clip(err.message.split('\n')[0]!, 300)}`,
      hint: 'fix the YAML syntax; Flink refuses to start with an unreadable config.yaml'})
  }
  if (doc.errors.length > 0) return {entries, notes}
  const alias = excessAlias(doc)
  if (alias !== undefined) {
    return refuse('CONF-YAML-LIMIT', alias, `more than ${YAML_MAX_COLLECTION_ALIASES} aliases (*name) of lists or maps; Flink's YAML loader refuses them (a guard against "billion laughs" expansion)`,
      'write the values out, or use fewer anchors and aliases')
  }
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
      if (isCollection(keyNode) || (isScalar(keyNode) && (typeof keyNode.value === 'number' || typeof keyNode.value === 'boolean'))) {
        // checked with Flink 2.3.0: `1: a`, `true: b` and `? [a, b]` end in a ClassCastException at start
        notes.push({rule: 'CONF-YAML-SYNTAX', severity: 'error', file, line: p.line, col: p.col, key: clip(key),
          message: `the key ${clip(keyText, 60)} is a ${isCollection(keyNode) ? 'list or map' : typeof (keyNode as {value: unknown}).value}, not a string; Flink cannot read config.yaml`,
          hint: `quote the key: "${clip(keyText, 60)}"`})
        continue
      }
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

/** Line and column (1-based) of an offset, counted as the YAML parser counts lines. */
function lineColAt(text: string, offset: number): {line: number; col: number} {
  let line = 1
  let start = 0
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++
    start = i + 1
  }
  return {line, col: offset - start + 1}
}

/** Offset of the first code point past `limit`, or -1 (a surrogate pair is one code point). */
function codePointOffset(text: string, limit: number): number {
  if (text.length <= limit) return -1
  let count = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0xdc00 && c <= 0xdfff && i > 0 && text.charCodeAt(i - 1) >= 0xd800 && text.charCodeAt(i - 1) <= 0xdbff) continue
    if (++count > limit) return i
  }
  return -1
}

/**
 * The CST parser, fed one lexeme at a time so that nesting past `max` stops it early: its
 * block-sequence handling recurses (2,500 levels of `- - -` overflowed the stack under the test
 * runner) and deep flow nesting costs time per level. Its open-collection stack is internal to
 * the yaml package; without it the token walk below still catches the depth.
 */
function parseTokens(text: string, onNewLine: (offset: number) => void, max: number): {tokens: CST.Token[]} | {deepAt: number} {
  const parser = new Parser(onNewLine)
  const internals = parser as unknown as {stack?: unknown[]; offset?: number}
  const tokens: CST.Token[] = []
  try {
    onNewLine(0)
    for (const lexeme of new Lexer().lex(text)) {
      for (const token of parser.next(lexeme)) tokens.push(token)
      // the stack holds the document token, then one entry per open collection
      if (internals.stack && internals.stack.length - 1 > max) return {deepAt: internals.offset ?? 0}
    }
    for (const token of parser.end()) tokens.push(token)
  } catch (err) {
    if (err instanceof RangeError) return {deepAt: internals.offset ?? 0}
    throw err
  }
  return {tokens}
}

/** Offset of a collection nested deeper than `max`, found without recursion. */
function deepestToken(tokens: readonly CST.Token[], max: number): number | undefined {
  const stack: Array<[unknown, number]> = tokens.map((t) => [t, 0])
  while (stack.length > 0) {
    const [tok, depth] = stack.pop()!
    if (tok === null || typeof tok !== 'object') continue
    const t = tok as {type?: string; value?: unknown; items?: Array<{key?: unknown; value?: unknown}>; offset?: number}
    if (t.type === 'document') {
      stack.push([t.value, depth])
      continue
    }
    if (!Array.isArray(t.items)) continue
    if (depth >= max) return t.offset ?? 0
    for (const item of t.items) stack.push([item.key, depth + 1], [item.value, depth + 1])
  }
  return undefined
}

/** parseDocument's composition from tokens already parsed: one document, a second one is an error. */
function composeSingle(tokens: readonly CST.Token[], length: number): Document.Parsed {
  let doc: Document.Parsed | undefined
  for (const next of new Composer({uniqueKeys: false}).compose(tokens, true, length)) {
    if (!doc) {
      doc = next
      continue
    }
    doc.errors.push(new YAMLParseError([next.range[0], next.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents; Flink reads exactly one'))
    break
  }
  return doc!
}

/** Offset of the alias of a list or map past Flink's limit, counting in document order. */
function excessAlias(doc: Document.Parsed): number | undefined {
  const anchors = new Map<string, Node>()
  let count = 0
  let found: number | undefined
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        if (isCollection(anchors.get(node.source)) && ++count > YAML_MAX_COLLECTION_ALIASES) {
          found = node.range?.[0] ?? 0
          return visit.BREAK
        }
        return undefined
      }
      if (node.anchor) anchors.set(node.anchor, node)
      return undefined
    },
  })
  return found
}
