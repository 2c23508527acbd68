// Host and user names as OpenSSH checks them before it expands %h/%r into a ProxyCommand or
// hands them to a shell (valid_hostname/valid_ruser, since OpenSSH 9.6 and CVE-2023-51385),
// a little stricter: names reach `sh -c` through ProxyCommand and Flink's own scripts, so a
// name that a shell would read as code is refused wherever it comes from.

/** OpenSSH's list for host names (',' too: host lists are split on it). */
const HOST_METACHARACTERS = "'`\"$\\;&<>|(){},"
/** Glob characters: no host has them, and a shell expands them unquoted. */
const HOST_PATTERN_CHARACTERS = '*?[]!~#'
/** OpenSSH's list for user names, plus '$', '\\' and ',' (user names reach %r unquoted). */
const USER_METACHARACTERS = "'`\"$\\;&<>|(){},*?[]!~#"
/** getnameinfo's NI_MAXHOST; DNS names stop at 253. */
const MAX_NAME = 255

function describe(c: string): string {
  const cp = c.codePointAt(0)!
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return `a control character (${hex})`
  if (/\s/u.test(c)) return `whitespace (${hex})`
  return `the character '${c}'`
}

function firstBad(name: string, forbidden: string): string | undefined {
  for (const c of name) {
    const cp = c.codePointAt(0)!
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || /\s/u.test(c) || forbidden.includes(c)) return c
  }
  return undefined
}

/** Why `name` cannot be a host name, or undefined when it can. `[v6]` brackets are allowed around an IPv6 literal. */
export function hostNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty'
  if (name.length > MAX_NAME) return `it is longer than ${MAX_NAME} characters`
  const inner = /^\[([0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?)\]$/.exec(name)?.[1] ?? name
  if (inner.startsWith('-')) return "it starts with '-', which ssh would read as an option"
  const bad = firstBad(inner, HOST_METACHARACTERS + HOST_PATTERN_CHARACTERS)
  if (bad !== undefined) return `it holds ${describe(bad)}, which a shell would interpret`
  if (inner.includes('@')) return "it holds '@' (a user name goes before the last '@' only)"
  return undefined
}

/** Why `name` cannot be a user name, or undefined when it can ('@' is fine: user@REALM). */
export function userNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty'
  if (name.length > MAX_NAME) return `it is longer than ${MAX_NAME} characters`
  if (name.startsWith('-')) return "it starts with '-', which ssh would read as an option"
  const bad = firstBad(name, USER_METACHARACTERS)
  if (bad !== undefined) return `it holds ${describe(bad)}, which a shell would interpret`
  return undefined
}

/** `user@host` as ssh splits it: the user is everything before the last '@'. */
export function splitUserHost(name: string): {user?: string; host: string} {
  const at = name.lastIndexOf('@')
  return at > 0 ? {user: name.slice(0, at), host: name.slice(at + 1)} : {host: name}
}

/** A host entry as the conf files write it (`host` or `user@host`): the first problem, naming which part. */
export function hostEntryProblem(entry: string): string | undefined {
  if (entry.startsWith('@')) return "it starts with '@' (no user name before it)"
  const {user, host} = splitUserHost(entry)
  if (user !== undefined) {
    const u = userNameProblem(user)
    if (u) return `its user name '${printable(user)}' is not valid: ${u}`
  }
  const h = hostNameProblem(host)
  return h ? `${user !== undefined ? `its host part '${printable(host)}' is not valid: ` : ''}${h}` : undefined
}

/** A name as it can be shown safely on a terminal: control characters escaped, long names cut. */
export function printable(name: string): string {
  const shown = name.length > 80 ? `${name.slice(0, 77)}...` : name
  return shown.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

/**
 * FLINK_IDENT_STRING (--user, $USER): it names pid and log files (`flink-<ident>-<daemon>.pid`),
 * so besides what a user name may not hold it must not hold '/', which would leave the folder.
 */
export function identProblem(ident: string): string | undefined {
  if (ident.includes('/')) return "it holds '/', which would put the pid and log files outside their folder"
  return userNameProblem(ident)
}
