// The masters and workers files, and the REST address they publish: what a multi-host HA cluster needs.
import {type Finding} from '../conf/types.ts'
import {LOCAL_HOSTS, at, finding, haOn, value, type Rule, type RuleContext} from './rule-kit.ts'

/** Every master and worker on this machine: a demo or test cluster, where local paths and localhost are fine. */
export const allMastersLocal = (ctx: RuleContext): boolean =>
  (ctx.conf.masters?.entries ?? []).every((m) => LOCAL_HOSTS.has(m.host)) &&
  (ctx.conf.workers?.entries ?? []).every((w) => LOCAL_HOSTS.has(w.host))

/**
 * One JobManager host: no standby elsewhere needs the leader's files (a JobManager restarted there
 * reads its own disk; TaskManagers fetch blobs from the BlobServer, HA storage is only their fallback).
 */
export const singleMasterHost = (ctx: RuleContext): boolean =>
  ctx.conf.masters !== undefined && new Set(ctx.conf.masters.entries.map((m) => m.host.toLowerCase())).size === 1

export const mastersCount: Rule = {
  id: 'HA-MASTERS',
  severity: 'warning',
  summary: 'ZooKeeper HA with fewer than 2 masters (no standby), or without a masters file',
  targets: ['standalone'],
  check(ctx) {
    if (!haOn(ctx)) return []
    if (!ctx.conf.masters) {
      // a conf dir for containers or Kubernetes has none, and needs none; start-cluster refuses it on its own
      return [finding(this, {file: `${ctx.conf.confDir}/masters`, severity: 'warning',
        message: 'ZooKeeper HA is on but there is no masters file: start-cluster cannot know the JobManager hosts (fine where JobManagers start in containers)',
        hint: 'for a standalone cluster, create conf/masters with one host:webui-port per line, e.g. jm1:8081'})]
    }
    const n = ctx.conf.masters.entries.length
    if (n >= 2) return []
    return [finding(this, {file: ctx.conf.masters.file, line: ctx.conf.masters.entries[0]?.line ?? 1, col: 1,
      message: n === 0 ? 'the masters file lists no host' : `only ${n} master: a killed JobManager has no standby to take over`,
      severity: n === 0 ? 'error' : 'warning',
      hint: 'list at least two JobManager hosts in conf/masters'})]
  },
}

export const mastersDuplicate: Rule = {
  id: 'MASTERS-DUPLICATE',
  severity: 'error',
  summary: 'two masters with the same host and web UI port, or an unusable port',
  targets: ['standalone'],
  check(ctx) {
    const masters = ctx.conf.masters
    if (!masters) return []
    const out: Finding[] = []
    const seen = new Map<string, number>()
    const restPort = value(ctx, 'rest.port')?.value ?? '8081'
    for (const m of masters.entries) {
      if (m.badPort !== undefined) {
        out.push(finding(this, {file: masters.file, line: m.line, col: m.col,
          message: `'${m.raw}': '${m.badPort}' is not a port number`, hint: `write ${m.host}:8081`}))
        continue
      }
      if (m.port !== undefined && (m.port < 0 || m.port > 65535)) {
        out.push(finding(this, {file: masters.file, line: m.line, col: m.col, message: `'${m.raw}': ${m.port} is not a port number`, hint: 'use a port from 1 to 65535'}))
        continue
      }
      const id = `${m.host}:${m.port ?? restPort}`
      const first = seen.get(id)
      if (first !== undefined) {
        out.push(finding(this, {file: masters.file, line: m.line, col: m.col,
          message: `${id} is listed again (first on line ${first}): two JobManagers cannot bind the same REST port`,
          hint: 'give each JobManager on one host its own web UI port, or remove the duplicate'}))
      } else {
        seen.set(id, m.line)
      }
    }
    return out
  },
}

export const restLocalhost: Rule = {
  id: 'HA-REST-LOCALHOST',
  severity: 'warning',
  summary: 'rest.address is localhost on a multi-host HA cluster (the published leader URL is unusable)',
  targets: ['standalone'],
  check(ctx) {
    if (!haOn(ctx) || allMastersLocal(ctx)) return []
    const v = ctx.conf.flink.entries.get('rest.address')
    if (!v || !LOCAL_HOSTS.has(v.value.trim())) return []
    return [finding(this, {...at(v), key: v.key,
      message: `rest.address is ${v.value}: each JobManager publishes this address as the leader's REST URL, which other hosts cannot reach`,
      hint: 'remove rest.address (each master gets its own from conf/masters) or set it per host'})]
  },
}

