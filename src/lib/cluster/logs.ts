/**
 * Flink's daemon logs on a host: list them, read their last lines, follow them. Names follow
 * flink-daemon.sh: `flink-<ident>-<daemon>-<n>-<hostname>.{log,out}` in the log dir, `.log.N`
 * for log4j's rotated copies (`.err` from flink-console.sh too). Library code: no printing.
 */
import {randomBytes} from 'node:crypto'
import {isSecretKey, REDACTED} from '../conf/keys.ts'
import {DAEMON_TYPES, type DaemonType} from '../launch/plan.ts'
import {assertOk, HostError, type Host} from '../remote/host.ts'
import {redactInline} from '../conf/redact.ts'

export type LogKind = 'log' | 'out' | 'err'

export interface LogFile {
  /** The Host's name (as the conf files name it): what the command layer prefixes lines with. */
  host: string
  /** Absolute path on that host. */
  path: string
  /** Base name. */
  name: string
  ident: string
  daemon: DaemonType
  /** Instance index on its host (the n in the name). */
  index: number
  /** The hostname written in the name ($HOSTNAME of the machine that started the daemon). */
  fileHost: string
  /** fileHost is this host's own name (a shared log dir also holds other machines' files). */
  thisHost: boolean
  kind: LogKind
  /** N of a rotated `.log.N` copy. */
  rotation?: number
  size: number
  /** Undefined when the host has neither GNU nor BSD stat. */
  mtimeMs?: number
}

export interface ListLogsOptions {
  logDir: string
  /** FLINK_IDENT_STRING; all idents when absent. */
  ident?: string
  daemons?: readonly DaemonType[]
  /** Include rotated copies (`.log.1` …). */
  rotated?: boolean
  timeoutMs?: number
}

const NAME = new RegExp(`^flink-(.+?)-(${DAEMON_TYPES.join('|')})-(\\d+)-(.+)\\.(log|out|err)(?:\\.(\\d+))?$`)

/** The parts of a Flink daemon log file name, or undefined when it is not one. */
export function parseLogName(name: string): {ident: string; daemon: DaemonType; index: number; fileHost: string; kind: LogKind; rotation?: number} | undefined {
  const m = NAME.exec(name)
  if (!m) return undefined
  return {
    ident: m[1]!, daemon: m[2] as DaemonType, index: Number(m[3]), fileHost: m[4]!, kind: m[5] as LogKind,
    ...(m[6] === undefined ? {} : {rotation: Number(m[6])}),
  }
}

/** Prints `H <uname -n>`, then `L size mtime|- name` for every regular file dir/<prefix>*. */
const LIST_SH = `
dir=$1; pre=$2
printf 'H %s\\n' "$(uname -n 2>/dev/null || hostname 2>/dev/null)"
[ -d "$dir" ] || exit 0
if stat -c '%s %Y' / >/dev/null 2>&1; then st() { stat -c '%s %Y' -- "$1"; }
elif stat -f '%z %m' / >/dev/null 2>&1; then st() { stat -f '%z %m' -- "$1"; }
else st() { printf '%s -\\n' "$(wc -c < "$1" | tr -d ' ')"; }
fi
for f in "$dir/$pre"*; do
  if [ -f "$f" ]; then printf 'L %s %s\\n' "$(st "$f")" "\${f##*/}"; fi
done
exit 0
`

const sameHost = (a: string, b: string): boolean => a === b || a.split('.')[0] === b.split('.')[0]

/** The Flink log files in logDir on the host, in one round trip; sorted by daemon, index, kind, rotation. */
export async function listLogs(host: Host, opts: ListLogsOptions): Promise<LogFile[]> {
  const dir = opts.logDir.replace(/(.)\/+$/, '$1')
  const r = assertOk(host, `listing ${dir}`, await host.sh(LIST_SH, [dir, opts.ident === undefined ? 'flink-' : `flink-${opts.ident}-`], {timeoutMs: opts.timeoutMs}))
  let hostname = ''
  const files: LogFile[] = []
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('H ')) hostname = line.slice(2).trim()
    const m = /^L (\d+) (\d+|-) (.*)$/.exec(line)
    if (!m) continue
    const name = m[3]!
    const p = parseLogName(name)
    if (!p) continue
    if (opts.ident !== undefined && p.ident !== opts.ident) continue
    if (opts.daemons && !opts.daemons.includes(p.daemon)) continue
    if (p.rotation !== undefined && !opts.rotated) continue
    files.push({
      host: host.name, path: `${dir}/${name}`, name, ...p, thisHost: hostname !== '' && sameHost(p.fileHost, hostname),
      size: Number(m[1]), ...(m[2] === '-' ? {} : {mtimeMs: Number(m[2]) * 1000}),
    })
  }
  const kindOrder: Record<LogKind, number> = {log: 0, out: 1, err: 2}
  return files.sort((a, b) => a.daemon.localeCompare(b.daemon) || a.ident.localeCompare(b.ident) || a.index - b.index ||
    a.fileHost.localeCompare(b.fileHost) || kindOrder[a.kind] - kindOrder[b.kind] || (a.rotation ?? 0) - (b.rotation ?? 0))
}

