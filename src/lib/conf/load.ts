import {existsSync, statSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {ConfigError, UsageError} from '../errors.ts'
import {parseHostFile} from './host-files.ts'
import {aliasesFor, atLeast, below, isSecretKey, REDACTED} from './keys.ts'
import {redactInline} from './redact.ts'
import {parseLegacyFlinkConf} from './legacy-yaml.ts'
import {type ConfFileKind, readConfText} from './read-text.ts'
import {parseStandardConfigYaml} from './standard-yaml.ts'
import type {ClusterConf, ConfigEntry, Finding, FlinkConfig, FlinkVersion, HostList} from './types.ts'
import {detectFlinkVersion, parseFlinkVersion} from './version.ts'
import {parseZooCfg} from './zoo-cfg.ts'

export interface LoadOptions {
  confDir?: string
  flinkHome?: string
  flinkVersion?: string
  /** `key=value` dynamic properties from `-D`. */
  dynamic?: readonly string[]
  env?: Readonly<Record<string, string | undefined>>
}

/** Where the conf dir is: --conf-dir, else FLINK_CONF_DIR, else $FLINK_HOME/conf. */
export function resolveConfDir(opts: LoadOptions): string {
  const env = opts.env ?? process.env
  if (opts.confDir) return resolve(opts.confDir)
  if (env.FLINK_CONF_DIR) return resolve(env.FLINK_CONF_DIR)
  const home = opts.flinkHome ?? env.FLINK_HOME
  if (home) return resolve(home, 'conf')
  throw new ConfigError('no configuration directory given', {
    code: 'CONF_DIR_UNKNOWN',
    hint: 'pass --conf-dir DIR, or set FLINK_CONF_DIR or FLINK_HOME',
  })
}

export function resolveFlinkHome(opts: LoadOptions, confDir: string): string | undefined {
  const env = opts.env ?? process.env
  if (opts.flinkHome) return resolve(opts.flinkHome)
  if (env.FLINK_HOME) return resolve(env.FLINK_HOME)
  const parent = dirname(confDir)
  return existsSync(join(parent, 'lib')) ? parent : undefined
}

export function parseDynamicProperty(arg: string): [string, string] {
  const eq = arg.indexOf('=')
  if (eq <= 0) throw new UsageError(`-D ${arg}: expected key=value`, 'write -D key=value, e.g. -D rest.port=8082')
  return [arg.slice(0, eq).trim(), arg.slice(eq + 1).trim()]
}

/** The file's text (its encoding findings go to notes), or undefined when it does not exist. */
const readIfExists = (path: string, kind: ConfFileKind, notes: Finding[]): string | undefined => {
  const read = readConfText(path, kind)
  if (read) notes.push(...read.notes)
  return read?.text
}

/** Which config file this Flink version reads: the rules of GlobalConfiguration and config.sh. */
function chooseConfigFile(confDir: string, version: FlinkVersion | undefined, notes: Finding[]): {file?: string; format: FlinkConfig['format']} {
  const legacy = join(confDir, 'flink-conf.yaml')
  const standard = join(confDir, 'config.yaml')
  const hasLegacy = existsSync(legacy)
  const hasStandard = existsSync(standard)
  if (below(version, 1, 19)) {
    if (hasStandard) {
      notes.push({rule: 'CONF-FILE-IGNORED', severity: 'warning', file: standard, line: 1, col: 1,
        message: `Flink ${version!.raw} does not read config.yaml`, hint: 'put the settings in flink-conf.yaml (config.yaml exists from 1.19)'})
    }
    return hasLegacy ? {file: legacy, format: 'legacy'} : {format: 'none'}
  }
  if (version !== undefined && version.major >= 2) {
    if (hasLegacy) {
      notes.push({rule: 'CONF-FILE-IGNORED', severity: hasStandard ? 'warning' : 'error', file: legacy, line: 1, col: 1,
        message: `Flink ${version.raw} no longer reads flink-conf.yaml`,
        hint: 'convert it with `bin/migrate-config-file.sh` (Flink 1.19/1.20) or write config.yaml, then delete flink-conf.yaml'})
    }
    return hasStandard ? {file: standard, format: 'standard'} : {format: 'none'}
  }
  if (hasLegacy) {
    if (hasStandard) {
      notes.push({rule: 'CONF-FILE-SHADOWED', severity: 'warning', file: standard, line: 1, col: 1,
        message: 'flink-conf.yaml exists, so Flink 1.19/1.20 ignores config.yaml entirely',
        hint: 'delete the leftover flink-conf.yaml after migrating, or stop editing config.yaml'})
    }
    return {file: legacy, format: 'legacy'}
  }
  return hasStandard ? {file: standard, format: 'standard'} : {format: 'none'}
}

function loadHosts(confDir: string, notes: Finding[], kind: 'masters' | 'workers'): HostList | undefined {
  const path = join(confDir, kind)
  let text = readIfExists(path, 'hosts', notes)
  let file = path
  if (text === undefined && kind === 'workers') {
    const slaves = join(confDir, 'slaves')
    text = readIfExists(slaves, 'hosts', notes)
    if (text !== undefined) {
      file = slaves
      notes.push({rule: 'HOSTS-SLAVES-FILE', severity: 'warning', file: slaves, line: 1, col: 1,
        message: 'conf/slaves was renamed to conf/workers in Flink 1.11; Flink\'s own scripts no longer read it',
        hint: `rename it: mv ${slaves} ${path}`})
    }
  }
  if (text === undefined) return undefined
  const parsed = parseHostFile(text, file, kind)
  notes.push(...parsed.notes)
  return parsed.list
}

/** Reads a Flink configuration directory exactly as Flink would, keeping the source of every value. */
export function loadCluster(opts: LoadOptions = {}): ClusterConf {
  const env = opts.env ?? process.env
  const confDir = resolveConfDir(opts)
  if (!existsSync(confDir) || !statSync(confDir).isDirectory()) {
    throw new ConfigError(`configuration directory ${confDir} does not exist`, {
      code: 'CONF_DIR_MISSING',
      hint: 'pass --conf-dir pointing at a Flink conf directory, or create one with `flinkctl init`',
    })
  }
  const flinkHome = resolveFlinkHome(opts, confDir)
  const notes: Finding[] = []

  let version: FlinkVersion | undefined
  if (opts.flinkVersion) {
    version = parseFlinkVersion(opts.flinkVersion, 'flag')
    if (!version) throw new UsageError(`--flink-version ${opts.flinkVersion}: not a version`, 'write it as major.minor[.patch], e.g. 1.20.1')
  } else if (flinkHome) {
    const found = detectFlinkVersion(flinkHome)
    version = found.version
    if (found.jars.length > 1) {
      notes.push({rule: 'DIST-JARS', severity: 'error', file: join(flinkHome, 'lib'),
        message: `${found.jars.length} flink-dist jars in lib/ (${found.jars.join(', ')}); Flink's scripts refuse to start`,
        hint: 'keep exactly one lib/flink-dist-*.jar'})
    }
  }

  const chosen = chooseConfigFile(confDir, version, notes)
  const entries = new Map<string, ConfigEntry>()
  // a conf file that vanished or became unreadable after chooseConfigFile saw it is exit 3, not a crash
  const text = chosen.file ? readIfExists(chosen.file, chosen.format === 'legacy' ? 'flink-conf.yaml' : 'config.yaml', notes) ?? '' : undefined
  if (chosen.file && text !== undefined) {
    const parsed = chosen.format === 'legacy' ? parseLegacyFlinkConf(text, chosen.file) : parseStandardConfigYaml(text, chosen.file)
    notes.push(...parsed.notes)
    for (const [k, v] of parsed.entries) entries.set(k, v)
  }
  for (const arg of opts.dynamic ?? []) {
    const [key, value] = parseDynamicProperty(arg)
    // the source is shown next to the value (config, validate): it must not carry a secret value itself
    entries.set(key, {key, value, source: {kind: 'dynamic', arg: isSecretKey(key) ? `${key}=${REDACTED}` : redactInline(arg)}})
  }

  const flink: FlinkConfig = {file: chosen.file, format: chosen.format, entries}
  const zooText = readIfExists(join(confDir, 'zoo.cfg'), 'zoo.cfg', notes)
  let zoo
  if (zooText !== undefined) {
    const parsed = parseZooCfg(zooText, join(confDir, 'zoo.cfg'))
    zoo = parsed.zoo
    notes.push(...parsed.notes)
  }
  return {
    confDir,
    flinkHome,
    version,
    flink,
    masters: loadHosts(confDir, notes, 'masters'),
    workers: loadHosts(confDir, notes, 'workers'),
    zoo,
    notes,
    env,
  }
}

export interface Resolved {
  value: string
  entry: ConfigEntry
  /** The key the value was found under (a deprecated name when the canonical one is absent). */
  foundAs: string
}

/** A value as Flink reads it: the canonical key first, then its deprecated names in order. */
export function getValue(conf: Pick<ClusterConf, 'flink' | 'version'>, key: string): Resolved | undefined {
  const alias = aliasesFor(key, conf.version)
  const names = alias ? [alias.key, ...alias.deprecated] : [key]
  for (const name of names) {
    const entry = conf.flink.entries.get(name)
    if (entry) return {value: entry.value, entry, foundAs: name}
  }
  return undefined
}

/** The HA mode config.sh derives: high-availability.type → high-availability → recovery.mode; `standalone` is none. */
export function haMode(conf: Pick<ClusterConf, 'flink' | 'version'>): {mode: string; resolved?: Resolved} {
  const names = atLeast(conf.version, 1, 17)
    ? ['high-availability.type', 'high-availability', 'recovery.mode']
    : ['high-availability', 'recovery.mode']
  for (const name of names) {
    const entry = conf.flink.entries.get(name)
    if (entry && entry.value !== '') {
      const mode = entry.value.toLowerCase() === 'standalone' ? 'none' : entry.value
      return {mode, resolved: {value: entry.value, entry, foundAs: name}}
    }
  }
  return {mode: 'none'}
}

export const isZooKeeperHa = (conf: Pick<ClusterConf, 'flink' | 'version'>): boolean => haMode(conf).mode.toLowerCase() === 'zookeeper'
