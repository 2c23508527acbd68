// HOST-NAME: every host and user name the conf files hand to ssh, checked as OpenSSH checks
// them (src/lib/conf/names.ts). A name a shell would read as code is an error before any host
// is touched: ProxyCommand expands %h/%r into `sh -c`, and Flink's own scripts word-split them.
import {getValue} from '../conf/load.ts'
import {hostEntryProblem, hostNameProblem, printable, splitUserHost, userNameProblem} from '../conf/names.ts'
import {type Finding, where} from '../conf/types.ts'
import {remoteOptionsFromSshOpts} from '../remote/ssh-opts.ts'
import type {Rule, RuleContext} from './rule-kit.ts'

const HINT = 'write a plain host name or address (letters, digits, . - _ :, or [IPv6]), optionally user@host; nothing a shell would interpret'

/** The names env.ssh.opts hands to ssh, read by the parser the SSH layer uses (unusable options are its error to report). */
function sshOptNames(text: string): {what: string; kind: 'user' | 'host' | 'hops'; value: string}[] {
  let opts
  try {
    opts = remoteOptionsFromSshOpts(text)
  } catch {
    return []
  }
  const out: {what: string; kind: 'user' | 'host' | 'hops'; value: string}[] = []
  if (opts.user !== undefined) out.push({what: '-l', kind: 'user', value: opts.user})
  if (opts.proxyJump !== undefined) out.push({what: '-J', kind: 'hops', value: opts.proxyJump})
  for (const [key, value] of Object.entries(opts.extraOptions ?? {})) {
    const k = key.toLowerCase()
    if (k === 'user' || k === 'hostname' || k === 'proxyjump') out.push({what: `-o ${key}`, kind: k === 'user' ? 'user' : k === 'hostname' ? 'host' : 'hops', value})
  }
  return out
}

/** One hop of a ProxyJump list: [ssh://][user@]host[:port]. */
export function jumpHopProblem(hop: string): string | undefined {
  const s = hop.replace(/^ssh:\/\//, '')
  const {user, host} = splitUserHost(s)
  if (user !== undefined) {
    const u = userNameProblem(user)
    if (u) return `user '${printable(user)}': ${u}`
  }
  const bare = /^(\[[^\]]*\])(?::\d+)?$/.exec(host)?.[1] ?? /^([^:]*):\d+$/.exec(host)?.[1] ?? host
  const h = hostNameProblem(bare)
  return h ? `host '${printable(bare)}': ${h}` : undefined
}

export const hostNames: Rule = {
  id: 'HOST-NAME',
  severity: 'error',
  summary: 'a host or user name (masters, workers, zoo.cfg, env.ssh.opts) that holds shell metacharacters, whitespace, control characters or a leading "-"',
  check: (ctx: RuleContext) => {
    const out: Finding[] = []
    const {conf} = ctx
    for (const list of [conf.masters, conf.workers]) {
      for (const e of list?.entries ?? []) {
        const problem = hostEntryProblem(e.host)
        if (problem) {
          out.push({rule: 'HOST-NAME', severity: 'error', file: list!.file, line: e.line, col: e.col,
            message: `'${printable(e.host)}' is not a host name: ${problem}`, hint: HINT})
        }
      }
    }
    for (const s of conf.zoo?.servers ?? []) {
      const problem = hostNameProblem(s.host)
      if (problem) {
        out.push({rule: 'HOST-NAME', severity: 'error', file: conf.zoo!.file, line: s.line, col: s.col, key: `server.${s.id}`,
          message: `server.${s.id}: '${printable(s.host)}' is not a host name: ${problem}`, hint: HINT})
      }
    }
    const opts = getValue(conf, 'env.ssh.opts')
    for (const o of opts ? sshOptNames(opts.value) : []) {
      const problems = o.kind === 'user' ? [userNameProblem(o.value)] : o.kind === 'host' ? [hostNameProblem(o.value)] : o.value.split(',').map(jumpHopProblem)
      const problem = problems.find((p) => p !== undefined)
      if (problem) {
        out.push({rule: 'HOST-NAME', severity: 'error', ...(opts!.entry ? where(opts!.entry.source) : {}), key: 'env.ssh.opts',
          message: `env.ssh.opts ${o.what} '${printable(o.value)}' is not a valid ${o.kind === 'user' ? 'user' : 'host'} name: ${problem}`, hint: HINT})
      }
    }
    return out
  },
}
