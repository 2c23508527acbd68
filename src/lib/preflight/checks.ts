// Facts of one host (and of all hosts together) judged against what the cluster needs.
import type {FlinkVersion} from '../conf/types.ts'
import {judgePorts, type PortNeed} from './ports.ts'
import {javaMajorOf, type HostFacts, type LibFile, type PortOwner} from './probe.ts'

export type Level = 'ok' | 'warn' | 'error'

export interface PreflightCheck {
  /** ssh, java, flink-home, lib, ports, clock, names, disk, open-files */
  check: string
  level: Level
  detail: string
  hint?: string
}

/**
 * Java majors per Flink line: the bytecode level of the released flink-core jars (8 for 1.x,
 * 11 for 2.x), the java_compatibility docs page and the release notes of each line.
 */
export function javaSupport(v: Pick<FlinkVersion, 'major' | 'minor'>): {supported: number[]; beta: number[]} {
  if (v.major >= 2) return {supported: [11, 17, 21], beta: []}
  if (v.minor >= 19) return {supported: [8, 11, 17], beta: [21]}
  if (v.minor === 18) return {supported: [8, 11], beta: [17]}
  return {supported: [8, 11], beta: []}
}

export function javaCheck(facts: HostFacts, version: FlinkVersion | undefined, from: string): PreflightCheck {
  if (!facts.java.found) return {check: 'java', level: 'error', detail: `no java (${from})`, hint: 'install a JDK on the host, or set env.java.home to one at the same path on every host'}
  const v = javaMajorOf(facts.java.lines)
  if (!v) return {check: 'java', level: 'error', detail: `java -version exit ${facts.java.exitStatus ?? '?'}: ${facts.java.lines[0] ?? 'no output'}`, hint: 'the java the daemons would run does not start'}
  if (!version) return {check: 'java', level: 'warn', detail: `Java ${v.version} (Flink version unknown: not compared)`}
  const {supported, beta} = javaSupport(version)
  const line = `Flink ${version.major}.${version.minor}`
  if (supported.includes(v.major)) return {check: 'java', level: 'ok', detail: `Java ${v.version}`}
  if (beta.includes(v.major)) return {check: 'java', level: 'warn', detail: `Java ${v.version}: beta on ${line} (supported: ${supported.join(', ')})`}
  return {check: 'java', level: 'error', detail: `Java ${v.version} is not supported by ${line} (supported: ${supported.join(', ')})`, hint: 'point env.java.home (or JAVA_HOME) at a supported JDK on this host'}
}

export function libCheck(facts: HostFacts, bastion: readonly LibFile[], home: string): PreflightCheck {
  if (facts.home === 'no') return {check: 'flink-home', level: 'error', detail: `${home} does not exist`, hint: 'install the same Flink distribution at the same path on every host (flinkctl dist push)'}
  if (facts.home === 'nolib') return {check: 'flink-home', level: 'error', detail: `${home} has no lib/`, hint: 'this is not a Flink distribution: install the same one as on this machine'}
  if (!facts.lib) return {check: 'lib', level: 'warn', detail: 'no sha256sum or shasum on the host: lib/ not compared'}
  const mine = new Map(bastion.map((f) => [f.name, f]))
  const theirs = new Map(facts.lib.map((f) => [f.name, f]))
  const missing = [...mine.keys()].filter((n) => !theirs.has(n))
  const extra = [...theirs.keys()].filter((n) => !mine.has(n))
  const changed = [...mine.values()].filter((f) => theirs.has(f.name) && (theirs.get(f.name)!.sha256 !== f.sha256 || theirs.get(f.name)!.size !== f.size)).map((f) => f.name)
  if (!missing.length && !extra.length && !changed.length) return {check: 'lib', level: 'ok', detail: `lib/ as here (${bastion.length} files)`}
  const parts = [
    changed.length ? `different: ${list(changed)}` : '',
    missing.length ? `missing: ${list(missing)}` : '',
    extra.length ? `only there: ${list(extra)}` : '',
  ].filter(Boolean)
  return {check: 'lib', level: 'error', detail: `lib/ is not the build this machine has (${parts.join('; ')})`, hint: 'a different Flink build on one host fails at run time: push the same distribution (flinkctl dist push)'}
}

