// OpenSSH client configuration (ssh_config(5)), read the way `ssh` reads it so that a host an
// operator reaches with `ssh h1` is reached the same way by flinkctl: Host blocks with patterns,
// first obtained value wins, IdentityFile accumulates, Include (with globs), Key=Value or
// Key Value, quoted arguments, ~ and %-tokens in file names. Match blocks are not supported:
// their options are skipped and a note says so.
import {createHash} from 'node:crypto'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {homedir, hostname, userInfo} from 'node:os'
import {isAbsolute, join} from 'node:path'
import {ConfigError} from '../errors.ts'

/** One line of a config file, or an Include with the items of the files it named. */
export type ConfigItem =
  | {kind: 'host'; patterns: string[]; file: string; line: number}
  | {kind: 'match'; file: string; line: number}
  | {kind: 'option'; key: string; args: string[]; file: string; line: number}
  | {kind: 'include'; items: ConfigItem[]; file: string; line: number}

export interface SshConfig {
  items: ConfigItem[]
  /** Files read, in order (Includes expanded). */
  files: string[]
  /** Things the reader skipped or could not honour (Match blocks, unreadable Includes). */
  notes: string[]
}

/** What ~, %u, %d, %l and ${VAR} expand to; injectable for tests. */
export interface LocalContext {
  home: string
  user: string
  /** Local host name (%l, %L is its first label). */
  hostname: string
  uid: number
  env: Readonly<Record<string, string | undefined>>
}

export function localContext(): LocalContext {
  const info = userInfo()
  return {home: homedir(), user: process.env.USER || info.username, hostname: hostname(), uid: info.uid, env: process.env}
}

export interface ParseOptions {
  /** Name used in notes and errors. */
  file?: string
  /** Where relative Include paths point: ~/.ssh for user files (default), /etc/ssh for system ones. */
  includeDir?: string
  context?: LocalContext
  /** Reads an Include target; returns undefined when it does not exist. Default: the file system. */
  readFile?: (path: string) => string | undefined
  /** Expands an Include glob to existing paths, sorted. Default: the file system. */
  glob?: (pattern: string) => string[]
}

/** ssh's limit on nested Includes (READCONF_MAX_DEPTH). */
const MAX_DEPTH = 16

/** Keywords whose every occurrence adds to the list instead of the first one winning. */
const ACCUMULATING = new Set(['identityfile', 'certificatefile', 'localforward', 'remoteforward', 'dynamicforward', 'sendenv'])

export function parseSshConfig(text: string, opts: ParseOptions = {}): SshConfig {
  const ctx = opts.context ?? localContext()
  const out: SshConfig = {items: [], files: [], notes: []}
  const env = {
    ctx,
    includeDir: opts.includeDir ?? join(ctx.home, '.ssh'),
    readFile: opts.readFile ?? readIfExists,
    glob: opts.glob ?? globPaths,
    out,
  }
  const file = opts.file ?? '<ssh config>'
  out.files.push(file)
  out.items = parseText(text, file, 0, env)
  return out
}

/** Reads an ssh_config file; a missing file is an empty configuration. */
export function loadSshConfig(file: string, opts: Omit<ParseOptions, 'file'> = {}): SshConfig {
  const text = (opts.readFile ?? readIfExists)(file)
  if (text === undefined) return {items: [], files: [], notes: []}
  return parseSshConfig(text, {...opts, file})
}

interface ParseEnv {
  ctx: LocalContext
  includeDir: string
  readFile: (path: string) => string | undefined
  glob: (pattern: string) => string[]
  out: SshConfig
}

