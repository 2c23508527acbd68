import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'
import {ConfigError, UsageError} from '../errors.ts'

export interface InitOptions {
  dir: string
  masters: readonly string[]
  workers: readonly string[]
  zookeeper: readonly string[]
  storageDir: string
  clusterId?: string
  format: 'config.yaml' | 'flink-conf.yaml'
  zkDataDir: string
  jmProcessSize: string
  tmProcessSize: string
  slots: number
  sessionTimeoutMs: number
  force?: boolean
  templatesDir: string
  now?: Date
}

export interface InitResult {
  dir: string
  files: string[]
  quorum: string
}

const LOCAL = new Set(['localhost', '127.0.0.1'])

function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in vars)) throw new Error(`template variable ${name} has no value`)
    return vars[name]!
  })
}

function splitHostPort(text: string, what: string): {host: string; port?: number} {
  const m = /^([^:\s]+)(?::(\d+))?$/.exec(text.trim())
  if (!m) throw new UsageError(`${what} '${text}' is not host or host:port`, `write e.g. ${what === 'master' ? 'jm1:8081' : 'zk1'}`)
  return m[2] === undefined ? {host: m[1]!} : {host: m[1]!, port: Number(m[2])}
}

/**
 * Renders a new HA conf dir from templates/ into a temporary sibling, then moves it into place,
 * so a failed init leaves nothing half-written. The caller validates the result before committing.
 */
export function renderInit(opts: InitOptions): {files: Map<string, string>; quorum: string} {
  if (opts.masters.length === 0) throw new UsageError('--masters needs at least one host', 'e.g. --masters jm1:8081,jm2:8081')
  if (opts.workers.length === 0) throw new UsageError('--workers needs at least one host', 'e.g. --workers tm1,tm2')
  if (opts.zookeeper.length === 0) throw new UsageError('--zookeeper needs at least one host', 'e.g. --zookeeper zk1,zk2,zk3')
  const date = (opts.now ?? new Date()).toISOString().slice(0, 10)
  const zk = opts.zookeeper.map((z) => splitHostPort(z, 'zookeeper host'))
  const perHost = new Map<string, number>()
  const servers: string[] = []
  const quorum: string[] = []
  const shared = zk.some((z) => zk.filter((o) => o.host === z.host).length > 1)
  zk.forEach((z, i) => {
    const n = perHost.get(z.host) ?? 0
    perHost.set(z.host, n + 1)
    const client = z.port ?? 2181 + n
    servers.push(`server.${i + 1}=${z.host}:${2888 + n}:${3888 + n}${shared || z.port !== undefined ? `;${client}` : ''}`)
    quorum.push(`${z.host}:${client}`)
  })
  const masters = opts.masters.map((m) => splitHostPort(m, 'master'))
  const allLocal = [...masters, ...opts.workers.map((w) => ({host: w.trim()}))].every((h) => LOCAL.has(h.host))
  const vars: Record<string, string> = {
    date,
    bindHost: allLocal ? 'localhost' : '0.0.0.0',
    jmProcessSize: opts.jmProcessSize,
    tmProcessSize: opts.tmProcessSize,
    slots: String(opts.slots),
    storageDir: opts.storageDir,
    quorum: quorum.join(','),
    clusterId: opts.clusterId ?? `/${basename(resolve(opts.dir))}`,
    sessionTimeoutMs: String(opts.sessionTimeoutMs),
    dataDir: opts.zkDataDir,
    clientPortLine: shared ? '# each server line carries its own client port after ";"' : 'clientPort=2181',
    servers: servers.join('\n'),
  }
  const read = (name: string) => readFileSync(join(opts.templatesDir, name), 'utf8')
  const files = new Map<string, string>()
  files.set(opts.format, fill(read(`${opts.format}.tmpl`), vars))
  files.set('masters', `${masters.map((m) => `${m.host}:${m.port ?? 8081}`).join('\n')}\n`)
  files.set('workers', `${opts.workers.map((w) => w.trim()).join('\n')}\n`)
  files.set('zoo.cfg', fill(read('zoo.cfg.tmpl'), vars))
  for (const name of readdirSync(opts.templatesDir)) {
    if (/^(log4j.*\.properties|logback.*\.xml)$/.test(name)) files.set(name, read(name))
  }
  return {files, quorum: vars.quorum!}
}

/** Writes rendered files as one directory, atomically (temp dir + rename). */
export function writeConfDir(dir: string, files: Map<string, string>, force = false): string[] {
  const target = resolve(dir)
  if (existsSync(target) && readdirSync(target).length > 0 && !force) {
    throw new ConfigError(`${target} exists and is not empty`, {code: 'INIT_TARGET_EXISTS', hint: 'choose a new --dir, or pass --force to replace it (the old one is kept as <dir>.bak)'})
  }
  mkdirSync(dirname(target), {recursive: true})
  const tmp = mkdtempSync(join(dirname(target), `.${basename(target)}.init-`))
  try {
    for (const [name, content] of files) writeFileSync(join(tmp, name), content, {mode: 0o644})
    if (existsSync(target)) {
      const backup = `${target}.bak`
      rmSync(backup, {recursive: true, force: true})
      renameSync(target, backup)
    }
    renameSync(tmp, target)
  } catch (err) {
    rmSync(tmp, {recursive: true, force: true})
    throw err
  }
  return [...files.keys()].map((f) => join(target, f))
}

