import {join} from 'node:path'
import {atLeast} from '../conf/keys.ts'
import {getValue} from '../conf/load.ts'
import type {ClusterConf, ZooServer} from '../conf/types.ts'
import {identProblem, printable} from '../conf/names.ts'
import {clientPortOf} from '../conf/zoo-cfg.ts'
import {ConfigError, UsageError} from '../errors.ts'
import {flinkClasspath, internalHadoopClasspaths} from './classpath.ts'
import {chooseJava, javaOptsText, type JavaChoice, type JavaRole} from './java.ts'
import {jobManagerResourceParams, taskManagerResourceParams, type ResourceParams} from './memory/index.ts'
import {evalEchoWords, quoteArgv, splitWords} from './shell.ts'

export const DAEMON_MAIN_CLASSES = {
  standalonesession: 'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint',
  taskexecutor: 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner',
  zookeeper: 'org.apache.flink.runtime.zookeeper.FlinkZooKeeperQuorumPeer',
  historyserver: 'org.apache.flink.runtime.webmonitor.history.HistoryServer',
  standalonejob: 'org.apache.flink.container.entrypoint.StandaloneApplicationClusterEntryPoint',
} as const
export type DaemonType = keyof typeof DAEMON_MAIN_CLASSES
export const DAEMON_TYPES = Object.keys(DAEMON_MAIN_CLASSES) as DaemonType[]
export const YARN_SESSION_MAIN_CLASS = 'org.apache.flink.yarn.cli.FlinkYarnSessionCli'

const ROLE: Record<DaemonType, JavaRole> = {
  standalonesession: 'jobmanager',
  standalonejob: 'jobmanager',
  taskexecutor: 'taskmanager',
  historyserver: 'historyserver',
  zookeeper: 'none',
}

export type Env = Readonly<Record<string, string | undefined>>

export interface PlanTarget {
  /** The host name as the conf files name it. */
  host: string
  /** The environment the process will see on that host (login env); {} when unknown. */
  env?: Env
  /** FLINK_IDENT_STRING, else the (SSH) user. */
  user?: string
  /** $HOSTNAME on that host; defaults to `host`. */
  hostname?: string
  /** Instance index: the pid file's line count before this start. */
  index?: number
  /** Java major version on that host; decides -Djava.security.manager=allow. */
  javaMajor?: number
}

export interface DaemonPlanOptions extends PlanTarget {
  daemon: DaemonType
  foreground?: boolean
  /** jobmanager.sh's positional host (HA masters). */
  jmHost?: string
  webuiPort?: number
  peerId?: number
  /** Extra arguments passed to the entrypoint, e.g. `-D key=value` pairs. */
  userArgs?: readonly string[]
}

export interface FlinkPaths {
  flinkHome: string
  confDir: string
  binDir: string
  libDir: string
  pluginsDir: string
  optDir: string
  logDir: string
  pidDir: string
}

export interface LaunchPlan {
  daemon: DaemonType | 'yarn-session'
  host: string
  mainClass: string
  java: JavaChoice
  /** The complete command: argv[0] is the java binary. */
  argv: string[]
  /** Environment variables Flink's scripts export to the JVM. */
  env: Record<string, string>
  paths: FlinkPaths & {pidFile: string; logFile: string; outFile: string}
  ident: string
  index: number
  hostname: string
  memory?: ResourceParams
  /** Files flinkctl writes on the host before starting (e.g. a per-peer zoo.cfg). */
  files: Array<{path: string; content: string}>
}

export function flinkPaths(conf: Pick<ClusterConf, 'confDir' | 'flinkHome' | 'flink' | 'version'>, env: Env = {}): FlinkPaths {
  if (!conf.flinkHome) {
    throw new ConfigError('no Flink distribution to launch from', {
      code: 'FLINK_HOME_UNKNOWN',
      hint: 'pass --flink-home, set FLINK_HOME, or fetch one with `flinkctl dist fetch`',
    })
  }
  const home = conf.flinkHome
  return {
    flinkHome: home,
    confDir: conf.confDir,
    binDir: join(home, 'bin'),
    libDir: env.FLINK_LIB_DIR || join(home, 'lib'),
    pluginsDir: env.FLINK_PLUGINS_DIR || join(home, 'plugins'),
    optDir: env.FLINK_OPT_DIR || join(home, 'opt'),
    logDir: env.FLINK_LOG_DIR || getValue(conf, 'env.log.dir')?.value || join(home, 'log'),
    pidDir: env.FLINK_PID_DIR || getValue(conf, 'env.pid.dir')?.value || '/tmp',
  }
}