function parseText(text: string, file: string, depth: number, env: ParseEnv): ConfigItem[] {
  const items: ConfigItem[] = []
  let inMatch = false
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1
    const parsed = splitLine(lines[i]!, file, line)
    if (!parsed) continue
    const {key, args} = parsed
    const where = `${file}:${line}`
    if (key === 'host') {
      if (args.length === 0) throw new ConfigError(`${where}: Host needs at least one pattern`, {code: 'SSH_CONFIG'})
      inMatch = false
      items.push({kind: 'host', patterns: args, file, line})
    } else if (key === 'match') {
      inMatch = true
      env.out.notes.push(`${where}: 'Match ${args.join(' ')}' is not supported; the options under it are ignored`)
      items.push({kind: 'match', file, line})
    } else if (inMatch) {
      // skipped with the Match block
    } else if (key === 'include') {
      if (args.length === 0) throw new ConfigError(`${where}: Include needs a file name`, {code: 'SSH_CONFIG'})
      if (depth + 1 > MAX_DEPTH) throw new ConfigError(`${where}: Include nested more than ${MAX_DEPTH} deep (a loop?)`, {code: 'SSH_CONFIG'})
      const included: ConfigItem[] = []
      for (const arg of args) {
        let pattern = expandTilde(arg, env.ctx.home)
        if (!isAbsolute(pattern)) pattern = join(env.includeDir, pattern)
        const paths = /[*?[]/.test(pattern) ? env.glob(pattern) : [pattern]
        for (const path of paths) {
          const body = env.readFile(path)
          if (body === undefined) {
            if (!/[*?[]/.test(pattern)) env.out.notes.push(`${where}: Include ${path} does not exist`)
            continue
          }
          env.out.files.push(path)
          included.push(...parseText(body, path, depth + 1, env))
        }
      }
      items.push({kind: 'include', items: included, file, line})
    } else {
      if (args.length === 0) throw new ConfigError(`${where}: '${parsed.rawKey}' has no value`, {code: 'SSH_CONFIG'})
      items.push({kind: 'option', key, args, file, line})
    }
  }
  return items
}

/**
 * One config line → lower-cased keyword and its arguments, or undefined for blank and comment
 * lines. The keyword ends at blanks or one `=`; arguments split like ssh's argv_split: "…" and
 * '…' group, backslash escapes quotes, backslash and blanks, a word starting with # ends the line.
 */
export function splitLine(raw: string, file = '<ssh config>', line = 0): {key: string; rawKey: string; args: string[]} | undefined {
  const text = raw.replace(/[\s]+$/, '')
  const m = /^[ \t]*([^ \t=]+)[ \t]*(?:=[ \t]*)?(.*)$/.exec(text)
  if (!m || m[1]!.startsWith('#')) return undefined
  const rawKey = m[1]!
  const key = rawKey.toLowerCase()
  // commands are handed to a shell whole, quotes included
  if (RAW_KEYS.has(key)) return {key, rawKey, args: m[2] === '' ? [] : [m[2]!]}
  return {key, rawKey, args: splitArgs(m[2]!, file, line)}
}

const RAW_KEYS = new Set(['proxycommand', 'localcommand', 'remotecommand', 'knownhostscommand'])

export function splitArgs(s: string, file = '<ssh config>', line = 0): string[] {
  const args: string[] = []
  let i = 0
  while (i < s.length) {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++
    if (i >= s.length) break
    if (s[i] === '#') break
    let word = ''
    let quote = ''
    while (i < s.length) {
      const c = s[i]!
      if (!quote && (c === ' ' || c === '\t')) break
      if (c === '\\' && i + 1 < s.length) {
        const n = s[i + 1]!
        if (n === '"' || n === "'" || n === '\\' || (!quote && (n === ' ' || n === '\t'))) {
          word += n
          i += 2
          continue
        }
        word += c
        i++
      } else if (quote) {
        if (c === quote) quote = ''
        else word += c
        i++
      } else if (c === '"' || c === "'") {
        quote = c
        i++
      } else {
        word += c
        i++
      }
    }
    if (quote) throw new ConfigError(`${file}:${line}: unterminated ${quote} quote`, {code: 'SSH_CONFIG'})
    args.push(word)
  }
  return args
}

// ---------------------------------------------------------------------------------------------
// Pattern matching (ssh's match_pattern / match_pattern_list)

/** Glob with * and ? over the whole string, case-insensitive. */
export function matchPattern(text: string, pattern: string): boolean {
  const t = text.toLowerCase()
  const p = pattern.toLowerCase()
  // iterative wildcard match with backtracking on the last *
  let ti = 0
  let pi = 0
  let star = -1
  let mark = 0
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === t[ti])) {
      ti++
      pi++
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++
      mark = ti
    } else if (star !== -1) {
      pi = star + 1
      ti = ++mark
    } else {
      return false
    }
  }
  while (pi < p.length && p[pi] === '*') pi++
  return pi === p.length
}

