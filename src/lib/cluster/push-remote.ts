/**
 * The host side of config push/diff: the POSIX sh programs that inspect a conf dir and commit a
 * new file set into it, and the parsing of what they print. See pushConf for the protocol.
 */
import {realpathSync} from 'node:fs'
import {assertOk, HostError, type Host} from '../remote/host.ts'
import {isJunkName, MANIFEST, sha256} from './push-local.ts'

export type RemoteState =
  | {state: 'missing'}
  /** sha256 is undefined only when the host has no hash tool and the file was too big to fetch. */
  | {state: 'file'; sha256: string | undefined; mode: number; size: number; content?: Buffer}
  /** Exists but cannot be replaced or compared: a directory, a dangling link, unreadable. */
  | {state: 'other'; reason: string}

/**
 * fh FILE prints the file's sha256, or `-` when the host has none of sha256sum, shasum and
 * openssl: callers then compare content (inspect sends it back) or sizes (push verification).
 * fmode prints octal bits (GNU/BusyBox or BSD stat) or, lacking both, the `ls -l` string.
 */
const SH_HELPERS = `
if command -v sha256sum >/dev/null 2>&1; then fh() { sha256sum < "$1" | cut -c1-64; }
elif command -v shasum >/dev/null 2>&1; then fh() { shasum -a 256 < "$1" | cut -c1-64; }
elif command -v openssl >/dev/null 2>&1; then fh() { openssl dgst -sha256 < "$1" | sed 's/^.*= *//'; }
else fh() { echo -; }
fi
fmode() { stat -c %a -- "$1" 2>/dev/null || stat -f %Lp -- "$1" 2>/dev/null || ls -ldn -- "$1" | cut -d' ' -f1; }
fsize() { wc -c < "$1" | tr -d ' '; }
`

/**
 * The commit step, shared by the commit script and the recovery of an interrupted one. Needs
 * dir, st (= dir/.flinkctl) and prev. The journal is: the staging tag, then per entry a line
 * `op index mode` and a line with the name; op w replaces (keeping the old file in prev/),
 * n replaces without keeping (the manifest), d moves the file to prev/, m is a chmod.
 * Every step can run twice: a staged file that is gone was renamed already, a file to remove
 * that is gone was removed already. So a journal is replayed to its end whatever the point
 * where the previous run stopped, and the host ends with the new set.
 *
 * The renames must not stop half-way because the bastion went away: its death closes our
 * stdout, and the next write would raise SIGPIPE; sshd sends no SIGHUP without a pty, but a
 * login shell wrapper may. Both are ignored, which mv/ln/chmod inherit; nothing is printed
 * until the journal is gone.
 */
const COMMIT_HELPERS = `
trap '' HUP PIPE
fc_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  exec 8<"$st" && flock -w 60 8 || { printf 'another push to %s holds its lock\\n' "$dir" >&2; exit 1; }
}
fc_keep() {
  [ -d "$prev" ] || mkdir -p -- "$prev" || return 1
  rm -f -- "$prev/$2"
  if [ -L "$1" ]; then cp -p -- "$1" "$prev/$2"
  else ln -- "$1" "$prev/$2" 2>/dev/null || cp -p -- "$1" "$prev/$2"
  fi
}
fc_apply() {
  { IFS= read -r fc_jt || return 1
    fc_js="$st/stage.$fc_jt"
    while IFS= read -r fc_h && IFS= read -r fc_n; do
      set -f; set -- $fc_h; set +f
      fc_t="$dir/$fc_n"
      case $1 in
      w|n) if [ -f "$fc_js/$2" ]; then
             if [ "$1" = w ] && { [ -e "$fc_t" ] || [ -L "$fc_t" ]; }; then fc_keep "$fc_t" "$fc_n" || return 1; fi
             mv -f -- "$fc_js/$2" "$fc_t" || return 1
           fi ;;
      d) if [ -f "$fc_t" ] || [ -L "$fc_t" ]; then
           [ -d "$prev" ] || mkdir -p -- "$prev" || return 1
           mv -f -- "$fc_t" "$prev/$fc_n" || return 1
         fi ;;
      m) chmod "$3" "$fc_t" || return 1 ;;
      esac
    done; } < "$st/journal"
  rm -f -- "$st/journal" && rm -rf -- "$fc_js"
}
fc_recover() {
  if [ -f "$st/journal" ]; then
    fc_apply || { printf 'cannot complete the interrupted push recorded in %s\\n' "$st/journal" >&2; exit 1; }
  fi
}
`

