// What preflight reads on a host, in one POSIX sh program per round trip. Every path and name
// goes in as a positional argument and comes back only as its index, so nothing from the conf
// is ever part of the script or of the parsing.

/** String.raw, with `\${` for the shell's own `${`. */
const raw = (t: TemplateStringsArray): string => t.raw.join('').replaceAll('\\${', '${')

/**
 * Arguments: `home=PATH`, `java=PATH-or-java`, then any number of `dir=PATH` and `name=HOST`
 * (reported by their order among their kind). Output: one tab-separated record per line.
 */
export const FACTS_SCRIPT = raw`
home=; java=java; dirs=0; names=0
# a stale NFS mount (df) or a slow resolver (getent) must not hold the whole probe
lim=; command -v timeout >/dev/null 2>&1 && lim='timeout 10'
for a do
  case $a in
    home=*) home=\${a#home=} ;;
    java=*) java=\${a#java=} ;;
  esac
done
printf 'uname\t%s\n' "$(uname -sm 2>/dev/null | tr '\t' ' ')"
case $java in */*) [ -f "$java" ] && [ -x "$java" ] ;; *) command -v "$java" >/dev/null 2>&1 ;; esac
if [ $? -eq 0 ]; then
  out=$("$java" -version 2>&1); rc=$?
  # JAVA_TOOL_OPTIONS and friends print "Picked up …" lines before the version
  printf '%s\n' "$out" | head -n 10 | while IFS= read -r l; do printf 'java\t%s\n' "$l"; done
  printf 'java-rc\t%s\n' "$rc"
else
  printf 'java-missing\n'
fi
if [ -z "$home" ]; then printf 'home\tno\n'
elif [ -d "$home/lib" ]; then
  printf 'home\tyes\n'
  if command -v sha256sum >/dev/null 2>&1; then sum=sha256sum
  elif command -v shasum >/dev/null 2>&1; then sum='shasum -a 256'
  else sum=; fi
  if [ -n "$sum" ]; then
    ( cd -- "$home/lib" && find -L . -type f -print | LC_ALL=C sort | while IFS= read -r f; do
        s=$(wc -c < "$f" | tr -d ' ')
        h=$($sum < "$f" | cut -d ' ' -f 1)
        printf 'lib\t%s\t%s\t%s\n' "$h" "$s" "\${f#./}"
      done )
  else
    printf 'lib-nosum\n'
  fi
elif [ -d "$home" ]; then printf 'home\tnolib\n'
else printf 'home\tno\n'; fi
for a do
  case $a in
    dir=*)
      d=\${a#dir=}
      while [ ! -d "$d" ]; do d=$(dirname -- "$d"); done
      w=no; [ -w "$d" ] && w=yes
      avail=$($lim df -Pk -- "$d" 2>/dev/null | tail -n 1 | awk '{print $4}')
      printf 'dir\t%d\t%s\t%s\n' "$dirs" "\${avail:--}" "$w"
      dirs=$((dirs + 1)) ;;
    name=*)
      n=\${a#name=}
      if command -v getent >/dev/null 2>&1; then
        # glibc: 0 found, 2 not found; anything else (1: no ahosts database, 124: timeout) tells nothing
        ans=$($lim getent ahosts "$n" 2>/dev/null); rc=$?
        case $rc in
          0|2) printf 'name\t%d\t%s\n' "$names" "$(printf '%s\n' "$ans" | awk 'NF && !seen[$1]++ {printf "%s ", $1}')" ;;
          *) printf 'name\t%d\t?\n' "$names" ;;
        esac
      else
        printf 'name\t%d\t?\n' "$names"
      fi
      names=$((names + 1)) ;;
  esac
done
if [ -r /proc/net/tcp ]; then
  for t in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$t" ] || continue
    # dash reads byte by byte: awk keeps the few listening rows of a busy host's many sockets
    awk '$4 == "0A" {print $2, $8, $10}' "$t" | while read -r local uid inode; do
      printf 'listen\t%d\t%s\t%s\n' "$((0x\${local##*:}))" "$uid" "$inode"
    done
  done
elif command -v ss >/dev/null 2>&1; then
  ss -Hltn 2>/dev/null | while read -r st rq sq local rest; do printf 'listen\t%s\t-\t-\n' "\${local##*:}"; done
else
  printf 'listen-unknown\n'
fi
printf 'nofile\t%s\t%s\n' "$(ulimit -n 2>/dev/null)" "$(ulimit -Hn 2>/dev/null)"
printf 'end\n'
`

/** The host's clock in ms, by the `date` on its PATH (a faked one included); `s` = whole seconds only. */
export const CLOCK_SCRIPT = raw`t=$(date +%s%N 2>/dev/null); case $t in ''|*[!0-9]*) printf 's\t%s\n' "$(date +%s)" ;; *) printf 'ns\t%s\n' "$t" ;; esac`

/** Who holds the listening sockets with these inodes: pid, comm and a Flink or ZooKeeper main class. */
export const OWNERS_SCRIPT = raw`
want=" $* "
ls -l /proc/[0-9]*/fd 2>/dev/null | awk -v want="$want" '
  /^\/proc\/[0-9]+\/fd:$/ { split($0, p, "/"); pid = p[3]; next }
  /socket:\[[0-9]+\]/ { i = $NF; gsub(/[^0-9]/, "", i); if (index(want, " " i " ") && !seen[i]++) print i, pid }
' | while read -r ino pid; do
  comm=$(cat "/proc/$pid/comm" 2>/dev/null | tr '\t' ' ')
  cls=$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -m 1 -E '^org\.apache\.(flink|zookeeper)\.' | tr '\t' ' ')
  printf 'owner\t%s\t%s\t%s\t%s\n' "$ino" "$pid" "$comm" "$cls"
done
`

