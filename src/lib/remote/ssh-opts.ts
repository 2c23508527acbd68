// Flink's env.ssh.opts as flinkctl reads it. Its own module, free of ssh2, so that the validator
// reads the same options (the -l user, the -J hops) with the same parser and stays quick to load.
import {ConfigError} from '../errors.ts'
import {splitWords} from '../launch/shell.ts'
import type {RemoteOptions} from './ssh.ts'

/** Flags that change nothing for flinkctl (it never allocates a tty, forwards, or reads stdin). */
const IGNORED_FLAGS = new Set(['q', 'T', 'n', 'x', 'X', 'Y', 'a', 'A', 'C', 'v', 'k', 't', '4', '6', 'g'])
/** Flags with an argument that change nothing for flinkctl. */
const IGNORED_WITH_ARG = new Set(['E', 'S', 'c', 'm', 'e'])

/**
 * Reads Flink's env.ssh.opts (what bin/*.sh put, word-split and unquoted, between `ssh` and the
 * host) into RemoteOptions: -F, -i, -p, -l, -J and -o Key=Value are honoured; harmless flags
 * (-q -T -n -x -A -C -v -t …) are ignored; anything else (-L, -R, -D, -N, -f, -b, …) is a
 * ConfigError naming the option, since flinkctl could not do what it asks.
 *
 * StrictHostKeyChecking: accept-new and no both become acceptNewHostKeys. flinkctl trusts and
 * records a key it has never seen, but it never connects to a host whose recorded key changed,
 * whatever the option says (ssh with "no" would connect with a warning).
 */
export function remoteOptionsFromSshOpts(text: string): RemoteOptions {
  const words = splitWords(text)
  const opts: RemoteOptions = {}
  const where = (o: string) => `env.ssh.opts: ${o}`
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    if (!w.startsWith('-') || w === '-') {
      throw new ConfigError(`${where(w)} is not an ssh option`, {code: 'SSH_OPTS', hint: 'env.ssh.opts may hold ssh options only (e.g. -p 2222 -o ConnectTimeout=5); the host comes from masters/workers/zoo.cfg'})
    }
    // a bundle of flags (-qT), the last of which may take an argument (-qp 22, -p22)
    let j = 1
    while (j < w.length) {
      const f = w[j]!
      const takesArg = 'FipolJ'.includes(f) || IGNORED_WITH_ARG.has(f)
      if (!takesArg) {
        if (!IGNORED_FLAGS.has(f)) throw unsupported(f)
        j++
        continue
      }
      let arg = w.slice(j + 1)
      if (arg === '') {
        arg = words[++i] ?? ''
        if (arg === '') throw new ConfigError(`${where(`-${f}`)} needs a value`, {code: 'SSH_OPTS'})
      }
      applyOption(opts, f, arg, where)
      break
    }
  }
  return opts
}

function unsupported(f: string): ConfigError {
  return new ConfigError(`env.ssh.opts: ssh option -${f} is not supported by flinkctl`, {
    code: 'SSH_OPTS',
    hint: 'flinkctl honours -F -i -p -l -J -o and ignores -q -T -n -x -A -C -v -t; remove the option or move it to your ~/.ssh/config',
  })
}

function applyOption(opts: RemoteOptions, f: string, arg: string, where: (o: string) => string): void {
  switch (f) {
    case 'F':
      opts.sshConfigFile = arg
      return
    case 'i':
      ;(opts.identityFiles ??= []).push(arg)
      return
    case 'l':
      opts.user = arg
      return
    case 'J':
      opts.proxyJump = arg
      return
    case 'p': {
      const port = /^\d+$/.test(arg) ? Number(arg) : NaN
      if (!(port >= 1 && port <= 65535)) throw new ConfigError(`${where(`-p ${arg}`)}: not a port number`, {code: 'SSH_OPTS'})
      opts.port = port
      return
    }
    case 'o': {
      const m = /^([A-Za-z][A-Za-z0-9]*)(?:=|$)(.*)$/.exec(arg)
      if (!m || m[2] === '') {
        throw new ConfigError(`${where(`-o ${arg}`)}: expected Key=Value`, {code: 'SSH_OPTS', hint: 'env.ssh.opts is split on blanks, so write -o Key=Value without spaces'})
      }
      const key = m[1]!
      const value = m[2]!
      if (key.toLowerCase() === 'identityfile') {
        ;(opts.identityFiles ??= []).push(value)
        return
      }
      if (key.toLowerCase() === 'stricthostkeychecking') {
        const v = value.toLowerCase()
        if (v === 'accept-new' || v === 'no' || v === 'off') opts.acceptNewHostKeys = true
        else if (!['yes', 'ask', 'true'].includes(v)) throw new ConfigError(`${where(`-o ${arg}`)}: StrictHostKeyChecking must be yes, ask, accept-new or no`, {code: 'SSH_OPTS'})
        return
      }
      ;(opts.extraOptions ??= {})[key] = value
      return
    }
    default:
      return // IGNORED_WITH_ARG
  }
}
