// preflight: every host of the conf checked in parallel over the command's SSH connections,
// before anything is started there. Reads only; changes nothing on any host.
import {readdir, stat} from 'node:fs/promises'
import {join, relative} from 'node:path'
import {getValue} from '../conf/load.ts'
import type {ClusterConf} from '../conf/types.ts'
import {jobManagerHosts, taskManagerHosts, zooKeeperHosts} from '../cluster/ops.ts'
import {uniqueHosts, type Session} from '../cluster/session.ts'
import {sha256File} from '../dist/index.ts'
import {ExitCode, type ExitCodeValue} from '../errors.ts'
import {chooseJava} from '../launch/java.ts'
import {flinkPaths} from '../launch/plan.ts'
import type {HostOutcome} from '../remote/fan-out.ts'
import type {Host} from '../remote/host.ts'
import {clockCheck, diskChecks, javaCheck, libCheck, nameChecks, openFilesCheck, portChecks, type Level, type PreflightCheck} from './checks.ts'
import {portNeeds, type PortNeed} from './ports.ts'
import {CLOCK_SCRIPT, FACTS_SCRIPT, javaMajorOf, OWNERS_SCRIPT, parseClock, parseFacts, parseOwners, type HostFacts, type LibFile, type PortOwner} from './probe.ts'

export interface HostPreflight {
  host: string
  roles: string[]
  reachable: boolean
  /** The worst level of the host's checks ('error' when unreachable). */
  level: Level
  java?: {path: string; version?: string; major?: number}
  clockOffsetMs?: number
  checks: PreflightCheck[]
  error?: HostOutcome<unknown>['error']
}

export interface PreflightReport {
  flinkHome: string
  flinkVersion?: string
  /** Files in this machine's lib/, the reference for every host. */
  libFiles: number
  hosts: HostPreflight[]
  errors: number
  warnings: number
  exit: ExitCodeValue
}

interface Gathered {
  facts: HostFacts
  /** How the facts script ended, when it did not reach its last line. */
  cut?: string
  clock?: {offsetMs: number; uncertaintyMs: number}
  owners: Map<number, PortOwner>
}

/** name, size and sha256 of every file under lib/ (symlinks followed), as the host script lists them. */
export async function libManifest(libDir: string): Promise<LibFile[]> {
  const out: LibFile[] = []
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir)) {
      const p = join(dir, e)
      const st = await stat(p).catch(() => undefined)
      if (!st) continue
      if (st.isDirectory()) await walk(p)
      else if (st.isFile()) out.push({name: relative(libDir, p), size: st.size, sha256: await sha256File(p)})
    }
  }
  await walk(libDir)
  return out.sort((a, b) => (a.name < b.name ? -1 : 1))
}


/** Directories a host writes to, by what writes there. */
function dirsOf(conf: ClusterConf, roles: readonly string[]): Array<{path: string; use: string}> {
  const paths = flinkPaths(conf)
  const dirs = [
    {path: paths.confDir, use: 'conf dir'},
    {path: paths.logDir, use: 'log dir'},
    {path: paths.pidDir, use: 'pid dir'},
  ]
  if (roles.includes('taskmanager') || roles.includes('jobmanager')) {
    const tmp = getValue(conf, 'io.tmp.dirs')?.value
    for (const d of (tmp ? tmp.split(/[,:]/) : ['/tmp']).map((x) => x.trim()).filter(Boolean)) dirs.push({path: d, use: 'io.tmp.dirs'})
  }
  if (roles.includes('zookeeper')) {
    for (const key of ['dataDir', 'dataLogDir']) {
      const v = conf.zoo?.props.get(key)?.value
      if (v) dirs.push({path: v, use: `zoo.cfg ${key}`})
    }
  }
  const seen = new Set<string>()
  return dirs.filter((d) => !seen.has(d.path) && seen.add(d.path))
}