/** The memory-model input: the file's values and -D properties, plus the daemon's own -D args. */
function memoryConfig(conf: ClusterConf, userArgs: readonly string[]): Map<string, string> {
  const config = new Map<string, string>()
  for (const [k, e] of conf.flink.entries) config.set(k, e.value)
  for (let i = 0; i < userArgs.length; i++) {
    const a = userArgs[i]!
    const kv = a === '-D' ? userArgs[++i] : a.startsWith('-D') ? a.slice(2) : undefined
    if (kv === undefined) continue
    const eq = kv.indexOf('=')
    if (eq > 0) config.set(kv.slice(0, eq), kv.slice(eq + 1))
  }
  return config
}

function hadoopEnv(conf: ClusterConf, env: Env) {
  let hadoopConfDir = env.HADOOP_CONF_DIR || getValue(conf, 'env.hadoop.conf.dir')?.value || ''
  if (!hadoopConfDir && env.HADOOP_HOME) hadoopConfDir = `${env.HADOOP_HOME}/etc/hadoop`
  return {
    HADOOP_CLASSPATH: env.HADOOP_CLASSPATH ?? '',
    HADOOP_CONF_DIR: hadoopConfDir,
    YARN_CONF_DIR: env.YARN_CONF_DIR || getValue(conf, 'env.yarn.conf.dir')?.value || '',
    HBASE_CONF_DIR: env.HBASE_CONF_DIR || getValue(conf, 'env.hbase.conf.dir')?.value || '',
  }
}

/** The zoo.cfg a peer reads. Peers sharing a host get their own copy with their client port and data dir. */
export function zooCfgForPeer(conf: ClusterConf, peerId: number, zooText: string): {path: string; content?: string; server: ZooServer} {
  const zoo = conf.zoo
  if (!zoo) throw new ConfigError(`no zoo.cfg in ${conf.confDir}`, {code: 'ZOO_CFG_MISSING', hint: 'create conf/zoo.cfg with server.N=host:2888:3888 lines'})
  const server = zoo.servers.find((s) => s.id === peerId)
  if (!server) throw new UsageError(`zoo.cfg has no server.${peerId}`, `use one of: ${zoo.servers.map((s) => s.id).join(', ')}`)
  const sharing = zoo.servers.filter((s) => s.host === server.host)
  if (sharing.length < 2) return {path: zoo.file, server}
  const dataDir = zoo.props.get('dataDir')?.value
  const lines = zooText.split('\n').filter((l) => !/^\s*(clientPort|dataDir)\s*[=:\s]/.test(l))
  lines.push(`clientPort=${clientPortOf(zoo, server)}`)
  if (dataDir) lines.push(`dataDir=${dataDir}/peer-${peerId}`)
  return {path: join(conf.confDir, `zoo-peer-${peerId}.cfg`), content: `${lines.join('\n').trimEnd()}\n`, server}
}

/** The user name in pid and log file names, refused when a shell or a path would misread it. */
export function checkedIdent(ident: string): string {
  const problem = ident === '' ? undefined : identProblem(ident)
  if (problem) {
    throw new ConfigError(`'${printable(ident)}' cannot name Flink's pid and log files (FLINK_IDENT_STRING, --user): ${problem}`, {
      code: 'IDENT', hint: 'pass a plain user name with --user (letters, digits, . - _)',
    })
  }
  return ident
}

