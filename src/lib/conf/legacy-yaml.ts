import {isSecretKey, REDACTED} from './keys.ts'
import {clip, javaTrim} from './read-text.ts'
import {redactInline} from './redact.ts'
import type {ConfigEntry, Finding} from './types.ts'

export interface ParsedConfigFile {
  entries: Map<string, ConfigEntry>
  notes: Finding[]
}

/**
 * The legacy flat `flink-conf.yaml`, read the way GlobalConfiguration.loadYAMLResource does:
 * everything after the first `#` is a comment, the key ends at the first `": "`, keys and
 * values are trimmed as Java's String.trim() does (controls and NUL go, NBSP and a BOM stay), empty keys or values and lines without `": "` are skipped, and a
 * repeated key overwrites the earlier one.
 */
export function parseLegacyFlinkConf(text: string, file: string): ParsedConfigFile {
  const entries = new Map<string, ConfigEntry>()
  const notes: Finding[] = []
  const lines = text.split(/\r\n|\r|\n/)
  lines.forEach((rawLine, index) => {
    const line = index + 1
    const hash = rawLine.indexOf('#')
    const content = hash === -1 ? rawLine : rawLine.slice(0, hash)
    const conf = javaTrim(content)
    if (conf === '') return
    let lead = 0
    while (content.charCodeAt(lead) <= 0x20) lead++
    const col = lead + 1
    const sep = conf.indexOf(': ')
    if (sep === -1) {
      const shown = redactSkippedLine(conf)
      const hint = conf.endsWith(':') || /^[^\s:]+:\S/.test(conf)
        ? `write '${clip(shown.replace(/:\s*/, ': '))}' with a space after the colon`
        : 'write one `key: value` pair per line'
      notes.push({rule: 'CONF-SKIPPED-LINE', severity: 'warning', file, line, col,
        message: `line is not a key-value pair and Flink skips it: '${clip(shown)}'`, hint})
      return
    }
    const key = javaTrim(conf.slice(0, sep))
    const value = javaTrim(conf.slice(sep + 2))
    if (key === '' || value === '') {
      notes.push({rule: 'CONF-SKIPPED-LINE', severity: 'warning', file, line, col, key: key || undefined,
        message: `${key === '' ? 'key' : 'value'} is empty and Flink skips the line`,
        hint: key === '' ? 'put the key before the colon' : `give '${clip(key)}' a value or remove the line`})
      return
    }
    if (hash !== -1 && /\S/.test(rawLine.slice(hash + 1)) && !/\s$/.test(content)) {
      notes.push({rule: 'CONF-HASH-IN-VALUE', severity: 'warning', file, line, col: hash + 1, key,
        message: `'#' starts a comment in flink-conf.yaml, so '${clip(key)}' is read as '${isSecretKey(key) ? REDACTED : clip(redactInline(value))}'`,
        hint: 'flink-conf.yaml cannot hold a "#" in a value; use config.yaml with a quoted value'})
    }
    const previous = entries.get(key)
    if (previous && previous.source.kind === 'file') {
      notes.push({rule: 'CONF-DUPLICATE-KEY', severity: 'warning', file, line, col, key,
        message: `'${clip(key)}' is set again; this value replaces the one on line ${previous.source.line}`,
        hint: `keep one '${clip(key)}' line`})
      entries.delete(key)
    }
    entries.set(key, {key, value, source: {kind: 'file', file, line, col}})
  })
  return {entries, notes}
}

/** A skipped line as findings quote it: `s3.secret-key S3CR3T` (no ": ") still names a secret. */
function redactSkippedLine(conf: string): string {
  // [\s\S]* and not .*: '.' stops at U+2028, and the retries over a long ':=' run were quadratic
  const m = /^([^\s:=]+)([\s:=]+)(\S[\s\S]*)$/.exec(conf)
  return m && isSecretKey(m[1]!) ? `${m[1]}${m[2]}${REDACTED}` : redactInline(conf)
}
