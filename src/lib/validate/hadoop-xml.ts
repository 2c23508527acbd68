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
  const withoutComments = text.replace(/<!--[\s\S]*?-->/g, (m) => ' '.repeat(m.length))
  const property = /<property>([\s\S]*?)<\/property>/g
  for (let m = property.exec(withoutComments); m; m = property.exec(withoutComments)) {
    const body = m[1]!
    const name = /<name>([\s\S]*?)<\/name>/.exec(body)
    const value = /<value>([\s\S]*?)<\/value>/.exec(body)
    if (!name) continue
    const at = posOf(m.index + 1 + body.indexOf('<name>') + '<property>'.length - 1)
    props.set(decode(name[1]!), {value: value ? decode(value[1]!) : '', ...at})
  }
  return {file, props}
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
