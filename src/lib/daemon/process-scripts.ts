// The host-side programs that find and signal Flink's processes: daemon status (pid files
// against the process table) and the drill's process list and signal, one /proc scan each.
import {quoteArg} from '../launch/shell.ts'
import {PRELUDE} from './scripts.ts'

/**
 * Finding the processes that run a class, shared by status and the drill's process list:
 * uptime, owner, shells to skip, and the candidates (one /proc scan for every class, then per class).
 */
const PROCESSES = `fc_uid=
# seconds since process $1 started (or ps's etime text)
fc_etime() {
  fc_u=
  if [ -n "$fc_proc" ]; then
    fc_es=
    { read -r fc_es < "/proc/$1/stat"; } 2>/dev/null
    set -- \${fc_es##*") "}
    if [ $# -ge 20 ]; then
      shift 19
      [ -n "$fc_hz" ] || fc_hz=$(getconf CLK_TCK 2>/dev/null)
      case $fc_hz in ''|*[!0-9]*) fc_hz=100;; esac
      read -r fc_up fc_ei < /proc/uptime
      # /proc/uptime has hundredths (12345.67); no leading zeros, or $(( )) reads octal
      fc_cs=\${fc_up%.*}\${fc_up#*.}
      fc_cs=\${fc_cs#"\${fc_cs%%[!0]*}"}
      fc_u=$(( (\${fc_cs:-0} * fc_hz / 100 - $1) / fc_hz ))
      [ "$fc_u" -ge 0 ] || fc_u=0
      return
    fi
  fi
  fc_u=$(ps -o etimes= -p "$1" 2>/dev/null </dev/null); fc_trim "$fc_u"; fc_u=$fc_t
  case $fc_u in
    ''|*[!0-9]*) fc_u=$(ps -o etime= -p "$1" 2>/dev/null </dev/null); fc_trim "$fc_u"; fc_u=$fc_t;;
  esac
}
fc_owner() {
  fc_o=
  if [ -n "$fc_proc" ]; then
    { while IFS= read -r fc_o; do case $fc_o in Uid:*) break;; esac; done < "/proc/$1/status"; } 2>/dev/null
    set -- $fc_o
    fc_o=\${2:-}
  else
    fc_o=$(ps -o uid= -p "$1" 2>/dev/null </dev/null); fc_trim "$fc_o"; fc_o=$fc_t
  fi
}
# a shell whose script text names the class (a start or status in flight) is no daemon
fc_isshell() {
  fc_w=\${1%% *}
  case \${fc_w##*/} in sh|-sh|bash|-bash|dash|-dash|ash|ksh|mksh|zsh|busybox|nohup) return 0;; esac
  return 1
}
# fc_procscan: one grep over /proc for every class at once (a grep per class costs a process each,
# and status runs on every host of the cluster). fc_all := "/proc/<pid>/cmdline:<class minus its
# first letter>" per match; fc_scanned := 1 when that list is complete. grep's own command line
# holds the patterns, but never the whole class as a word, so fc_state rejects it.
fc_procscan() {
  fc_all=
  fc_scanned=
  [ -n "$fc_proc" ] || return 0
  set +f
  fc_all=$(grep -aoHF "$@" /proc/[0-9]*/cmdline 2>/dev/null </dev/null)
  fc_rc=$?
  set -f
  # 1: no match; 0, or 2 with output (a process that ended mid-scan): the list stands.
  # 2 without output: maybe a grep without -a/-o; fc_candidates asks per class instead.
  case $fc_rc in 0|1) fc_scanned=1;; *) [ -z "$fc_all" ] || fc_scanned=1;; esac
}
fc_candidates() {
  fc_cands=
  if [ -n "$fc_scanned" ]; then
    for fc_m in $fc_all; do
      case $fc_m in
        *":\${fc_cls#?}")
          fc_q=\${fc_m#/proc/}; fc_q=\${fc_q%%/*}
          case " $fc_cands " in *" $fc_q "*) ;; *) fc_cands="$fc_cands $fc_q";; esac;;
      esac
    done
  elif [ -n "$fc_proc" ]; then
    # the class without its first letter: this grep's own command line must not match
    set +f
    fc_x=$(grep -lF -e "\${fc_cls#?}" /proc/[0-9]*/cmdline 2>/dev/null </dev/null)
    set -f
    for fc_q in $fc_x; do fc_q=\${fc_q#/proc/}; fc_cands="$fc_cands \${fc_q%/cmdline}"; done
  else
    fc_cands=$(ps -e -ww -o pid= -o args= 2>/dev/null </dev/null | while IFS= read -r fc_l; do
      case " $fc_l " in *" $fc_cls "*) set -- $fc_l; echo "$1";; esac
    done)
  fi
}`

/**
 * status, for several daemon types in one round trip, without the lock (read only).
 *
 * Output: `entry <spec> <line> <state> <uptime> <log file> <raw line>` per pid-file line, and
 * `unrecorded <spec> <pid> <uptime> <log file>` per process of this user that runs the daemon's
 * main class but is in no line. Uptime is seconds, or ps's `[[dd-]hh:]mm:ss` without /proc.
 */
