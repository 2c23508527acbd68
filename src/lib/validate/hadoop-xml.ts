import {readFileSync} from 'node:fs'
import {join} from 'node:path'

export interface HadoopProperty {
  value: string
  line: number
  col: number
}

export interface HadoopConf {
  file: string
  props: Map<string, HadoopProperty>
}

const decode = (s: string): string =>
  s.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&apos;', "'").replaceAll('&amp;', '&').trim()

/** `<property><name>k</name><value>v</value></property>` entries of a Hadoop *-site.xml, with positions. */
export function parseHadoopXml(text: string, file: string): HadoopConf {
  const props = new Map<string, HadoopProperty>()
  const lineStarts = [0]
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1)
  const posOf = (offset: number) => {
    let lo = 0
    let hi = lineStarts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (lineStarts[mid]! <= offset) lo = mid
      else hi = mid - 1
    }
    return {line: lo + 1, col: offset - lineStarts[lo]! + 1}
  }
  const withoutComments = blankComments(text)
  // indexOf scans, not lazy regexes: `<property>` repeated without its end tag made those quadratic
  for (let open = withoutComments.indexOf('<property>'); open !== -1;) {
    const start = open + '<property>'.length
    const close = withoutComments.indexOf('</property>', start)
    if (close === -1) break
    const body = withoutComments.slice(start, close)
    const name = between(body, '<name>', '</name>')
    const value = between(body, '<value>', '</value>')
    if (name !== undefined) props.set(decode(name), {value: value === undefined ? '' : decode(value), ...posOf(start + body.indexOf('<name>'))})
    open = withoutComments.indexOf('<property>', close)
  }
  return {file, props}
}

const between = (s: string, open: string, close: string): string | undefined => {
  const a = s.indexOf(open)
  if (a === -1) return undefined
  const b = s.indexOf(close, a + open.length)
  return b === -1 ? undefined : s.slice(a + open.length, b)
}

/** Comments replaced by spaces (offsets kept); an unclosed one runs to the end, as in XML. */
function blankComments(text: string): string {
  let out = ''
  let from = 0
  for (let open = text.indexOf('<!--'); open !== -1; open = text.indexOf('<!--', from)) {
    const close = text.indexOf('-->', open + 4)
    const end = close === -1 ? text.length : close + 3
    out += text.slice(from, open) + ' '.repeat(end - open)
    from = end
  }
  return from === 0 ? text : out + text.slice(from)
}

/** The Hadoop conf dir Flink would use: HADOOP_CONF_DIR, env.hadoop.conf.dir, then HADOOP_HOME's. */
export function hadoopConfDir(env: Readonly<Record<string, string | undefined>>, configured: string | undefined): string | undefined {
  if (env.HADOOP_CONF_DIR) return env.HADOOP_CONF_DIR
  if (configured) return configured
  if (env.HADOOP_HOME) return join(env.HADOOP_HOME, 'etc', 'hadoop')
  return undefined
}

export function readYarnSite(dir: string): HadoopConf | undefined {
  const file = join(dir, 'yarn-site.xml')
  try {
    return parseHadoopXml(readFileSync(file, 'utf8'), file)
  } catch {
    return undefined
  }
}

/** `${name}` references in a Hadoop value, resolved from the same file (one level deep is what yarn-site uses). */
export function expandHadoopValue(site: HadoopConf, value: string): string {
  return value.replace(/\$\{([^}]+)\}/g, (m, name: string) => site.props.get(name)?.value ?? m)
}

/** A whole number from a *-site.xml (references resolved), else the default; where it was read. */
export function siteNumber(site: HadoopConf | undefined, key: string, fallback: number): {value: number; line?: number; file?: string} {
  const p = site?.props.get(key)
  const text = p ? expandHadoopValue(site!, p.value).trim() : ''
  return /^\d+$/.test(text) ? {value: Number(text), line: p!.line, file: site!.file} : {value: fallback}
}
