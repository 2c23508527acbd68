/** POSIX quoting for one word: safe words stay bare, everything else goes in single quotes. */
export function quoteArg(arg: string): string {
  if (arg === '') return "''"
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'"'"'`)}'`
}

export const quoteArgv = (argv: readonly string[]): string => argv.map(quoteArg).join(' ')

/** Unquoted `$X` in bash: split on blanks, no quote processing. */
export const splitWords = (text: string): string[] => text.split(/[ \t\n]+/).filter((w) => w !== '')

/**
 * What `$(eval echo $OPTS)` followed by an unquoted `$OPTS` gives in flink-daemon.sh: variables
 * expanded, quotes consumed, then split on blanks again (so a quoted option with spaces breaks,
 * exactly as it does under Flink's scripts). Unknown variables expand to nothing, as in bash.
 */
export function evalEchoWords(text: string, vars: Readonly<Record<string, string | undefined>>): string[] {
  let out = ''
  let i = 0
  const words: string[] = []
  let inWord = false
  const flush = () => {
    if (inWord) words.push(out)
    out = ''
    inWord = false
  }
  const expandVar = (): string => {
    // at text[i] === '$'
    if (text[i + 1] === '{') {
      const end = text.indexOf('}', i + 2)
      if (end !== -1) {
        const name = text.slice(i + 2, end)
        i = end + 1
        return vars[name] ?? ''
      }
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))
    if (m) {
      i += 1 + m[0].length
      return vars[m[0]] ?? ''
    }
    i += 1
    return '$'
  }
  while (i < text.length) {
    const c = text[i]!
    if (c === ' ' || c === '\t' || c === '\n') {
      flush()
      i++
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1)
      out += end === -1 ? text.slice(i + 1) : text.slice(i + 1, end)
      inWord = true
      i = end === -1 ? text.length : end + 1
    } else if (c === '"') {
      inWord = true
      i++
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '$') out += expandVar()
        else if (text[i] === '\\' && i + 1 < text.length && '$`"\\'.includes(text[i + 1]!)) {
          out += text[i + 1]
          i += 2
        } else {
          out += text[i]
          i++
        }
      }
      i++
    } else if (c === '\\' && i + 1 < text.length) {
      out += text[i + 1]
      inWord = true
      i += 2
    } else if (c === '$') {
      // unquoted expansion is itself word-split
      const value = expandVar()
      const parts = value.split(/[ \t\n]+/)
      parts.forEach((p, idx) => {
        if (idx > 0) flush()
        if (p !== '') {
          out += p
          inWord = true
        }
      })
    } else {
      out += c
      inWord = true
      i++
    }
  }
  flush()
  // echo joins with spaces; the later unquoted use splits on blanks again
  return splitWords(words.join(' '))
}