/**
 * Args: dir list recover fetchMax (name expectedSha|-)…  Prints per name (by index i):
 *   F i sha|- size mode   then, when asked, C i <hex>   (od: binary-safe and POSIX)
 *   M i (missing)   O i (not a regular file)   U i (unreadable)
 * with list=1, X name for every regular non-hidden file of dir; and D name for every name of
 * the manifest that is still there (push removes those the bastion no longer has).
 * Content is sent back when it is needed to compare: no hash tool, or a hash that differs
 * from the expected one (diff), and the file is at most fetchMax bytes (-1: never).
 * recover=1 (push) first completes a commit that was interrupted (a journal is left), under
 * the lock; diff never writes.
 */
const INSPECT_SH = `${SH_HELPERS}${COMMIT_HELPERS}
dir=$1; list=$2; recover=$3; max=$4; shift 4
st="$dir/.flinkctl"; prev="$st/prev"
if [ "$recover" = 1 ] && [ -d "$st" ]; then fc_lock; fc_recover; fi
trap - PIPE
i=0
while [ $# -gt 1 ]; do
  f="$dir/$1"; want=$2; shift 2
  if [ -f "$f" ] && [ ! -r "$f" ]; then echo "U $i"
  elif [ -f "$f" ]; then
    h=$(fh "$f"); s=$(fsize "$f"); m=$(fmode "$f")
    printf 'F %s %s %s %s\\n' "$i" "\${h:--}" "$s" "$m"
    if [ "$max" -ge 0 ] && [ "$s" -le "$max" ] && { [ "\${h:--}" = - ] || { [ "$want" != - ] && [ "$h" != "$want" ]; }; }; then
      printf 'C %s ' "$i"; od -An -v -tx1 < "$f" | tr -d ' \\n'; echo
    fi
  elif [ -e "$f" ] || [ -L "$f" ]; then echo "O $i"
  else echo "M $i"
  fi
  i=$((i + 1))
done
if [ "$list" = 1 ] && [ -d "$dir" ]; then
  for f in "$dir"/*; do if [ -f "$f" ]; then printf 'X %s\\n' "\${f##*/}"; fi; done
fi
if [ -f "$dir/${MANIFEST}" ]; then
  while IFS= read -r n; do
    if [ -n "$n" ] && { [ -f "$dir/$n" ] || [ -L "$dir/$n" ]; }; then printf 'D %s\\n' "$n"; fi
  done < "$dir/${MANIFEST}"
fi
exit 0
`

/**
 * Args: dir tag, then 5-tuples (w|n|d|m|c name mode size sha); stdin: the bytes of the w and n
 * entries, in order; c entries are files the plan leaves alone, checked to still have their sha
 * (a concurrent push since the inspection must not leave a mix). Under the lock (flock on dir/.flinkctl, when the host has flock):
 *  1. completes an interrupted earlier commit (fc_recover) and removes dead staging dirs;
 *  2. stages every new file as dir/.flinkctl/stage.<tag>/<index> (private until chmod) and
 *     checks its hash (its size without a hash tool); any failure removes the staging dir, so
 *     the host keeps its old set untouched: the conf dir itself never holds a temp file;
 *  3. writes the journal (temp file + rename: it exists whole or not at all), which is the
 *     commit point: from here on the new set wins, whoever finishes the renames;
 *  4. fc_apply: the renames, a few ms for any number of files, then removes the journal;
 *  5. prints one line per entry: P i (previous version kept), W i (written), M i (chmod), R i (removed).
 * stdin lands in a file first because reading exact byte counts from a pipe has no portable
 * tool (BSD head -c reads ahead); `head -c` on a regular file is fine, dd bs=1 the fallback.
 */