const list = (xs: readonly string[]) => (xs.length > 3 ? `${xs.slice(0, 3).join(', ')} and ${xs.length - 3} more` : xs.join(', '))

export function portChecks(facts: HostFacts, needs: readonly PortNeed[], owners: ReadonlyMap<number, PortOwner>): PreflightCheck[] {
  if (!needs.length) return [{check: 'ports', level: 'ok', detail: 'none fixed: the daemons here bind random ports (0)'}]
  if (!facts.listening) return [{check: 'ports', level: 'warn', detail: 'cannot list listening ports (no /proc/net/tcp, no ss): not checked'}]
  const verdicts = judgePorts(needs, new Set(facts.listening.map((l) => l.port)), owners)
  const bad = verdicts.filter((v) => v.level === 'error')
  if (!bad.length) {
    const running = verdicts.filter((v) => v.detail.includes(' held by the running '))
    return [{check: 'ports', level: 'ok', detail: `free: ${verdicts.filter((v) => !running.includes(v)).map((v) => v.need.spec).join(', ') || 'none'}${running.length ? `; held by the daemon already running: ${running.map((v) => v.need.spec).join(', ')}` : ''}`}]
  }
  return bad.map((v) => ({check: 'ports', level: 'error' as const, detail: v.detail, hint: v.taken.length ? 'stop what holds the port, or give the key another port' : 'give each daemon its own port, or a range of ports'}))
}

export const CLOCK_WARN_MS = 500
export const CLOCK_ERROR_MS = 5000