async function measureClock(host: Host): Promise<Gathered['clock']> {
  let best: Gathered['clock']
  for (let i = 0; i < 3; i++) {
    const t0 = Date.now()
    const r = await host.sh(CLOCK_SCRIPT)
    const t1 = Date.now()
    const c = r.code === 0 ? parseClock(r.stdout) : undefined
    if (!c) continue
    // a whole-seconds clock is anywhere in its second
    const remote = c.ms + (c.resolutionMs > 1 ? c.resolutionMs / 2 : 0)
    const sample = {offsetMs: remote - (t0 + t1) / 2, uncertaintyMs: (t1 - t0) / 2 + c.resolutionMs / 2}
    if (!best || sample.uncertaintyMs < best.uncertaintyMs) best = sample
  }
  return best
}

async function gather(host: Host, args: string[], needs: readonly PortNeed[]): Promise<Gathered> {
  const clock = await measureClock(host)
  const r = await host.sh(FACTS_SCRIPT, args, {timeoutMs: 120_000})
  const facts = parseFacts(r.stdout)
  if (!facts.complete) {
    const how = r.timedOut ? `timed out after ${Math.round(r.durationMs / 1000)} s` : r.code === null ? `killed by ${r.signal ?? 'a signal'}` : `exit ${r.code}`
    return {facts, clock, owners: new Map(), cut: `the checks did not finish (${how}) after '${facts.lastTag ?? 'nothing'}'${r.stderr.trim() ? `: ${r.stderr.trim().split('\n').at(-1)}` : ''}`}
  }
  const owners = new Map<number, PortOwner>()
  // who holds a port the cluster needs: a second look only when one is taken
  const wanted = new Set(needs.flatMap((n) => n.ports))
  const held = (facts.listening ?? []).filter((l) => wanted.has(l.port) && l.inode)
  if (held.length) {
    const o = await host.sh(OWNERS_SCRIPT, held.map((l) => l.inode!))
    const byInode = parseOwners(o.stdout)
    for (const l of held) {
      // another user's process cannot be looked into without root: its uid at least
      const who = byInode.get(l.inode!) ?? (l.uid !== undefined ? {pid: '?', comm: `uid ${l.uid}`} : undefined)
      if (who) owners.set(l.port, who)
    }
  }
  return {facts, clock, owners}
}

/** "preflight: 2 error(s) on h1, h3 — h1 ports: …": the first error, for one-line failures. */
export function preflightFailure(report: PreflightReport): {message: string; hint?: string} {
  const bad = report.hosts.filter((h) => h.level === 'error')
  const first = bad[0]?.checks.find((c) => c.level === 'error')
  return {message: `preflight: ${report.errors} error(s) on ${bad.map((h) => h.host).join(', ')}${first ? ` — ${bad[0]!.host} ${first.check}: ${first.detail}` : ''}`, ...(first?.hint ? {hint: first.hint} : {})}
}

const worst = (checks: readonly PreflightCheck[]): Level =>
  checks.some((c) => c.level === 'error') ? 'error' : checks.some((c) => c.level === 'warn') ? 'warn' : 'ok'

