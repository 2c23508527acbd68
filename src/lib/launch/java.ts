import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {atLeast} from '../conf/keys.ts'
import {getValue} from '../conf/load.ts'
import type {ClusterConf} from '../conf/types.ts'

/**
 * `env.java.home` as bash-java-utils.sh reads it, before any JVM runs: a flat
 * `env.java.home: /path` line (colon then one space, value cut at `#`), last one wins,
 * from flink-conf.yaml when it exists (1.19/1.20) else config.yaml. A nested YAML form is not seen.
 */
export function readEnvJavaHome(conf: Pick<ClusterConf, 'confDir' | 'version'>): string | undefined {
  const legacy = join(conf.confDir, 'flink-conf.yaml')
  const standard = join(conf.confDir, 'config.yaml')
  const file = conf.version && conf.version.major >= 2 ? standard : existsSync(legacy) ? legacy : standard
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  let found: string | undefined
  for (const line of text.split('\n')) {
    const m = /^[ ]*env\.java\.home[ ]*: ([^#]*)/.exec(line)
    if (m) found = m[1]!.trim()
  }
  return found || undefined
}

export interface JavaChoice {
  /** The java executable path as the host will run it. */
  java: string
  javaHome: string | undefined
  from: 'env.java.home' | 'JAVA_HOME' | 'PATH'
}

/** setJavaRun: env.java.home, else $JAVA_HOME, else `java` on PATH. */
export function chooseJava(conf: Pick<ClusterConf, 'confDir' | 'version'>, env: Readonly<Record<string, string | undefined>>): JavaChoice {
  const configured = readEnvJavaHome(conf)
  if (configured) return {java: `${configured}/bin/java`, javaHome: configured, from: 'env.java.home'}
  if (env.JAVA_HOME) return {java: `${env.JAVA_HOME}/bin/java`, javaHome: env.JAVA_HOME, from: 'JAVA_HOME'}
  return {java: 'java', javaHome: undefined, from: 'PATH'}
}

const trimQuotes = (s: string): string => s.replace(/^"/, '').replace(/"$/, '')

export type JavaRole = 'jobmanager' | 'taskmanager' | 'historyserver' | 'client' | 'none'

/**
 * FLINK_ENV_JAVA_OPTS as config.sh and the role wrappers build it, before expansion:
 * `-XX:+IgnoreUnrecognizedVMOptions <default-opts.all> <opts.all>[ -Djava.security.manager=allow]`
 * then ` <role opts>`. `javaMajor` decides the security-manager flag (JDK 18+, Flink 1.19+).
 */
export function javaOptsText(conf: Pick<ClusterConf, 'flink' | 'version'>, role: JavaRole, javaMajor: number | undefined, env: Readonly<Record<string, string | undefined>> = {}): string {
  const get = (key: string) => conf.flink.entries.get(key)?.value ?? ''
  let general: string
  if (env.FLINK_ENV_JAVA_OPTS) {
    general = env.FLINK_ENV_JAVA_OPTS
  } else {
    const d = atLeast(conf.version, 1, 19) ? get('env.java.default-opts.all') : ''
    const o = getValue(conf, 'env.java.opts.all')?.value ?? get('env.java.opts')
    general = trimQuotes(`${d} ${o}`)
    if (atLeast(conf.version, 1, 18)) general = `-XX:+IgnoreUnrecognizedVMOptions ${general}`
    if (atLeast(conf.version, 1, 19) && javaMajor !== undefined && javaMajor > 17) general = `${general} -Djava.security.manager=allow`
  }
  const roleText = (() => {
    switch (role) {
      case 'jobmanager':
        return env.FLINK_ENV_JAVA_OPTS_JM ?? trimQuotes(`${atLeast(conf.version, 1, 19) ? get('env.java.default-opts.jobmanager') : ''} ${get('env.java.opts.jobmanager')}`)
      case 'taskmanager':
        return env.FLINK_ENV_JAVA_OPTS_TM ?? trimQuotes(`${atLeast(conf.version, 1, 19) ? get('env.java.default-opts.taskmanager') : ''} ${get('env.java.opts.taskmanager')}`)
      case 'historyserver':
        return env.FLINK_ENV_JAVA_OPTS_HS ?? trimQuotes(get('env.java.opts.historyserver'))
      case 'client':
        return env.FLINK_ENV_JAVA_OPTS_CLI ?? trimQuotes(get('env.java.opts.client'))
      default:
        return undefined
    }
  })()
  return roleText === undefined ? general : `${general} ${roleText}`
}

/** The Java specification version's last part (`1.8` → 8, `17` → 17), from `java -XshowSettings:properties`. */
export function parseJavaSpecVersion(showSettingsOutput: string): number | undefined {
  const m = /java\.specification\.version = (\S+)/.exec(showSettingsOutput)
  if (!m) return undefined
  const last = m[1]!.split('.').at(-1)!
  return /^\d+$/.test(last) ? Number(last) : undefined
}