export function statusScript(specs: ReadonlyArray<{pidFile: string; mainClass: string}>): string {
  const out = [PRELUDE, PROCESSES, `fc_status() {
  fc_rec=
  if [ -f "$fc_pidfile" ]; then
    fc_ln=0
    while IFS= read -r fc_l || [ -n "$fc_l" ]; do
      fc_trim "$fc_l"
      fc_raw=$fc_t
      [ -n "$fc_raw" ] || continue
      fc_ln=$((fc_ln + 1))
      fc_state "$fc_raw"
      fc_u=
      fc_lf=
      if [ "$fc_st" = running ]; then fc_etime "$fc_raw"; fc_logfile; fi
      printf 'entry\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$1" "$fc_ln" "$fc_st" "$fc_u" "$fc_lf" "$fc_raw"
      fc_rec="$fc_rec $fc_raw"
    done < "$fc_pidfile"
  fi
  fc_candidates
  for fc_q in $fc_cands; do
    [ "$fc_q" != "$$" ] || continue
    case " $fc_rec " in *" $fc_q "*) continue;; esac
    fc_state "$fc_q"
    [ "$fc_st" = running ] || continue
    ! fc_isshell "$fc_c" || continue
    [ -n "$fc_uid" ] || fc_uid=$(id -u)
    fc_owner "$fc_q"
    [ "$fc_o" = "$fc_uid" ] || continue
    fc_etime "$fc_q"
    fc_logfile
    printf 'unrecorded\\t%s\\t%s\\t%s\\t%s\\n' "$1" "$fc_q" "$fc_u" "$fc_lf"
  done
}`]
  out.push(`fc_procscan ${specs.map((s) => `-e ${quoteArg(s.mainClass.slice(1))}`).join(' ')}`)
  specs.forEach((s, i) => {
    out.push(`fc_pidfile=${quoteArg(s.pidFile)}`, `fc_cls=${quoteArg(s.mainClass)}`, `fc_status ${i}`)
  })
  return `${out.join('\n')}\n`
}

/**
 * The processes of this user that run a main class (by the same test as status: the class as a
 * word of the command line, no shell, no thread). Output: `proc <pid> <command line>` per process,
 * with ports also `port <pid> <hex port>` per listening TCP socket.
 */
export function processesScript(mainClass: string, opts: {ports?: boolean} = {}): string {
  // with ports: also 'port <pid> <hex port>' per TCP socket the process listens on, from
  // /proc/net/tcp{,6} and its fd links (one ls per process: a JVM holds hundreds of fds)
  const ports = opts.ports ? `
  [ -n "$fc_nets" ] || continue
  ls -l "/proc/$fc_q/fd" 2>/dev/null | awk -v pid="$fc_q" '
    FILENAME ~ /^\\/proc\\/net\\// { if (FNR > 1 && $4 == "0A") { n = split($2, a, ":"); port[$10] = a[n] }; next }
    match($0, /socket:\\[[0-9]+\\]/) { ino = substr($0, RSTART + 8, RLENGTH - 9); if (ino in port) printf "port\\t%s\\t%s\\n", pid, port[ino] }
  ' $fc_nets - 2>/dev/null` : ''
  return `${PRELUDE}${PROCESSES}
fc_nets=
${opts.ports ? 'for fc_f in /proc/net/tcp /proc/net/tcp6; do [ -r "$fc_f" ] && fc_nets="$fc_nets $fc_f"; done' : ''}
fc_cls=${quoteArg(mainClass)}
fc_procscan -e ${quoteArg(mainClass.slice(1))}
fc_candidates
for fc_q in $fc_cands; do
  [ "$fc_q" != "$$" ] || continue
  fc_state "$fc_q"
  [ "$fc_st" = running ] || continue
  ! fc_isshell "$fc_c" || continue
  [ -n "$fc_uid" ] || fc_uid=$(id -u)
  fc_owner "$fc_q"
  [ "$fc_o" = "$fc_uid" ] || continue
  printf 'proc\\t%s\\t%s\\n' "$fc_q" "$fc_c"${ports}
done
`
}

/**
 * Sends one signal to pid $1 only if it still runs the main class (checked in the same program,
 * just before the kill, so a pid reused since the caller looked is never signalled).
 * Output: `sent <epoch ms or empty>`, or `gone`/`foreign`, or `refused` (kill failed, e.g. EPERM).
 */
export function signalScript(mainClass: string, signal: 'KILL' | 'TERM' | 'STOP' | 'CONT'): string {
  return `${PRELUDE}fc_cls=${quoteArg(mainClass)}
fc_state "$1"
case $fc_st in
  running)
    fc_at=$(date +%s%3N 2>/dev/null); case $fc_at in *[!0-9]*) fc_at=;; esac
    if kill -s ${signal} "$1" 2>/dev/null; then printf 'sent\\t%s\\n' "$fc_at"; else fc_state "$1"; case $fc_st in running) echo refused;; *) printf '%s\\n' "$fc_st";; esac; fi;;
  *) printf '%s\\n' "$fc_st";;
esac
`
}