export interface LibFile {
  name: string
  size: number
  sha256: string
}

export interface HostFacts {
  uname?: string
  java: {found: boolean; lines: string[]; exitStatus?: number}
  home: 'yes' | 'nolib' | 'no'
  /** undefined when the host has no sha256 tool. */
  lib?: LibFile[]
  /** Listening TCP ports with the socket's uid and inode; undefined when the host cannot tell. */
  listening?: Array<{port: number; uid?: string; inode?: string}>
  dirs: Array<{index: number; availKiB?: number; writable: boolean}>
  names: Array<{index: number; addresses?: string[]}>
  nofile?: {soft: number | 'unlimited'; hard: number | 'unlimited'}
  /** The script ran to its last line (else the facts are partial). */
  complete: boolean
  /** The last record read: where a partial probe stopped. */
  lastTag?: string
}

const limit = (s: string | undefined): number | 'unlimited' | undefined =>
  s === 'unlimited' ? 'unlimited' : s && /^\d+$/.test(s) ? Number(s) : undefined

/** FACTS_SCRIPT's output; unknown lines are ignored (a host's shell may add its own). */
export function parseFacts(stdout: string): HostFacts {
  const f: HostFacts = {java: {found: true, lines: []}, home: 'no', dirs: [], names: [], complete: false}
  for (const line of stdout.split('\n')) {
    const [tag, ...rest] = line.split('\t')
    if (tag) f.lastTag = tag
    switch (tag) {
      case 'end': f.complete = true; break
      case 'uname': f.uname = rest.join('\t'); break
      case 'java': f.java.lines.push(rest.join('\t')); break
      case 'java-rc': f.java.exitStatus = Number(rest[0]); break
      case 'java-missing': f.java.found = false; break
      case 'home': f.home = rest[0] === 'yes' ? 'yes' : rest[0] === 'nolib' ? 'nolib' : 'no'; if (f.home === 'yes') f.lib = []; break
      case 'lib-nosum': f.lib = undefined; break
      case 'lib': if (f.lib && rest.length >= 3) f.lib.push({sha256: rest[0]!, size: Number(rest[1]), name: rest.slice(2).join('\t')}); break
      case 'listen': {
        f.listening ??= []
        const port = Number(rest[0])
        if (Number.isInteger(port) && port > 0) f.listening.push({port, ...(rest[1] && rest[1] !== '-' ? {uid: rest[1]} : {}), ...(rest[2] && rest[2] !== '-' ? {inode: rest[2]} : {})})
        break
      }
      case 'dir': {
        const kib = Number(rest[1])
        f.dirs.push({index: Number(rest[0]), ...(rest[1] !== '-' && Number.isFinite(kib) ? {availKiB: kib} : {}), writable: rest[2] === 'yes'})
        break
      }
      case 'name': f.names.push({index: Number(rest[0]), ...(rest[1] === '?' ? {} : {addresses: (rest[1] ?? '').trim().split(/\s+/).filter(Boolean)})}); break
      case 'nofile': {
        const soft = limit(rest[0]), hard = limit(rest[1])
        if (soft !== undefined && hard !== undefined) f.nofile = {soft, hard}
        break
      }
    }
  }
  return f
}

/** CLOCK_SCRIPT's output in epoch ms, with its resolution. */
export function parseClock(stdout: string): {ms: number; resolutionMs: number} | undefined {
  const [unit, value] = stdout.trim().split('\t')
  if (!value || !/^\d+$/.test(value)) return undefined
  return unit === 'ns' ? {ms: Number(BigInt(value) / 1_000_000n), resolutionMs: 1} : {ms: Number(value) * 1000, resolutionMs: 1000}
}

export interface PortOwner {
  pid: string
  comm: string
  /** The Flink or ZooKeeper main class on its command line, when it has one. */
  mainClass?: string
}

/** OWNERS_SCRIPT's output by socket inode. Never the whole command line: it may hold secrets. */
export function parseOwners(stdout: string): Map<string, PortOwner> {
  const out = new Map<string, PortOwner>()
  for (const line of stdout.split('\n')) {
    const [tag, inode, pid, comm, cls] = line.split('\t')
    if (tag !== 'owner' || !inode || !pid) continue
    out.set(inode, {pid, comm: comm || '?', ...(cls ? {mainClass: cls} : {})})
  }
  return out
}

export const describeOwner = (o: PortOwner): string => `${o.comm} (pid ${o.pid}${o.mainClass ? `, ${o.mainClass.split('.').at(-1)}` : ''})`

/** `openjdk version "17.0.15" 2025-04-15` → 17; `java version "1.8.0_392"` → 8. */
export function javaMajorOf(lines: readonly string[]): {major: number; version: string} | undefined {
  for (const l of lines) {
    const m = /version "([^"]+)"/.exec(l)
    if (!m) continue
    const v = m[1]!
    const parts = v.split(/[.+_-]/)
    const major = parts[0] === '1' ? Number(parts[1]) : Number(parts[0])
    if (Number.isInteger(major) && major > 0) return {major, version: v}
  }
  return undefined
}
