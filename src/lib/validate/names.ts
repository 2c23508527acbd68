// HOST-NAME: every host and user name the conf files hand to ssh, checked as OpenSSH checks
// them (src/lib/conf/names.ts). A name a shell would read as code is an error before any host
// is touched: ProxyCommand expands %h/%r into `sh -c`, and Flink's own scripts word-split them.
import {getValue} from '../conf/load.ts'
import {hostEntryProblem, hostNameProblem, printable, splitUserHost, userNameProblem} from '../conf/names.ts'
import {type Finding, where} from '../conf/types.ts'
import {splitWords} from '../launch/shell.ts'
import type {Rule, RuleContext} from './rule-kit.ts'

const HINT = 'write a plain host name or address (letters, digits, . - _ :, or [IPv6]), optionally user@host; nothing a shell would interpret'

function sshOptNames(text: string): {what: string; kind: 'user' | 'host' | 'hops'; value: string}[] {
  const words = splitWords(text)
  const out: {what: string; kind: 'user' | 'host' | 'hops'; value: string}[] = []
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    const flag = /^-([lJo])(.*)$/.exec(w)
    if (!flag) continue
    const arg = flag[2] !== '' ? flag[2]! : (words[++i] ?? '')
    if (flag[1] === 'l') out.push({what: '-l', kind: 'user', value: arg})
    else if (flag[1] === 'J') out.push({what: '-J', kind: 'hops', value: arg})
    else {
      const m = /^(User|HostName|ProxyJump)=(.*)$/i.exec(arg)
      if (m) out.push({what: `-o ${m[1]}`, kind: m[1]!.toLowerCase() === 'user' ? 'user' : m[1]!.toLowerCase() === 'hostname' ? 'host' : 'hops', value: m[2]!})
    }
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