const COMMIT_SH = `${SH_HELPERS}${COMMIT_HELPERS}
dir=$1; tag=$2; shift 2
st="$dir/.flinkctl"; prev="$st/prev"; stage="$st/stage.$tag"
fail() { printf '%s\\n' "$*" >&2; rm -rf -- "$stage"; exit 1; }
if [ ! -d "$dir" ]; then mkdir -p -- "$dir" || fail "cannot create $dir"; fi
if [ ! -d "$st" ]; then mkdir -- "$st" || fail "cannot create $st"; fi
fc_lock
fc_recover
for d in "$st"/stage.*; do [ ! -d "$d" ] || rm -rf -- "$d"; done
umask 077
mkdir -- "$stage" || fail "cannot create $stage"
bundle="$stage/bundle"
cat > "$bundle" || fail "cannot write in $st"
if [ "$(printf abc | head -c 2 2>/dev/null)" = ab ]; then
  part() { tail -c +"$(($1 + 1))" "$bundle" | head -c "$2"; }
else
  part() { dd if="$bundle" bs=1 skip="$1" count="$2" 2>/dev/null; }
fi
out=
off=0; i=0; k=0
for a in "$@"; do
  case $k in
  0) op=$a ;; 1) name=$a ;; 2) mode=$a ;; 3) size=$a ;;
  4) sha=$a; target="$dir/$name"
     case $op in
     w|n)
       if [ -d "$target" ]; then fail "$target is a directory"; fi
       part "$off" "$size" > "$stage/$i" || fail "cannot write $stage/$i"
       off=$((off + size))
       chmod "$mode" "$stage/$i" || fail "cannot chmod $stage/$i"
       got=$(fh "$stage/$i")
       if [ "\${got:--}" = - ]; then got=$(fsize "$stage/$i"); sha=$size; fi
       [ "$got" = "$sha" ] || fail "$name: the copy written on this host does not match the bastion's (transfer corrupted)"
       if [ "$op" = w ]; then
         if [ -e "$target" ] || [ -L "$target" ]; then out="$out P $i"; fi
         out="$out W $i"
       fi ;;
     m) [ -f "$target" ] || fail "$target is gone or not a regular file"; out="$out M $i" ;;
     d) out="$out R $i" ;;
     c) got=$(fh "$target" 2>/dev/null)
        [ "\${got:--}" = - ] || [ "$got" = "$sha" ] || fail "$name changed on the host since it was inspected (another push?): push again" ;;
     esac
     i=$((i + 1)) ;;
  esac
  k=$(( (k + 1) % 5 ))
done
rm -f -- "$bundle"
{
  printf '%s\\n' "$tag"
  i=0; k=0
  for a in "$@"; do
    case $k in 0) op=$a ;; 1) name=$a ;; 2) mode=$a ;; 4) [ "$op" = c ] || printf '%s %s %s\\n%s\\n' "$op" "$i" "$mode" "$name"; i=$((i + 1)) ;; esac
    k=$(( (k + 1) % 5 ))
  done
} > "$st/journal.new" || fail "cannot write $st/journal.new"
mv -f -- "$st/journal.new" "$st/journal" || fail "cannot write $st/journal"
fc_apply || { printf 'the push stopped while renaming; the next push completes it (journal %s)\\n' "$st/journal" >&2; exit 2; }
set -f
for w in $out; do case $w in [A-Z]) t=$w ;; *) echo "$t $w" ;; esac; done
exit 0
`

/** Octal (`644`, `4755`) or `ls -l` symbolic (`-rw-r--r--`, `-rwsr-x--T+`) to permission bits. */
export function parseMode(text: string): number {
  if (/^[0-7]{1,4}$/.test(text)) return parseInt(text, 8)
  const s = text.slice(1, 10)
  if (s.length !== 9) throw new Error(`unreadable mode ${JSON.stringify(text)}`)
  let mode = 0
  const bit = (i: number, c: string, v: number) => { if (s[i] === c) mode |= v }
  for (const [i, shift] of [[0, 6], [3, 3], [6, 0]] as const) {
    bit(i, 'r', 4 << shift)
    bit(i + 1, 'w', 2 << shift)
    const x = s[i + 2]
    if (x === 'x' || x === 's' || x === 't') mode |= 1 << shift
  }
  if ('sS'.includes(s[2]!)) mode |= 0o4000
  if ('sS'.includes(s[5]!)) mode |= 0o2000
  if ('tT'.includes(s[8]!)) mode |= 0o1000
  return mode
}

