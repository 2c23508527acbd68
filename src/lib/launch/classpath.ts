import {readdirSync, type Dirent} from 'node:fs'
import {join} from 'node:path'
import {ConfigError} from '../errors.ts'

/** Every jar under lib/ (recursively, symlinked files included, a symlinked directory not followed). */
function findJars(dir: string): string[] {
  let entries: Dirent[]
  try {
    entries = readdirSync(dir, {withFileTypes: true})
  } catch {
    return []
  }
  const out: string[] = []
  for (const e of entries) {
    const path = join(dir, e.name)
    if (e.isDirectory()) out.push(...findJars(path))
    else if (e.name.endsWith('.jar')) out.push(path)
  }
  return out
}

const byteOrder = (a: string, b: string): number => (Buffer.compare(Buffer.from(a), Buffer.from(b)))

/**
 * constructFlinkClassPath: lib jars sorted (byte order, as `sort -z` does under the C/C.UTF-8
 * locale), flink-dist set aside and appended last. Zero or several flink-dist jars is an error
 * here, where Flink's scripts silently start a JVM that dies.
 */
export function flinkClasspath(libDir: string): {classpath: string; distJar: string; jars: string[]} {
  const jars = findJars(libDir).sort(byteOrder)
  const dist = jars.filter((j) => /\/flink-dist[^/]*\.jar$/.test(j))
  if (dist.length !== 1) {
    throw new ConfigError(dist.length === 0 ? `Flink distribution jar not found in ${libDir}` : `${dist.length} flink-dist jars in ${libDir}: ${dist.join(', ')}`, {
      code: 'FLINK_DIST_JAR',
      hint: dist.length === 0 ? 'point --flink-home (or FLINK_HOME) at a Flink distribution, or fetch one with `flinkctl dist fetch`' : 'keep exactly one lib/flink-dist-*.jar',
    })
  }
  const others = jars.filter((j) => j !== dist[0])
  return {classpath: [...others, dist[0]!].join(':'), distJar: dist[0]!, jars}
}

/** INTERNAL_HADOOP_CLASSPATHS: `HADOOP_CLASSPATH:HADOOP_CONF_DIR:YARN_CONF_DIR[:HBASE_CONF_DIR]`, empty parts kept. */
export function internalHadoopClasspaths(env: {HADOOP_CLASSPATH?: string; HADOOP_CONF_DIR?: string; YARN_CONF_DIR?: string; HBASE_CONF_DIR?: string}): string {
  const base = `${env.HADOOP_CLASSPATH ?? ''}:${env.HADOOP_CONF_DIR ?? ''}:${env.YARN_CONF_DIR ?? ''}`
  return env.HBASE_CONF_DIR ? `${base}:${env.HBASE_CONF_DIR}` : base
}
