// The POSIX sh programs flinkctl sends to a host to start, stop and inspect Flink daemons.
// One program per action, dash-compatible (no locals, no arrays, fds 0-9); every value from
// TypeScript is embedded through quoteArg. Output is one tab-separated record per line, parsed
// in daemon.ts. Shell names start with fc_ because POSIX sh functions share one namespace.
import {posix} from 'node:path'
import {quoteArg} from '../launch/shell.ts'

/**
 * Functions every action shares. Escapes: `\${` is a shell expansion, `\\t` a printf tab.
 *
 * Identification: a pid is "running" only if a process (not a thread, not a zombie) has that id
 * AND its command line holds the daemon's main class as a separate word; alive with another
 * command line is "foreign" (a reused pid, never signalled); gone is "stale".
 */
export const PRELUDE = `set -f
fc_proc=
[ -z "\${FLINKCTL_DAEMON_NO_PROC:-}" ] && [ -r /proc/self/stat ] && fc_proc=1
fc_hz=
fc_el=0

fc_trim() {
  fc_t=$1
  fc_t=\${fc_t#"\${fc_t%%[![:space:]]*}"}
  fc_t=\${fc_t%"\${fc_t##*[![:space:]]}"}
}

fc_tick() {
  if sleep 0.1 2>/dev/null; then fc_el=$((fc_el + 100)); else sleep 1; fc_el=$((fc_el + 1000)); fi
}

# A process with this id exists: not a zombie (a dead daemon whose parent never reaps it),
# and not a thread (/proc/<tid> resolves too, and a JVM has many threads).
fc_alive() {
  fc_ap=$1
  if [ -n "$fc_proc" ]; then
    fc_as=
    { read -r fc_as < "/proc/$fc_ap/stat"; } 2>/dev/null
    [ -n "$fc_as" ] || return 1
    fc_as=\${fc_as##*") "}
    case $fc_as in Z*|X*|x*) return 1;; esac
    fc_ag=
    { while IFS= read -r fc_ag; do case $fc_ag in Tgid:*) break;; esac; done < "/proc/$fc_ap/status"; } 2>/dev/null
    set -- \${fc_ag#Tgid:}
    [ "\${1:-}" = "$fc_ap" ]
    return
  fi
  fc_as=$(ps -o stat= -p "$fc_ap" 2>/dev/null </dev/null) || return 1
  fc_trim "$fc_as"
  case $fc_t in ''|Z*) return 1;; esac
  return 0
}

# fc_c := the command line of process $1, arguments joined by spaces.
fc_cmd() {
  if [ -n "$fc_proc" ]; then
    fc_c=$( { tr '\\0' ' ' < "/proc/$1/cmdline"; } 2>/dev/null )
  else
    fc_c=$(ps -ww -o args= -p "$1" 2>/dev/null </dev/null)
  fi
}

# fc_st := running | foreign | stale | invalid for pid-file entry $1; fc_c := its command line.
fc_state() {
  fc_c=
  case $1 in ''|0*|*[!0-9]*) fc_st=invalid; return;; esac
  if ! fc_alive "$1"; then fc_st=stale; return; fi
  fc_cmd "$1"
  case " $fc_c " in
    *" $fc_cls "*) fc_st=running;;
    *) if [ -z "$fc_c" ] && ! fc_alive "$1"; then fc_st=stale; else fc_st=foreign; fi;;
  esac
}

# fc_lf := the -Dlog.file of command line fc_c (empty when absent).
fc_logfile() {
  fc_lf=
  case " $fc_c " in *" -Dlog.file="*) fc_lf=\${fc_c#*-Dlog.file=}; fc_lf=\${fc_lf%% *};; esac
}

fc_fail() {
  if [ -n "\${fc_human:-}" ]; then printf 'flinkctl: %s\\n' "$2" >&2; else printf 'error\\t%s\\t%s\\n' "$1" "$2"; fi
  exit "$3"
}

# Serializes with flink-daemon.sh and flink-console.sh: they flock the pid DIRECTORY (opened on
# fd 200, which dash cannot use; the lock belongs to the directory, so fd 9 excludes them just
# the same). Without flock (stock macOS) there is no lock, as with Flink's scripts.
fc_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  [ -d "$fc_piddir" ] && [ -r "$fc_piddir" ] || fc_fail lock "cannot open the pid directory $fc_piddir" 3
  exec 9<"$fc_piddir"
  flock -w "$fc_lockwait" 9 || fc_fail lock "no lock on $fc_piddir within $fc_lockwait s: another start or stop holds it" 3
}
fc_unlock() { exec 9<&-; }

# Rewrites the pid file with the pids in fc_keep, oldest first; no file when none is left (as
# Flink's stop does). The temp name is ours: Flink's stop-all renames the file to <pid file>.tmp.
fc_write_pids() {
  if [ -z "$fc_keep" ]; then rm -f -- "$fc_pidfile"; return; fi
  for fc_w in $fc_keep; do echo "$fc_w"; done > "$fc_pidfile.fc$$" && mv -f -- "$fc_pidfile.fc$$" "$fc_pidfile"
}

# Under the lock: classifies every pid-file line, prints a "drop" record for each entry that is
# not a running instance (stale, foreign, invalid, duplicate) and rewrites the file without them.
# fc_keep := running pids in file order; fc_cmd_<pid>, fc_line_<pid> := command line, line number.
fc_scan() {
  fc_keep=
  fc_changed=
  fc_ln=0
  [ -f "$fc_pidfile" ] || return 0
  while IFS= read -r fc_l || [ -n "$fc_l" ]; do
    fc_trim "$fc_l"
    fc_e=$fc_t
    if [ -z "$fc_e" ]; then fc_changed=1; continue; fi
    fc_ln=$((fc_ln + 1))
    fc_state "$fc_e"
    if [ "$fc_st" = running ]; then
      case " $fc_keep " in
        *" $fc_e "*) fc_changed=1; printf 'drop\\t%s\\tduplicate\\t%s\\n' "$fc_ln" "$fc_e";;
        *) fc_keep="$fc_keep $fc_e"; eval "fc_cmd_$fc_e=\\$fc_c; fc_line_$fc_e=$fc_ln";;
      esac
    else
      fc_changed=1
      printf 'drop\\t%s\\t%s\\t%s\\n' "$fc_ln" "$fc_st" "$fc_e"
    fi
  done < "$fc_pidfile"
  [ -z "$fc_changed" ] || fc_write_pids
}

# Under the lock: removes the given pids from the pid file unless they run as this daemon (a pid
# line goes only once its process is gone). Lines added meanwhile stay.
fc_forget() {
  fc_gone=
  for fc_f in "$@"; do
    fc_state "$fc_f"
    [ "$fc_st" = running ] || fc_gone="$fc_gone $fc_f"
  done
  [ -n "$fc_gone" ] && [ -f "$fc_pidfile" ] || return 0
  fc_keep=
  while IFS= read -r fc_l || [ -n "$fc_l" ]; do
    fc_trim "$fc_l"
    case " $fc_gone " in *" $fc_t "*) continue;; esac
    [ -z "$fc_t" ] || fc_keep="$fc_keep $fc_t"
  done < "$fc_pidfile"
  fc_write_pids
}

# fc_n := the lowest instance index that no running instance logs to (its command line carries
# -Dlog.file=<head><n>-<host>.log) and that this run has not handed out yet.
fc_pick() {
  fc_n=0
  while :; do
    fc_free=1
    case " $fc_taken " in *" $fc_n "*) fc_free=;; esac
    if [ -n "$fc_free" ]; then
      for fc_k in $fc_keep; do
        eval "fc_c=\\$fc_cmd_$fc_k"
        case " $fc_c " in *" -Dlog.file=$fc_head$fc_n-$fc_host.log "*) fc_free=; break;; esac
      done
    fi
    [ -z "$fc_free" ] || break
    fc_n=$((fc_n + 1))
  done
  fc_taken="$fc_taken $fc_n"
}

# $1 = path, $2 = content: the file is replaced whole or not at all.
fc_put() {
  mkdir -p -- "$(dirname -- "$1")" && printf '%s' "$2" > "$1.fc$$" && mv -f -- "$1.fc$$" "$1" || fc_fail file "cannot write $1" 4
}

fc_dirs() {
  for fc_d in "$@"; do
    mkdir -p -- "$fc_d" 2>/dev/null && [ -w "$fc_d" ] || fc_fail dir "$fc_d is not a writable directory" 4
  done
}
`

