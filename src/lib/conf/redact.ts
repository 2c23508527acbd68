/**
 * The one set of redaction rules: which values are secret (isSecretKey in keys.ts) and how a
 * secret is cut out of a line of a conf file, a log line, a JVM option or a command line. Used by
 * config diff, logs, the dry-run plans and the .out tails of dying daemons.
 */
import {isSecretKey, REDACTED} from './keys.ts'

// a key starts where a run of key characters starts: without the lookbehind every position of a
// long run was tried and rescanned to its end (a 40,000-character word took 1.9 s)
const KEY_SEP = /(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]+)(\s*[=:]\s*)/g
const VALUE = /"[^"]*"|'[^']*'|[^\s,;&}\])"']+/y
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)[^\s/@]+@/gi

/**
 * Secrets written inside a line whatever the file: `-Dkey=value` and `key: value` pairs with a
 * secret key (JVM options, flow maps, comments that quote an old setting) and URL passwords.
 * YAML block indicators (`key: |`) stay, their lines are the YAML pass's business.
 */
export function redactInline(line: string): string {
  let out = ''
  let last = 0
  for (const m of line.matchAll(KEY_SEP)) {
    // a match may start inside a value already redacted; and a value may itself look like `key:`
    if (m.index < last || !isSecretKey(m[1]!)) continue
    VALUE.lastIndex = m.index + m[0].length
    const v = VALUE.exec(line)
    if (!v || /^[|>][-+0-9]*$/.test(v[0])) continue
    out += line.slice(last, VALUE.lastIndex - v[0].length) + REDACTED
    last = VALUE.lastIndex
  }
  return (out + line.slice(last)).replace(URL_PASSWORD, `$1${REDACTED}@`)
}

/** The file's lines with every secret value replaced by REDACTED (same number of lines). */
export function redactLines(name: string, lines: readonly string[]): string[] {
  const byType = /\.ya?ml$/i.test(name) ? redactYaml(lines) : /\.xml$/i.test(name) ? redactXml(lines) : redactProperties(lines)
  return byType.map(redactInline)
}

const YAML_KEY = /^(\s*)((?:-\s+)*)("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{[\]][^#]*?)[ \t]*:(?=\s|$)(.*)$/

/**
 * Flink's YAML (flat legacy keys or nested standard YAML): a key is secret when its dotted
 * path or its own name is. A secret key whose value is a block (`|`, `>`, nested map or list)
 * has every more-indented line redacted.
 */
function redactYaml(lines: readonly string[]): string[] {
  const stack: {indent: number; key: string}[] = []
  let blockIndent = -1
  return lines.map((line) => {
    const indent = line.length - line.trimStart().length
    const trimmed = line.trim()
    if (blockIndent >= 0) {
      if (trimmed === '') return line
      if (indent > blockIndent || (indent === blockIndent && trimmed.startsWith('- '))) return `${line.slice(0, indent)}${REDACTED}`
      blockIndent = -1
    }
    if (trimmed === '' || trimmed.startsWith('#')) return line
    const m = YAML_KEY.exec(line)
    if (!m) return line
    const keyIndent = m[1]!.length + m[2]!.length
    while (stack.length > 0 && stack[stack.length - 1]!.indent >= keyIndent) stack.pop()
    const raw = m[3]!
    const key = /^["']/.test(raw) ? raw.slice(1, -1) : raw
    const path = [...stack.map((s) => s.key), key].join('.')
    const value = m[4]!
    const v = value.trim()
    const secret = isSecretKey(path) || isSecretKey(key)
    const isBlock = v === '' || v.startsWith('#') || /^[|>]/.test(v) || /^[&!]\S*$/.test(v)
    if (secret) {
      if (isBlock) {
        blockIndent = keyIndent
        return line
      }
      return `${line.slice(0, line.length - value.length)} ${REDACTED}`
    }
    if (isBlock) stack.push({indent: keyIndent, key})
    return line
  })
}

const PROP_LINE = /^(\s*)((?:\\.|[^\s=:\\])+)(\s*[=:]\s*|\s+)(.*)$/
const continues = (line: string): boolean => /(^|[^\\])(\\\\)*\\$/.test(line)

/** Java properties, zoo.cfg and other key=value files, including `\` continuation lines. */
function redactProperties(lines: readonly string[]): string[] {
  let inSecret = false
  return lines.map((line) => {
    if (inSecret) {
      inSecret = continues(line)
      return `${line.slice(0, line.length - line.trimStart().length)}${REDACTED}`
    }
    const t = line.trimStart()
    if (t === '' || t.startsWith('#') || t.startsWith('!')) return line
    const m = PROP_LINE.exec(line)
    if (!m || m[4] === '' || !isSecretKey(m[2]!.replace(/\\(.)/g, '$1'))) return line
    inSecret = continues(line)
    return `${m[1]}${m[2]}${m[3]}${REDACTED}`
  })
}

/** Hadoop-style XML: the <value> of a <property> whose <name> is secret (also across lines). */
function redactXml(lines: readonly string[]): string[] {
  let name: string | undefined
  let inValue = false
  return lines.map((line) => {
    const n = /<name>\s*([^<]*?)\s*<\/name>/.exec(line)
    if (n) name = n[1]
    const secret = name !== undefined && isSecretKey(name)
    let out = line
    if (inValue) {
      const end = out.indexOf('</value>')
      const indent = out.slice(0, out.length - out.trimStart().length)
      if (end === -1) return `${indent}${REDACTED}`
      if (out.slice(0, end).trim() !== '') out = `${indent}${REDACTED}${out.slice(end)}`
      inValue = false
    } else if (secret && out.includes('<value>')) {
      out = out.replace(/<value>(.*?)(<\/value>|$)/, (_all, _v: string, close: string) => {
        if (close === '') inValue = true
        return `<value>${REDACTED}${close}`
      })
    }
    if (/<\/property>/.test(line)) name = undefined
    return out
  })
}

/** A command line (argv or an environment value) with every `-Dkey=secret` / `key=secret` hidden. */
export const redactArgv = (argv: readonly string[]): string[] => argv.map(redactInline)

/** Environment values redacted the same way (FLINK_ENV_JAVA_OPTS and friends carry -D options). */
export function redactEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, isSecretKey(k) ? REDACTED : redactInline(v)]))
}