const fromHex = (hex: string): Buffer => Buffer.from(hex.trim(), 'hex')

export interface InspectOutput {
  states: Map<string, RemoteState>
  /** Regular non-hidden files the bastion did not ask about (list only). */
  extra: string[]
  /** Names of the host's manifest (written by the last push) that are still there. */
  pushedBefore: string[]
}

export async function runInspect(host: Host, confDir: string, names: readonly string[], opts: {expect?: ReadonlyMap<string, string>; fetchMax: number; list: boolean; recover?: boolean; timeoutMs?: number}): Promise<InspectOutput> {
  const args = [remotePath(confDir), opts.list ? '1' : '0', opts.recover ? '1' : '0', String(opts.fetchMax)]
  for (const n of names) args.push(n, opts.expect?.get(n) ?? '-')
  const r = assertOk(host, `inspecting ${confDir}`, await host.sh(INSPECT_SH, args, {timeoutMs: opts.timeoutMs}))
  const states = new Map<string, RemoteState>()
  const extra: string[] = []
  const pushedBefore: string[] = []
  const requested = new Set(names)
  for (const line of r.stdout.split('\n')) {
    const [tag, idx, ...rest] = line.split(' ')
    const name = idx === undefined ? undefined : names[Number(idx)]
    if (tag === 'X') {
      const x = line.slice(2)
      if (!requested.has(x) && !isJunkName(x)) extra.push(x)
    } else if (tag === 'D') {
      pushedBefore.push(line.slice(2))
    } else if (name === undefined) {
      continue
    } else if (tag === 'M') {
      states.set(name, {state: 'missing'})
    } else if (tag === 'O') {
      states.set(name, {state: 'other', reason: 'not a regular file'})
    } else if (tag === 'U') {
      states.set(name, {state: 'other', reason: 'not readable'})
    } else if (tag === 'F') {
      const [h, size, mode] = rest
      states.set(name, {state: 'file', sha256: h === '-' ? undefined : h, size: Number(size), mode: parseMode(mode ?? '')})
    } else if (tag === 'C') {
      const s = states.get(name)
      if (s?.state === 'file') {
        s.content = fromHex(rest[0] ?? '')
        s.sha256 ??= sha256(s.content) // no hash tool there: hash what came back
      }
    }
  }
  for (const n of names) {
    if (!states.has(n)) throw new HostError(host.name, `inspecting ${confDir} on ${host.name} gave no answer for ${n}`, {code: 'REMOTE_PROTOCOL'})
  }
  return {states, extra: extra.sort(), pushedBefore}
}

/** One commit entry: w replace (keep the old), n replace (keep nothing), d remove (keep the old), m chmod, c check unchanged. */
export interface CommitEntry {
  op: 'w' | 'n' | 'd' | 'm' | 'c'
  name: string
  mode: string
  content?: Buffer
  sha256?: string
}

/** Runs the commit script; the caller parses the P/W/M/R records. */
export function runCommit(host: Host, confDir: string, tag: string, entries: readonly CommitEntry[], opts: {timeoutMs?: number}) {
  const args = [remotePath(confDir), tag]
  const chunks: Buffer[] = []
  for (const e of entries) {
    if (e.content) {
      args.push(e.op, e.name, e.mode, String(e.content.length), e.sha256!)
      chunks.push(e.content)
    } else if (e.op === 'c') {
      args.push(e.op, e.name, e.mode, '-', e.sha256!)
    } else {
      args.push(e.op, e.name, e.mode, '-', '-')
    }
  }
  return host.sh(COMMIT_SH, args, {stdin: Buffer.concat(chunks), timeoutMs: opts.timeoutMs})
}

/** A path the remote shell can take as an operand: relative paths get `./` so a leading `-` is harmless. */
export const remotePath = (p: string): string => (p.startsWith('/') || p.startsWith('./') ? p : `./${p}`).replace(/(.)\/+$/, '$1')

/** A local host whose conf dir is the source dir itself (compared after resolving links). */
export function isSourceDir(host: Host, confDir: string, sourceDir: string | undefined): boolean {
  if (!host.local || sourceDir === undefined) return false
  try {
    return realpathSync(confDir) === realpathSync(sourceDir)
  } catch {
    return false // the target does not exist yet, so it is not the source
  }
}