/** A LogFile for a path given by hand (fields parsed from the name when it is a Flink name). */
export function logFileAt(host: Host | string, path: string): LogFile {
  const name = path.slice(path.lastIndexOf('/') + 1)
  const p = parseLogName(name)
  return {
    host: typeof host === 'string' ? host : host.name, path, name, size: 0, thisHost: true,
    ident: p?.ident ?? '', daemon: p?.daemon ?? 'standalonesession', index: p?.index ?? 0, fileHost: p?.fileHost ?? '', kind: p?.kind ?? 'log',
    ...(p?.rotation === undefined ? {} : {rotation: p.rotation}),
  }
}

// ---------------------------------------------------------------------------------------------
// Secrets in log lines

const FLINK_CONF_LINE = /(configuration property: )([^,\s]+)(, )(.*)$/

/**
 * A log line with secret values replaced: Flink's `Loading configuration property: key, value`
 * (Flink hides only its own shorter list of sensitive keys), `-Dkey=value`, `key: value` and URL passwords.
 */
export function redactLogLine(line: string): string {
  const m = FLINK_CONF_LINE.exec(line)
  if (m && isSecretKey(m[2]!)) line = `${line.slice(0, m.index)}${m[1]}${m[2]}${m[3]}${REDACTED}`
  return redactInline(line)
}

// ---------------------------------------------------------------------------------------------
// Tail

export interface TailResult {
  file: LogFile
  lines: string[]
  /** Set when the file could not be read. */
  error?: string
}

/** Args: lines marker paths…  Each file's tail framed by `<marker> <i>` and `\n<marker> end <i> <0|1>`. */
const TAIL_SH = `
n=$1; m=$2; shift 2
i=0
for f in "$@"; do
  printf '%s %s\\n' "$m" "$i"
  if [ -f "$f" ] && [ -r "$f" ]; then tail -n "$n" -- "$f"; rc=$?; else rc=1; fi
  printf '\\n%s end %s %s\\n' "$m" "$i" "$rc"
  i=$((i + 1))
done
exit 0
`

/** The last `lines` lines of each file, in one round trip; secrets redacted unless redact is false. */
export async function tailLogs(host: Host, files: readonly (LogFile | string)[], opts: {lines: number; redact?: boolean; timeoutMs?: number}): Promise<TailResult[]> {
  const list = files.map((f) => (typeof f === 'string' ? logFileAt(host, f) : f))
  if (list.length === 0) return []
  const marker = `@flinkctl-${randomBytes(12).toString('hex')}`
  const r = assertOk(host, 'reading logs', await host.sh(TAIL_SH, [String(Math.max(0, Math.floor(opts.lines))), marker, ...list.map((f) => f.path)], {timeoutMs: opts.timeoutMs}))
  const redact = opts.redact ?? true
  return list.map((file, i) => {
    const start = r.stdout.indexOf(`${marker} ${i}\n`)
    const endRe = new RegExp(`\n${marker} end ${i} (\\d+)\n`)
    const end = endRe.exec(r.stdout.slice(start))
    if (start < 0 || !end) throw new HostError(host.name, `reading ${file.path} on ${host.name} gave no answer`, {code: 'REMOTE_PROTOCOL'})
    if (end[1] !== '0') return {file, lines: [], error: `cannot read ${file.path}`}
    const body = r.stdout.slice(start + marker.length + String(i).length + 2, start + end.index)
    const lines = body === '' ? [] : body.replace(/\n$/, '').split('\n').map((l) => l.replace(/\r$/, ''))
    return {file, lines: redact ? lines.map(redactLogLine) : lines}
  })
}

// ---------------------------------------------------------------------------------------------
// Follow

export interface FollowOptions {
  /** Lines of history to print first (tail -n). */
  lines: number
  /** Ends the follow (and the remote tail). */
  signal?: AbortSignal
  onLine: (host: string, file: LogFile, line: string) => void
  /** tail's own messages (file truncated, replaced, not found yet…). */
  onNotice?: (host: string, message: string) => void
  redact?: boolean
  /** Default: no practical limit (24 days). */
  timeoutMs?: number
}