/** Checks every host of masters, workers and zoo.cfg; the report says what each would trip on. */
export async function preflight(session: Session): Promise<PreflightReport> {
  const {conf} = session
  const paths = flinkPaths(conf)
  const roles = new Map<string, string[]>()
  const role = (h: string, r: string) => roles.set(h, [...new Set([...(roles.get(h) ?? []), r])])
  for (const h of jobManagerHosts(conf)) role(h, 'jobmanager')
  for (const h of taskManagerHosts(conf)) role(h, 'taskmanager')
  for (const h of zooKeeperHosts(conf)) role(h, 'zookeeper')
  const hosts = uniqueHosts(roles.keys())
  // the address TaskManagers dial without HA is jobmanager.rpc.address: it must resolve alike too
  const rpcAddress = getValue(conf, 'jobmanager.rpc.address')?.value
  const names = uniqueHosts([...hosts, ...(rpcAddress ? [rpcAddress] : [])])
  const java = chooseJava(conf, conf.env ?? process.env)
  const needs = portNeeds(conf)
  const dirs = new Map(hosts.map((h) => [h, dirsOf(conf, roles.get(h)!)]))
  session.emit({level: 'info', message: `preflight: ${hosts.length} hosts, Flink ${conf.version?.raw ?? '(version unknown)'} at ${paths.flinkHome}`})
  const [bastionLib, outcomes] = await Promise.all([
    libManifest(paths.libDir).catch(() => undefined),
    session.pool.forEach(hosts, (host) => gather(host, [
      `home=${paths.flinkHome}`, `java=${java.java}`,
      ...dirs.get(host.name)!.map((d) => `dir=${d.path}`),
      ...names.map((n) => `name=${n}`),
    ], needs.get(host.name) ?? []), {parallel: session.parallel}),
  ])
  const answers = new Map<string, Map<string, string[] | undefined>>()
  for (const o of outcomes) {
    if (!o.ok) continue
    answers.set(o.host, new Map(names.map((n, i) => [n, o.value!.facts.names.find((x) => x.index === i)?.addresses])))
  }
  const byName = nameChecks(names, answers)
  const report: HostPreflight[] = outcomes.map((o) => {
    const hostRoles = roles.get(o.host)!
    if (!o.ok) {
      return {host: o.host, roles: hostRoles, reachable: false, level: 'error', error: o.error, checks: [{check: 'ssh', level: 'error', detail: o.error?.message ?? 'unreachable', ...(o.error?.hint ? {hint: o.error.hint} : {})}]}
    }
    const {facts, clock, owners, cut} = o.value!
    if (cut) {
      // partial facts would read as missing Java, home and names: one error says what happened
      return {host: o.host, roles: hostRoles, reachable: true, level: 'error', checks: [{check: 'probe', level: 'error', detail: cut, hint: 'a hanging df (stale network mount) or a slow resolver on the host; run the checks again'}]}
    }
    const v = javaMajorOf(facts.java.lines)
    const checks: PreflightCheck[] = [
      {check: 'ssh', level: 'ok', detail: `${session.pool.get(o.host).local ? 'this machine' : 'reachable'}${facts.uname ? ` (${facts.uname})` : ''}, checked in ${(o.durationMs / 1000).toFixed(1)} s`},
      javaCheck(facts, conf.version, java.from === 'PATH' ? 'java on PATH' : `${java.from} ${java.javaHome}`),
      bastionLib ? libCheck(facts, bastionLib, paths.flinkHome) : {check: 'lib', level: 'warn', detail: `cannot read ${paths.libDir} here: lib/ not compared`},
      ...portChecks(facts, needs.get(o.host) ?? [], owners),
      clockCheck(clock?.offsetMs, clock?.uncertaintyMs ?? 0),
      byName.get(o.host) ?? {check: 'names', level: 'warn', detail: 'not compared'},
      ...diskChecks(facts, dirs.get(o.host)!),
      openFilesCheck(facts),
    ]
    return {
      host: o.host, roles: hostRoles, reachable: true, level: worst(checks), checks,
      java: {path: java.java, ...(v ? {version: v.version, major: v.major} : {})},
      ...(clock ? {clockOffsetMs: Math.round(clock.offsetMs)} : {}),
    }
  })
  const failed = report.filter((h) => h.level === 'error').length
  return {
    flinkHome: paths.flinkHome,
    ...(conf.version ? {flinkVersion: conf.version.raw} : {}),
    libFiles: bastionLib?.length ?? 0,
    hosts: report,
    errors: report.reduce((a, h) => a + h.checks.filter((c) => c.level === 'error').length, 0),
    warnings: report.reduce((a, h) => a + h.checks.filter((c) => c.level === 'warn').length, 0),
    exit: failed === 0 ? ExitCode.Ok : failed === report.length ? ExitCode.Failed : ExitCode.PartialFailure,
  }
}