/**
 * A list of patterns, some negated with `!`: false as soon as a negated one matches, else true
 * when a positive one matches (a list of only negations never matches, as in ssh).
 */
export function matchPatternList(text: string, patterns: readonly string[]): boolean {
  let matched = false
  for (const pat of patterns) {
    if (pat.startsWith('!')) {
      if (matchPattern(text, pat.slice(1))) return false
    } else if (matchPattern(text, pat)) {
      matched = true
    }
  }
  return matched
}

// ---------------------------------------------------------------------------------------------
// Resolution

export type StrictHostKeyChecking = 'yes' | 'no' | 'ask' | 'accept-new'

export interface ResolvedHost {
  /** The name asked for, as given (%n); Host patterns match it lower-cased, as in ssh. */
  alias: string
  /** Where to connect: HostName (with %h expanded), else the alias. */
  hostName: string
  user: string
  port: number
  /** IdentityFile values, expanded, in order; empty when none is configured (then ssh's defaults apply). */
  identityFiles: string[]
  identitiesOnly: boolean
  /** IdentityAgent: undefined (use $SSH_AUTH_SOCK), 'none', or a socket path. */
  identityAgent?: string
  /** ProxyJump, unless absent or 'none'. */
  proxyJump?: string
  proxyCommand?: string
  hostKeyAlias?: string
  userKnownHostsFiles: string[]
  globalKnownHostsFiles: string[]
  strictHostKeyChecking: StrictHostKeyChecking
  hashKnownHosts: boolean
  /** ConnectTimeout in seconds, when set. */
  connectTimeout?: number
  /** ServerAliveInterval in seconds (0: off). */
  serverAliveInterval: number
  serverAliveCountMax: number
}

export interface ResolveOptions {
  /**
   * Command-line options (`-o Key=Value`, and -l/-p/-i/-J as User/Port/IdentityFile/ProxyJump),
   * applied before the file, so they win as on ssh's command line.
   */
  options?: ReadonlyArray<readonly [string, string]>
  context?: LocalContext
}

/** Every option that applies to `alias`, first value per keyword (accumulating keywords: all). */
export function collectOptions(config: SshConfig, alias: string, cli: ResolveOptions['options'] = []): Map<string, {args: string[][]; where: string}> {
  const host = alias.toLowerCase()
  const values = new Map<string, {args: string[][]; where: string}>()
  const take = (key: string, args: string[], where: string) => {
    const prev = values.get(key)
    if (!prev) values.set(key, {args: [args], where})
    else if (ACCUMULATING.has(key)) prev.args.push(args)
  }
  for (const [k, v] of cli) {
    const parsed = splitLine(`${k} ${v}`, 'command line', 0)
    if (parsed && parsed.args.length > 0) take(parsed.key, parsed.args, 'command line')
  }
  // Host lines switch `active`; an Include runs with the caller's state, never matches anything
  // when the Include itself sat in an inactive block, and the caller's state is restored after.
  const walk = (items: readonly ConfigItem[], startActive: boolean, neverMatch: boolean): void => {
    let active = startActive
    for (const item of items) {
      if (item.kind === 'host') active = !neverMatch && matchPatternList(host, item.patterns)
      else if (item.kind === 'match') active = false
      else if (item.kind === 'include') walk(item.items, active, neverMatch || !active)
      else if (active) take(item.key, item.args, `${item.file}:${item.line}`)
    }
  }
  walk(config.items, true, false)
  return values
}

