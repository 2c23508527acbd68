import {clip} from './read-text.ts'
import type {Finding, HostEntry, HostList} from './types.ts'

/**
 * `masters` and `workers` as config.sh's extractHostName reads them: first word only,
 * everything from `#` on dropped, a `/rack/host` topology prefix stripped. In `masters`
 * the part after the first `:` is the web UI port.
 */
export function parseHostFile(text: string, file: string, kind: 'masters' | 'workers'): {list: HostList; notes: Finding[]} {
  const entries: HostEntry[] = []
  const notes: Finding[] = []
  text.split('\n').forEach((rawLine, index) => {
    const line = index + 1
    if (rawLine.includes('\r')) {
      notes.push({rule: 'HOSTS-CR', severity: 'warning', file, line, col: rawLine.indexOf('\r') + 1,
        message: 'line ends with a carriage return (Windows line ending); Flink\'s scripts keep it in the host name',
        hint: 'convert the file to Unix line endings (dos2unix)'})
    }
    const trimmed = rawLine.replaceAll('\r', '').trim()
    if (trimmed === '') return
    const col = rawLine.length - rawLine.trimStart().length + 1
    // the first word and what follows it, without splitting a 10 MB line into millions of words
    const space = trimmed.search(/\s/)
    let word = space === -1 ? trimmed : trimmed.slice(0, space)
    const rest = space === -1 ? '' : trimmed.slice(space).trimStart()
    const hash = word.indexOf('#')
    if (hash !== -1) word = word.slice(0, hash)
    if (word === '') return
    if (rest !== '' && !rest.startsWith('#')) {
      notes.push({rule: 'HOSTS-EXTRA-WORDS', severity: 'warning', file, line, col, key: kind,
        message: `only the first word '${clip(word)}' is used; '${rest.length > 120 ? `${rest.slice(0, 120).split(/\s+/).join(' ')}… (${rest.length} characters)` : rest.split(/\s+/).join(' ')}' is ignored`,
        hint: 'write one host per line'})
    }
    const rack = /^.*\/([0-9a-zA-Z.-]+)$/.exec(word)
    if (rack) word = rack[1]!
    if (kind === 'workers') {
      entries.push({host: word, raw: trimmed, line, col})
      return
    }
    // [v6]:port (Flink's scripts split at the first ':', so they cannot take an IPv6 master)
    const v6 = /^(?:([^@[]+)@)?\[([0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?)\](?::(.*))?$/.exec(word)
    if (v6) {
      const entry: HostEntry = {host: `${v6[1] ? `${v6[1]}@` : ''}${v6[2]!}`, raw: trimmed, line, col}
      const portText = v6[3]?.split(':')[0]
      if (portText !== undefined) {
        if (/^\d+$/.test(portText)) entry.port = Number(portText)
        else entry.badPort = portText
      }
      entries.push(entry)
      return
    }
    const colon = word.indexOf(':')
    if (colon === -1) {
      entries.push({host: word, raw: trimmed, line, col})
      return
    }
    const host = word.slice(0, colon)
    const portText = word.slice(colon + 1).split(':')[0] ?? ''
    const port = /^\d+$/.test(portText) ? Number(portText) : undefined
    const entry: HostEntry = {host, raw: trimmed, line, col}
    if (port !== undefined) entry.port = port
    else entry.badPort = portText
    entries.push(entry)
  })
  return {list: {file, entries}, notes}
}
