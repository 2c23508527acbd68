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
    const words = trimmed.split(/\s+/)
    let word = words[0] ?? ''
    const hash = word.indexOf('#')
    if (hash !== -1) word = word.slice(0, hash)
    if (word === '') return
    if (words.length > 1 && !words[1]!.startsWith('#')) {
      notes.push({rule: 'HOSTS-EXTRA-WORDS', severity: 'warning', file, line, col, key: kind,
        message: `only the first word '${word}' is used; '${words.slice(1).join(' ')}' is ignored`,
        hint: 'write one host per line'})
    }
    const rack = /^.*\/([0-9a-zA-Z.-]+)$/.exec(word)
    if (rack) word = rack[1]!
    if (kind === 'workers') {
      entries.push({host: word, raw: trimmed, line, col})
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