export function resolveHost(config: SshConfig, alias: string, opts: ResolveOptions = {}): ResolvedHost {
  const ctx = opts.context ?? localContext()
  const values = collectOptions(config, alias, opts.options)
  const first = (key: string): string | undefined => values.get(key)?.args[0]?.[0]
  const firstArgs = (key: string): string[] | undefined => values.get(key)?.args[0]
  const where = (key: string) => values.get(key)?.where ?? 'ssh config'
  const bad = (key: string, why: string) => new ConfigError(`${where(key)}: ${why}`, {code: 'SSH_CONFIG'})
  const yesNo = (key: string, dflt: boolean): boolean => {
    const v = first(key)?.toLowerCase()
    if (v === undefined) return dflt
    if (v === 'yes' || v === 'true') return true
    if (v === 'no' || v === 'false') return false
    throw bad(key, `${key} must be yes or no, not '${v}'`)
  }
  const int = (key: string, min: number, max: number): number | undefined => {
    const v = first(key)
    if (v === undefined) return undefined
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw bad(key, `${key} must be a number from ${min} to ${max}, not '${v}'`)
    return Number(v)
  }
  const seconds = (key: string): number | undefined => {
    const v = first(key)
    if (v === undefined) return undefined
    const s = parseSshTime(v)
    if (s === undefined) throw bad(key, `${key} must be a time in seconds (e.g. 10, 1m30s), not '${v}'`)
    return s
  }

  const host = alias.toLowerCase()
  const hostNameRaw = first('hostname')
  const hostName = hostNameRaw === undefined ? host : percentExpand(hostNameRaw, {h: host, '%': '%'}, where('hostname'))
  const port = int('port', 1, 65535) ?? 22
  const user = first('user') ?? ctx.user
  const hostKeyAlias = first('hostkeyalias')

  const l = ctx.hostname
  const tokens: Record<string, string> = {
    '%': '%',
    d: ctx.home,
    h: hostName,
    i: String(ctx.uid),
    k: hostKeyAlias ?? hostName,
    L: l.split('.')[0]!,
    l,
    n: alias,
    p: String(port),
    r: user,
    u: ctx.user,
  }
  tokens.C = createHash('sha1').update(`${l}${hostName}${port}${user}`).digest('hex')
  const pathOf = (key: string, value: string) => expandEnv(expandTilde(percentExpand(value, tokens, where(key)), ctx.home), ctx, where(key))
  const fileList = (key: string, dflt: string[]): string[] => {
    const args = firstArgs(key)
    if (!args) return dflt
    if (args.length === 1 && args[0]!.toLowerCase() === 'none') return []
    return args.map((a) => pathOf(key, a))
  }

  const strictRaw = first('stricthostkeychecking')?.toLowerCase()
  let strictHostKeyChecking: StrictHostKeyChecking = 'ask'
  if (strictRaw !== undefined) {
    if (strictRaw === 'yes' || strictRaw === 'true') strictHostKeyChecking = 'yes'
    else if (strictRaw === 'no' || strictRaw === 'off' || strictRaw === 'false') strictHostKeyChecking = 'no'
    else if (strictRaw === 'ask') strictHostKeyChecking = 'ask'
    else if (strictRaw === 'accept-new') strictHostKeyChecking = 'accept-new'
    else throw bad('stricthostkeychecking', `StrictHostKeyChecking must be yes, no, ask or accept-new, not '${strictRaw}'`)
  }

  const proxyJump = first('proxyjump')
  const proxyCommandArgs = firstArgs('proxycommand')
  const agent = first('identityagent')
  const resolved: ResolvedHost = {
    alias,
    hostName,
    user,
    port,
    identityFiles: (values.get('identityfile')?.args ?? []).map((a) => pathOf('identityfile', a[0]!)),
    identitiesOnly: yesNo('identitiesonly', false),
    userKnownHostsFiles: fileList('userknownhostsfile', [join(ctx.home, '.ssh/known_hosts'), join(ctx.home, '.ssh/known_hosts2')]),
    globalKnownHostsFiles: fileList('globalknownhostsfile', ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']),
    strictHostKeyChecking,
    hashKnownHosts: yesNo('hashknownhosts', false),
    serverAliveInterval: seconds('serveraliveinterval') ?? 0,
    serverAliveCountMax: int('serveralivecountmax', 0, 1_000_000) ?? 3,
  }
  const connectTimeout = seconds('connecttimeout')
  if (connectTimeout !== undefined && connectTimeout > 0) resolved.connectTimeout = connectTimeout
  if (hostKeyAlias !== undefined) resolved.hostKeyAlias = hostKeyAlias
  if (proxyJump !== undefined && proxyJump.toLowerCase() !== 'none') resolved.proxyJump = proxyJump
  // ProxyCommand takes the rest of the line; 'none' disables it
  if (proxyCommandArgs && !(proxyCommandArgs.length === 1 && proxyCommandArgs[0]!.toLowerCase() === 'none')) {
    resolved.proxyCommand = proxyCommandArgs[0]!
  }
  if (agent !== undefined && agent !== 'SSH_AUTH_SOCK') {
    // 'none', '$VAR' (a variable naming the socket), or a path with ~, %-tokens and ${VAR}
    if (agent.toLowerCase() === 'none') resolved.identityAgent = 'none'
    else if (/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(agent)) resolved.identityAgent = ctx.env[agent.slice(1)] ?? 'none'
    else resolved.identityAgent = pathOf('identityagent', agent)
  }
  return resolved
}

/** ssh's time format: 30, 30s, 10m, 1h30m (seconds). */
export function parseSshTime(v: string): number | undefined {
  if (/^\d+$/.test(v)) return Number(v)
  const m = /^(?:\d+[sSmMhHdDwW])+$/.exec(v)
  if (!m) return undefined
  const mult: Record<string, number> = {s: 1, m: 60, h: 3600, d: 86400, w: 604800}
  let total = 0
  for (const [, n, u] of v.matchAll(/(\d+)([sSmMhHdDwW])/g)) total += Number(n) * mult[u!.toLowerCase()]!
  return total
}

/** %x tokens; an unknown token is an error, as in ssh. */
export function percentExpand(value: string, tokens: Readonly<Record<string, string>>, where = 'ssh config'): string {
  return value.replace(/%(.?)/g, (_, t: string) => {
    const v = tokens[t]
    if (v === undefined) throw new ConfigError(`${where}: unknown token %${t} in '${value}'`, {code: 'SSH_CONFIG', hint: `known tokens here: ${Object.keys(tokens).map((k) => `%${k}`).join(' ')}`})
    return v
  })
}

export function expandTilde(path: string, home: string): string {
  if (path === '~') return home
  if (path.startsWith('~/')) return join(home, path.slice(2))
  return path
}

function expandEnv(value: string, ctx: LocalContext, where: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = ctx.env[name]
    if (v === undefined) throw new ConfigError(`${where}: environment variable ${name} in '${value}' is not set`, {code: 'SSH_CONFIG'})
    return v
  })
}