export interface FollowResult {
  host: string
  /** Ended by the signal (the normal way). */
  aborted: boolean
  code: number | null
}

/**
 * Args: lines paths…  Runs `tail -F` (`tail -f` where -F is refused) in the background and
 * writes a NUL to stderr every second: over SSH, closing the channel does not signal the remote
 * shell, and a quiet log would keep tail alive for ever; the failed write is how we notice.
 */
const FOLLOW_SH = `
n=$1; shift
t=
stop() { if [ -n "$t" ]; then kill "$t" 2>/dev/null; fi; exit 0; }
trap stop HUP INT TERM PIPE
run() {
  flag=$1; shift
  tail -n "$n" "$flag" -- "$@" &
  t=$!
  while kill -0 "$t" 2>/dev/null; do
    sleep 1
    printf '\\000' >&2 || stop
  done
  wait "$t"
}
run -F "$@"; rc=$?
case $rc in 1|2) run -f "$@"; rc=$? ;; esac
exit $rc
`

/**
 * Splits a stream of chunks into lines, correctly across chunk boundaries, and attributes them
 * to files. With several files, tail announces each switch with `==> path <==` (preceded by a
 * blank line except the first time); those headers and their blank lines are not log lines.
 */
export class LogLineSplitter {
  readonly #files: readonly LogFile[]
  readonly #emit: (file: LogFile, line: string) => void
  readonly #headers: Map<string, LogFile> | undefined
  #current: LogFile
  #partial = ''
  #pendingBlank = false

  constructor(files: readonly LogFile[], emit: (file: LogFile, line: string) => void) {
    if (files.length === 0) throw new Error('no files')
    this.#files = files
    this.#emit = emit
    this.#current = files[0]!
    this.#headers = files.length > 1 ? new Map(files.map((f) => [`==> ${f.path} <==`, f])) : undefined
  }

  push(chunk: string): void {
    const parts = (this.#partial + chunk).split('\n')
    this.#partial = parts.pop()!
    for (const p of parts) this.#line(p.endsWith('\r') ? p.slice(0, -1) : p)
  }

  /** Emits what is left (a last line without newline). */
  end(): void {
    if (this.#pendingBlank) this.#emit(this.#current, '')
    this.#pendingBlank = false
    if (this.#partial !== '') this.#emit(this.#current, this.#partial)
    this.#partial = ''
  }

  #line(line: string): void {
    if (this.#headers) {
      const f = this.#headers.get(line)
      if (f) {
        this.#pendingBlank = false // the blank line tail put before the header
        this.#current = f
        return
      }
      if (this.#pendingBlank) this.#emit(this.#current, '')
      this.#pendingBlank = line === ''
      if (this.#pendingBlank) return
    }
    this.#emit(this.#current, line)
  }

  get files(): readonly LogFile[] {
    return this.#files
  }
}

/**
 * Follows the files on one host until the signal aborts (resolves with aborted: true) or the
 * remote tail ends. Lines reach onLine with the host name and the file (daemon, kind, path).
 */
export async function followLogs(host: Host, files: readonly (LogFile | string)[], opts: FollowOptions): Promise<FollowResult> {
  const list = files.map((f) => (typeof f === 'string' ? logFileAt(host, f) : f))
  if (list.length === 0 || opts.signal?.aborted) return {host: host.name, aborted: opts.signal?.aborted ?? false, code: null}
  const redact = opts.redact ?? true
  const splitter = new LogLineSplitter(list, (file, line) => opts.onLine(host.name, file, redact ? redactLogLine(line) : line))
  let notice = ''
  const onStderr = (chunk: string) => {
    notice += chunk.replaceAll('\0', '')
    const parts = notice.split('\n')
    notice = parts.pop()!
    for (const p of parts) if (p.trim() !== '') opts.onNotice?.(host.name, p)
  }
  const r = await host.sh(FOLLOW_SH, [String(Math.max(0, Math.floor(opts.lines))), ...list.map((f) => f.path)], {
    signal: opts.signal, timeoutMs: opts.timeoutMs ?? 2_147_483_647, discardOutput: true,
    onStdout: (c) => splitter.push(c), onStderr,
  })
  splitter.end()
  if (notice.trim() !== '') opts.onNotice?.(host.name, notice)
  const aborted = opts.signal?.aborted ?? false
  if (!aborted && r.code !== 0) assertOk(host, `following ${list.map((f) => f.path).join(', ')}`, r)
  return {host: host.name, aborted, code: r.code}
}