/** The exact command Flink's scripts would run for one daemon on one host. */
export function planDaemon(conf: ClusterConf, opts: DaemonPlanOptions, readZooCfg?: () => string): LaunchPlan {
  const env = opts.env ?? {}
  const paths = flinkPaths(conf, env)
  const {daemon} = opts
  const userArgs = [...(opts.userArgs ?? [])]
  const ident = checkedIdent(env.FLINK_IDENT_STRING || opts.user || env.USER || '')
  const hostname = opts.hostname ?? opts.host
  const index = opts.index ?? 0
  const java = chooseJava(conf, env)
  const files: LaunchPlan['files'] = []

  let jvmArgs = env.JVM_ARGS ?? ''
  let memory: ResourceParams | undefined
  let args: string[]
  const v2 = conf.version !== undefined && conf.version.major >= 2
  switch (daemon) {
    case 'standalonesession':
    case 'standalonejob': {
      memory = jobManagerResourceParams({config: memoryConfig(conf, userArgs), version: conf.version})
      jvmArgs = `${jvmArgs} ${memory.jvmParams}`
      if (daemon === 'standalonejob') {
        args = ['--configDir', paths.confDir, ...splitWords(memory.dynamicConfigs), ...userArgs]
        break
      }
      const tail: string[] = []
      if (v2) {
        if (opts.jmHost !== undefined) tail.push('-D', `jobmanager.rpc.address=${opts.jmHost}`)
        if (opts.webuiPort !== undefined) tail.push('-D', `rest.port=${opts.webuiPort}`)
        args = [...splitWords(memory.dynamicConfigs), '--configDir', paths.confDir, ...userArgs, ...tail]
      } else {
        if (opts.jmHost !== undefined) tail.push('--host', opts.jmHost)
        if (opts.webuiPort !== undefined) tail.push('--webui-port', String(opts.webuiPort))
        args = [...splitWords(memory.dynamicConfigs), '--configDir', paths.confDir, '--executionMode', 'cluster', ...userArgs, ...tail]
      }
      break
    }
    case 'taskexecutor': {
      memory = taskManagerResourceParams({config: memoryConfig(conf, userArgs), version: conf.version})
      jvmArgs = `${jvmArgs} ${memory.jvmParams}`
      args = ['--configDir', paths.confDir, ...splitWords(memory.dynamicConfigs), ...userArgs]
      break
    }
    case 'zookeeper': {
      if (opts.peerId === undefined) throw new UsageError('a ZooKeeper peer needs --peer-id N', 'pass the N of the server.N line in zoo.cfg')
      const zkHeap = env.ZK_HEAP ?? getValue(conf, 'zookeeper.heap.mb')?.value ?? '0'
      if (!/^\d+$/.test(zkHeap)) {
        throw new ConfigError(`zookeeper.heap.mb '${zkHeap}' is not a number of megabytes`, {code: 'ZK_HEAP', hint: 'write zookeeper.heap.mb: 512 (or 0 for the JVM default)'})
      }
      if (Number(zkHeap) > 0) jvmArgs = `${jvmArgs} -Xms${zkHeap}m -Xmx${zkHeap}m`
      jvmArgs = `${jvmArgs} -Dzookeeper.jmx.log4j.disable=true`
      const cfg = zooCfgForPeer(conf, opts.peerId, readZooCfg ? readZooCfg() : '')
      if (cfg.content !== undefined) files.push({path: cfg.path, content: cfg.content})
      args = ['--zkConfigFile', cfg.path, '--peerId', String(opts.peerId)]
      break
    }
    case 'historyserver':
      args = ['--configDir', paths.confDir]
      break
  }

  const logName = opts.foreground ? 'console' : ''
  const prefix = `${paths.logDir}/flink-${ident}-${daemon}-${index}-${hostname}`
  const log4j = `file:${paths.confDir}/log4j${logName ? '-console' : ''}.properties`
  const logFlags = [`-Dlog.file=${prefix}.log`, `-Dlog4j.configuration=${log4j}`, `-Dlog4j.configurationFile=${log4j}`,
    `-Dlogback.configurationFile=file:${paths.confDir}/logback${logName ? '-console' : ''}.xml`]

  const optsText = javaOptsText(conf, ROLE[daemon], opts.javaMajor, env)
  const javaOpts = evalEchoWords(optsText, {...env, FLINK_LOG_PREFIX: prefix})
  const {classpath} = flinkClasspath(paths.libDir)
  const hadoop = hadoopEnv(conf, env)
  const cp = `${classpath}::${internalHadoopClasspaths(hadoop)}`

  const argv = [java.java, ...splitWords(jvmArgs), ...javaOpts, ...logFlags, '-classpath', cp, DAEMON_MAIN_CLASSES[daemon], ...args]
  const exported: Record<string, string> = {
    FLINK_CONF_DIR: paths.confDir,
    FLINK_BIN_DIR: paths.binDir,
    FLINK_LIB_DIR: paths.libDir,
    FLINK_PLUGINS_DIR: paths.pluginsDir,
    FLINK_OPT_DIR: paths.optDir,
    MAX_LOG_FILE_NUMBER: env.MAX_LOG_FILE_NUMBER || getValue(conf, 'env.log.max')?.value || '10',
  }
  if (atLeast(conf.version, 1, 19)) exported.ROOT_LOG_LEVEL = env.ROOT_LOG_LEVEL || getValue(conf, 'env.log.level')?.value || 'INFO'
  if (java.javaHome) exported.JAVA_HOME = java.javaHome
  for (const [k, v] of Object.entries(hadoop)) if (v) exported[k] = v

  return {
    daemon,
    host: opts.host,
    mainClass: DAEMON_MAIN_CLASSES[daemon],
    java,
    argv,
    env: exported,
    paths: {...paths, pidFile: `${paths.pidDir}/flink-${ident}-${daemon}.pid`, logFile: `${prefix}.log`, outFile: `${prefix}.out`},
    ident,
    index,
    hostname,
    memory,
    files,
  }
}