// ---------------------------------------------------------------------------------------------
// File system defaults

function readIfExists(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return undefined
    return readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined
    throw new ConfigError(`cannot read ssh config ${path}: ${(err as Error).message}`, {code: 'SSH_CONFIG', cause: err})
  }
}

/** Expands * and ? (and [..]) in any path component; results sorted like glob(3). */
export function globPaths(pattern: string): string[] {
  const parts = pattern.split('/')
  let bases = [parts[0] === '' ? '/' : '.']
  for (const part of parts.slice(parts[0] === '' ? 1 : 0)) {
    if (part === '') continue
    const next: string[] = []
    for (const base of bases) {
      if (!/[*?[]/.test(part)) {
        next.push(join(base, part))
        continue
      }
      let names: string[]
      try {
        names = readdirSync(base)
      } catch {
        continue
      }
      const re = globToRegExp(part)
      for (const name of names.sort()) if (re.test(name) && !(name.startsWith('.') && !part.startsWith('.'))) next.push(join(base, name))
    }
    bases = next
  }
  return bases.filter((p) => {
    try {
      statSync(p)
      return true
    } catch {
      return false
    }
  })
}

function globToRegExp(part: string): RegExp {
  let re = ''
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!
    if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else if (c === '[') {
      const end = part.indexOf(']', i + 1)
      if (end === -1) re += '\\['
      else {
        const body = part.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')
        re += `[${body}]`
        i = end
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

/** Where the user's default config lives. */
export const defaultUserConfigFile = (home = homedir()): string => join(home, '.ssh', 'config')
export const SYSTEM_CONFIG_FILE = '/etc/ssh/ssh_config'

/** Reads one config file after another as one configuration (first obtained still wins). */
export function concatConfigs(...configs: SshConfig[]): SshConfig {
  // each file starts with every option active, whatever Host block the previous one ended in
  const items: ConfigItem[] = configs.map((c) => ({kind: 'include', items: c.items, file: c.files[0] ?? '<ssh config>', line: 0}))
  return {items, files: configs.flatMap((c) => c.files), notes: configs.flatMap((c) => c.notes)}
}