/**
 * start and stop run to their end even when flinkctl dies: its death closes our stdout, and the
 * next record printed would raise SIGPIPE (sshd sends no SIGHUP without a pty; a wrapper may).
 * Dying there would leave a launched JVM unrecorded, or a dead one recorded, or a pid line whose
 * process was stopped. Not in PRELUDE: start-foreground's JVM must keep SIGHUP.
 */
const NO_HANGUP = `trap '' HUP PIPE`

/** Values the host side needs for any action on one pid file. */
interface PidFileVars {
  pidFile: string
  mainClass: string
  lockWaitMs: number
}

function vars(v: PidFileVars): string {
  return [
    `fc_pidfile=${quoteArg(v.pidFile)}`,
    `fc_piddir=${quoteArg(posix.dirname(v.pidFile))}`,
    `fc_cls=${quoteArg(v.mainClass)}`,
    // flock -w takes fractional seconds
    `fc_lockwait=${Math.max(0.1, v.lockWaitMs / 1000).toFixed(1)}`,
  ].join('\n')
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Long values (the classpath) are written once as a variable: Linux caps one argument at 128 KiB. */
class Hoister {
  readonly lines: string[] = []
  readonly #names = new Map<string, string>()
  name(value: string): string {
    let n = this.#names.get(value)
    if (!n) {
      n = `fc_v${this.#names.size}`
      this.#names.set(value, n)
      this.lines.push(`${n}=${quoteArg(value)}`)
    }
    return n
  }
}

/**
 * One argv element as shell text: the bastion's log prefix (which also sits inside java options
 * through FLINK_LOG_PREFIX) becomes "$fc_p", the prefix decided on the host.
 */
function word(value: string, prefix: string, hoist: Hoister): string {
  if (prefix !== '' && value.includes(prefix)) {
    return value.split(prefix).map((part) => (part === '' ? '' : quoteArg(part))).join('"$fc_p"')
  }
  if (value.length > 512) return `"$${hoist.name(value)}"`
  return quoteArg(value)
}

export interface ScriptPlan {
  argv: readonly string[]
  /** The log prefix as the plan was built on the bastion: logFile without `.log`. */
  prefix: string
  env: Readonly<Record<string, string>>
  files: ReadonlyArray<{path: string; content: string}>
  /** Word sequences a running instance's command line must contain to count as this plan's. */
  tokens: readonly string[]
}

export interface StartScriptInput extends PidFileVars {
  logDir: string
  /** `<logDir>/flink-<ident>-<daemon>-`; the instance index and `-<hostname>` follow. */
  head: string
  plans: readonly ScriptPlan[]
  verifyMs: number
}

function command(plan: ScriptPlan, hoist: Hoister): string {
  const env = Object.entries(plan.env).map(([k, v]) => {
    if (!ENV_NAME.test(k)) throw new Error(`not an environment variable name: ${k}`)
    return `${k}=${word(v, plan.prefix, hoist)}`
  })
  return [...env, 'nohup', ...plan.argv.map((a) => word(a, plan.prefix, hoist))].join(' ')
}

function matcher(i: number, tokens: readonly string[]): string {
  if (tokens.length === 0) return `fc_match_${i}() { :; }`
  const cases = tokens.map((t) => `  case " $1 " in *" "${quoteArg(t)}" "*) ;; *) return 1;; esac`)
  return [`fc_match_${i}() {`, ...cases, '}'].join('\n')
}

/**
 * start: under the lock, prune the pid file, let running instances satisfy the plans (each at
 * most one, plans with identity tokens first), write the files of the rest, launch each with
 * nohup in the background and append its pid, then watch the new processes for verifyMs.
 *
 * Output: `host <hostname>`, `drop <line> <state> <raw>`, `already <plan> <pid> <line>`,
 * `started <plan> <pid> <index> alive|dead`, `out <plan> <line of the .out tail>`, `error <what> <message>`.
 */
export function startScript(input: StartScriptInput): string {
  const hoist = new Hoister()
  const plans = input.plans.map((p, i) => ({i, p, cmd: command(p, hoist)}))
  const claimOrder = [...plans].sort((a, b) => Number(b.p.tokens.length > 0) - Number(a.p.tokens.length > 0))
  const out: string[] = [
    PRELUDE,
    NO_HANGUP,
    vars(input),
    `fc_head=${quoteArg(input.head)}`,
    ...hoist.lines,
    `fc_host=$(uname -n 2>/dev/null || hostname)`,
    `printf 'host\\t%s\\n' "$fc_host"`,
    `fc_dirs "$fc_piddir" ${quoteArg(input.logDir)}`,
    'fc_lock',
    'fc_scan',
    `fc_claimed=
fc_claim() {
  fc_sat=
  for fc_k in $fc_keep; do
    case " $fc_claimed " in *" $fc_k "*) continue;; esac
    eval "fc_c=\\$fc_cmd_$fc_k"
    if "$1" "$fc_c"; then fc_sat=$fc_k; fc_claimed="$fc_claimed $fc_k"; return 0; fi
  done
  return 1
}
fc_record() {
  echo "$2" >> "$fc_pidfile" || { kill -s KILL "$2" 2>/dev/null; fc_fail pidfile "cannot append to $fc_pidfile" 4; }
  fc_new="$fc_new $1:$2:$fc_n"
}
fc_new=
fc_taken=`,
  ]
  for (const {i, p} of plans) out.push(matcher(i, p.tokens), `fc_sat_${i}=`)
  for (const {i} of claimOrder) out.push(`fc_claim fc_match_${i} && fc_sat_${i}=$fc_sat`)
  // every file before any launch, so that a failed write starts nothing
  for (const {i, p} of plans) {
    if (p.files.length === 0) continue
    out.push(`if [ -z "$fc_sat_${i}" ]; then`, ...p.files.map((f) => `  fc_put ${quoteArg(f.path)} ${quoteArg(f.content)}`), 'fi')
  }
  for (const {i, cmd} of plans) {
    out.push(`if [ -n "$fc_sat_${i}" ]; then
  eval "fc_l=\\$fc_line_$fc_sat_${i}"
  printf 'already\\t${i}\\t%s\\t%s\\n' "$fc_sat_${i}" "$fc_l"
else
  fc_pick
  fc_p=$fc_head$fc_n-$fc_host
  ${cmd} > "$fc_p.out" 2>&1 < /dev/null 9<&- &
  fc_record ${i} $!
fi`)
  }
  // Still under the lock: a second start must not see a child that has not exec'd java yet.
  out.push(`fc_until=${Math.max(0, Math.round(input.verifyMs))}
while [ -n "$fc_new" ]; do
  fc_up=
  for fc_x in $fc_new; do fc_q=\${fc_x#*:}; if fc_alive "\${fc_q%%:*}"; then fc_up=1; break; fi; done
  [ -n "$fc_up" ] && [ "$fc_el" -lt "$fc_until" ] || break
  fc_tick
done
fc_dead=
for fc_x in $fc_new; do
  fc_i=\${fc_x%%:*}; fc_q=\${fc_x#*:}; fc_n=\${fc_q#*:}; fc_q=\${fc_q%%:*}
  if fc_alive "$fc_q"; then
    printf 'started\\t%s\\t%s\\t%s\\talive\\n' "$fc_i" "$fc_q" "$fc_n"
  else
    printf 'started\\t%s\\t%s\\t%s\\tdead\\n' "$fc_i" "$fc_q" "$fc_n"
    fc_dead="$fc_dead $fc_q"
    tail -n 20 "$fc_head$fc_n-$fc_host.out" 2>/dev/null | cut -c 1-2000 | while IFS= read -r fc_l || [ -n "$fc_l" ]; do
      printf 'out\\t%s\\t%s\\n' "$fc_i" "$fc_l"
    done
  fi
done
[ -z "$fc_dead" ] || fc_forget $fc_dead`)
  return `${out.join('\n')}\n`
}

export interface StopScriptInput extends PidFileVars {
  all: boolean
  graceMs: number
  killWaitMs: number
}

/**
 * stop / stop-all: under the lock, prune the pid file and pick the targets (the newest running
 * instance, or all); without the lock, SIGTERM them all at once, wait up to graceMs, SIGKILL the
 * ones still running (identified again first: the pid may have been reused meanwhile), wait up to
 * killWaitMs; then, under the lock again, remove the lines of the processes that are gone.
 *
 * Output: `drop …` as for start, `stopped <pid> <line> TERM|KILL <waited ms>`,
 * `gone <pid> <line>` (exited before the signal), `failed <pid> <line> <reason>`.
 */
export function stopScript(input: StopScriptInput): string {
  return `${PRELUDE}
${NO_HANGUP}
${vars(input)}
fc_await() {
  while :; do
    fc_left=
    for fc_q in $fc_pend; do
      if fc_alive "$fc_q"; then fc_left="$fc_left $fc_q"; continue; fi
      eval "fc_ln=\\$fc_line_$fc_q"
      printf 'stopped\\t%s\\t%s\\t%s\\t%s\\n' "$fc_q" "$fc_ln" "$1" "$fc_el"
      fc_gone_all="$fc_gone_all $fc_q"
    done
    fc_pend=$fc_left
    [ -n "$fc_pend" ] && [ "$fc_el" -lt "$2" ] || break
    fc_tick
  done
}
[ -f "$fc_pidfile" ] || exit 0
fc_lock
fc_scan
fc_targets=
if [ ${input.all ? 1 : 0} = 1 ]; then fc_targets=$fc_keep; else for fc_q in $fc_keep; do fc_targets=$fc_q; done; fi
fc_unlock
fc_pend=
fc_gone_all=
for fc_q in $fc_targets; do
  eval "fc_ln=\\$fc_line_$fc_q"
  if fc_m=$(kill -s TERM "$fc_q" 2>&1); then
    fc_pend="$fc_pend $fc_q"
  elif fc_alive "$fc_q"; then
    printf 'failed\\t%s\\t%s\\tSIGTERM refused: %s\\n' "$fc_q" "$fc_ln" "$fc_m"
  else
    printf 'gone\\t%s\\t%s\\n' "$fc_q" "$fc_ln"
    fc_gone_all="$fc_gone_all $fc_q"
  fi
done
fc_await TERM ${Math.max(0, Math.round(input.graceMs))}
fc_kill=
for fc_q in $fc_pend; do
  fc_state "$fc_q"
  eval "fc_ln=\\$fc_line_$fc_q"
  if [ "$fc_st" != running ]; then
    printf 'stopped\\t%s\\t%s\\tTERM\\t%s\\n' "$fc_q" "$fc_ln" "$fc_el"
    fc_gone_all="$fc_gone_all $fc_q"
  elif fc_m=$(kill -s KILL "$fc_q" 2>&1); then
    fc_kill="$fc_kill $fc_q"
  else
    printf 'failed\\t%s\\t%s\\tSIGKILL refused: %s\\n' "$fc_q" "$fc_ln" "$fc_m"
  fi
done
fc_pend=$fc_kill
fc_await KILL $((fc_el + ${Math.max(0, Math.round(input.killWaitMs))}))
for fc_q in $fc_pend; do
  eval "fc_ln=\\$fc_line_$fc_q"
  printf 'failed\\t%s\\t%s\\tstill running after SIGKILL\\n' "$fc_q" "$fc_ln"
done
if [ -n "$fc_gone_all" ]; then
  fc_lock
  fc_forget $fc_gone_all
  fc_unlock
fi
`
}

export interface ForegroundScriptInput extends PidFileVars {
  logDir: string
  head: string
  plan: ScriptPlan
}

/**
 * start-foreground, run as `sh -c <script> sh <main class>` with the terminal's stdio: prune the pid
 * file and append $$ under the lock, release it, then exec java (so $$ is the JVM's pid). The main
 * class as $1 makes the shell identifiable as this daemon for the moment before the exec.
 * Messages go to stderr; nothing is printed on success.
 */
export function foregroundScript(input: ForegroundScriptInput): string {
  const hoist = new Hoister()
  const {plan} = input
  const exports = Object.entries(plan.env).map(([k, v]) => {
    if (!ENV_NAME.test(k)) throw new Error(`not an environment variable name: ${k}`)
    return `export ${k}=${word(v, plan.prefix, hoist)}`
  })
  const argv = plan.argv.map((a) => word(a, plan.prefix, hoist)).join(' ')
  return `${PRELUDE}
fc_human=1
${vars(input)}
fc_cls=$1
fc_head=${quoteArg(input.head)}
${hoist.lines.join('\n')}
fc_host=$(uname -n 2>/dev/null || hostname)
fc_dirs "$fc_piddir" ${quoteArg(input.logDir)}
fc_lock
fc_scan >/dev/null
fc_taken=
fc_pick
fc_p=$fc_head$fc_n-$fc_host
${plan.files.map((f) => `fc_put ${quoteArg(f.path)} ${quoteArg(f.content)}`).join('\n')}
echo $$ >> "$fc_pidfile" || fc_fail pidfile "cannot append to $fc_pidfile" 4
fc_unlock
${exports.join('\n')}
exec ${argv}
`
}

/** Removes the given pids from the pid file under the lock, unless they still run as the daemon. */
export function forgetScript(input: PidFileVars & {pids: readonly number[]}): string {
  return `${PRELUDE}
${vars(input)}
[ -f "$fc_pidfile" ] || exit 0
fc_lock
fc_forget ${input.pids.map((p) => String(Math.trunc(p))).join(' ')}
`
}