export interface YarnSessionPlanOptions extends PlanTarget {
  /** Arguments for FlinkYarnSessionCli (-d, -jm, -tm, -s, -nm, -qu, -D k=v, -id …). */
  args: readonly string[]
}

/**
 * The client yarn-session.sh runs in the foreground: a fixed 512m client heap, the general and
 * client Java options, lib/ plus the Hadoop classpath, log4j-session.properties, and
 * `FlinkYarnSessionCli -j <flink-dist jar>` followed by the user's arguments.
 */
export function planYarnSession(conf: ClusterConf, opts: YarnSessionPlanOptions): LaunchPlan {
  const env = opts.env ?? {}
  const paths = flinkPaths(conf, env)
  const ident = checkedIdent(env.FLINK_IDENT_STRING || opts.user || env.USER || '')
  const hostname = opts.hostname ?? opts.host
  const java = chooseJava(conf, env)
  const logFile = `${paths.logDir}/flink-${ident}-yarn-session-${hostname}.log`
  const {classpath, distJar} = flinkClasspath(paths.libDir)
  const hadoop = hadoopEnv(conf, env)
  const log4j = `file:${paths.confDir}/log4j-session.properties`
  const argv = [
    java.java,
    ...splitWords(`${env.JVM_ARGS ?? ''} -Xmx512m`),
    ...splitWords(javaOptsText(conf, 'client', opts.javaMajor, env)),
    '-classpath', `${classpath}:${internalHadoopClasspaths(hadoop)}`,
    `-Dlog.file=${logFile}`, `-Dlog4j.configuration=${log4j}`, `-Dlog4j.configurationFile=${log4j}`,
    `-Dlogback.configurationFile=file:${paths.confDir}/logback-session.xml`,
    YARN_SESSION_MAIN_CLASS, '-j', distJar, ...opts.args,
  ]
  const exported: Record<string, string> = {
    FLINK_CONF_DIR: paths.confDir, FLINK_BIN_DIR: paths.binDir, FLINK_LIB_DIR: paths.libDir,
    FLINK_PLUGINS_DIR: paths.pluginsDir, FLINK_OPT_DIR: paths.optDir,
  }
  if (java.javaHome) exported.JAVA_HOME = java.javaHome
  for (const [k, v] of Object.entries(hadoop)) if (v) exported[k] = v
  return {
    daemon: 'yarn-session', host: opts.host, mainClass: YARN_SESSION_MAIN_CLASS, java, argv, env: exported,
    paths: {...paths, pidFile: '', logFile, outFile: ''}, ident, index: 0, hostname, files: [],
  }
}

/** One shell line for humans and dry runs: `env K=V … java …`. */
export function renderPlan(plan: LaunchPlan): string {
  const env = Object.entries(plan.env).map(([k, v]) => `${k}=${v}`)
  return quoteArgv(['env', ...env, ...plan.argv])
}