/** The host's clock against this machine's: ZooKeeper sessions and certificates need them close. */
export function clockCheck(offsetMs: number | undefined, uncertaintyMs: number): PreflightCheck {
  if (offsetMs === undefined) return {check: 'clock', level: 'warn', detail: 'the host did not tell its time (date)'}
  const abs = Math.abs(offsetMs)
  const text = `${offsetMs >= 0 ? '+' : '-'}${fmtMs(abs)} from this machine (±${fmtMs(uncertaintyMs)})`
  // only a difference larger than the measurement's own uncertainty counts
  const seen = abs - uncertaintyMs
  if (seen > CLOCK_ERROR_MS) return {check: 'clock', level: 'error', detail: text, hint: 'synchronize the clocks (chrony or systemd-timesyncd): ZooKeeper sessions and TLS certificates need them within seconds'}
  if (seen > CLOCK_WARN_MS) return {check: 'clock', level: 'warn', detail: text, hint: 'synchronize the clocks (chrony or systemd-timesyncd)'}
  return {check: 'clock', level: 'ok', detail: text}
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`)

export const DISK_ERROR_KIB = 256 * 1024
export const DISK_WARN_KIB = 2 * 1024 * 1024

export function diskChecks(facts: HostFacts, dirs: ReadonlyArray<{path: string; use: string}>): PreflightCheck[] {
  const out: PreflightCheck[] = []
  for (const d of facts.dirs) {
    const dir = dirs[d.index]
    if (!dir) continue
    const what = `${dir.use} ${dir.path}`
    if (!d.writable && dir.use === 'conf dir') out.push({check: 'disk', level: 'warn', detail: `${what}: not writable: start-cluster pushes the conf there (use --no-push if it is managed otherwise)`})
    else if (!d.writable) out.push({check: 'disk', level: 'error', detail: `${what}: not writable (nor its nearest existing parent)`, hint: 'create it for the daemon user, or point the key elsewhere'})
    else if (d.availKiB === undefined) out.push({check: 'disk', level: 'warn', detail: `${what}: free space unknown (df)`})
    else if (d.availKiB < DISK_ERROR_KIB) out.push({check: 'disk', level: 'error', detail: `${what}: ${fmtKiB(d.availKiB)} free`, hint: 'free space there or point the key at another disk'})
    else if (d.availKiB < DISK_WARN_KIB) out.push({check: 'disk', level: 'warn', detail: `${what}: ${fmtKiB(d.availKiB)} free`})
  }
  if (!out.length && facts.dirs.length) out.push({check: 'disk', level: 'ok', detail: `${Math.min(...facts.dirs.map((d) => d.availKiB ?? Infinity)) === Infinity ? '?' : fmtKiB(Math.min(...facts.dirs.map((d) => d.availKiB!)))} free at least, in ${dirs.map((d) => d.use).join(', ')}`})
  return out
}

const fmtKiB = (k: number) => (k >= 1024 * 1024 ? `${(k / 1024 / 1024).toFixed(1)} GiB` : `${Math.round(k / 1024)} MiB`)

/**
 * Flink and ZooKeeper keep a file open per jar, socket, log and state file (RocksDB many): the
 * 1024 many systems still default to is the classic "Too many open files"; flinkctl's threshold.
 */
export const NOFILE_WARN = 8192

export function openFilesCheck(facts: HostFacts): PreflightCheck {
  if (!facts.nofile) return {check: 'open-files', level: 'warn', detail: 'ulimit -n unknown'}
  const {soft, hard} = facts.nofile
  if (soft === 'unlimited' || soft >= NOFILE_WARN) return {check: 'open-files', level: 'ok', detail: `${soft}`}
  return {check: 'open-files', level: 'warn', detail: `open files limit ${soft} (hard ${hard}), below ${NOFILE_WARN}`, hint: hard === 'unlimited' || hard >= NOFILE_WARN ? 'raise the soft limit (ulimit -n in the login environment, or LimitNOFILE)' : 'raise nofile in /etc/security/limits.conf for the daemon user'}
}

/** The address Java would use for a name: the first IPv4 answer, else the first answer. */
export const primaryAddress = (addresses: readonly string[]): string | undefined => addresses.find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a)) ?? addresses[0]

const isLoopback = (a: string) => /^127\./.test(a) || a === '::1'

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', '127.0.0.1', '::1'])

/**
 * Every host's answers for every cluster name against the others': a name one host resolves
 * to another address (often its own name to 127.0.1.1 from /etc/hosts) splits the cluster.
 * answers: host → name → addresses (undefined when the host could not resolve at all).
 */
export function nameChecks(names: readonly string[], answers: ReadonlyMap<string, ReadonlyMap<string, readonly string[] | undefined>>): Map<string, PreflightCheck> {
  const out = new Map<string, PreflightCheck>()
  const problems = new Map<string, string[]>()
  const note = (host: string, text: string) => problems.set(host, [...(problems.get(host) ?? []), text])
  for (const name of names) {
    if (LOOPBACK_NAMES.has(name.toLowerCase())) continue
    const byAddr = new Map<string, string[]>()
    for (const [host, m] of answers) {
      const addrs = m.get(name)
      if (addrs === undefined) continue
      const a = primaryAddress(addrs)
      if (a === undefined) {
        note(host, `${name} does not resolve`)
        continue
      }
      byAddr.set(a, [...(byAddr.get(a) ?? []), host])
    }
    if (byAddr.size === 0) continue
    const loop = [...byAddr.entries()].filter(([a]) => isLoopback(a))
    if (byAddr.size === 1) {
      // one answer everywhere, but loopback: a multi-host cluster cannot reach it (single-host is fine)
      if (loop.length && answers.size > 1) for (const h of loop[0]![1]) note(h, `${name} → ${loop[0]![0]} (loopback) on every host`)
      continue
    }
    // a loopback answer loses against any other; among the rest the majority wins, a tie marks both
    const ranked = [...byAddr.entries()].sort((x, y) => Number(isLoopback(x[0])) - Number(isLoopback(y[0])) || y[1].length - x[1].length)
    const tie = !isLoopback(ranked[1]![0]) && ranked[0]![1].length === ranked[1]![1].length
    for (const [addr, hosts] of ranked.slice(tie ? 0 : 1)) {
      const others = ranked.filter(([a]) => a !== addr).map(([a, hs]) => `${a} on ${hs.join(', ')}`).join('; ')
      for (const h of hosts) note(h, `${name} → ${addr} here, ${others}`)
    }
  }
  for (const host of answers.keys()) {
    const p = problems.get(host)
    const m = answers.get(host)!
    if ([...m.values()].every((v) => v === undefined)) out.set(host, {check: 'names', level: 'warn', detail: 'no getent on the host: names not compared'})
    else if (p) out.set(host, {check: 'names', level: 'error', detail: p.join('; '), hint: 'make every host resolve every cluster name to the same address (DNS, or the same /etc/hosts lines)'})
    else out.set(host, {check: 'names', level: 'ok', detail: `${names.length} names as on the other hosts`})
  }
  return out
}
