// Files on any Host through its stdin and a small POSIX sh program: no SFTP needed, and the same
// code serves LocalHost and SshHost.
import {assertOk, type Host} from './host.ts'

// Written next to the target, then renamed: readers never see half a file, and a failed upload
// leaves the old file in place.
const UPLOAD = `set -e
dest=$1 mode=$2 mkdir=$3
if [ "$mkdir" = 1 ]; then mkdir -p -- "$(dirname -- "$dest")"; fi
tmp="$dest.flinkctl-tmp.$$"
trap 'rm -f -- "$tmp"' EXIT
(umask 077 && cat > "$tmp")
chmod "$mode" "$tmp"
mv -f -- "$tmp" "$dest"
trap - EXIT`

export interface UploadOptions {
  /** Octal file mode (default 0644). */
  mode?: number
  /** Create missing parent folders (default true). */
  mkdir?: boolean
  timeoutMs?: number
}

/** Writes `data` to `path` on the host, atomically (temp file + rename); throws a HostError. */
export async function uploadFile(host: Host, path: string, data: string | Uint8Array, opts: UploadOptions = {}): Promise<void> {
  const mode = (opts.mode ?? 0o644).toString(8)
  const r = await host.sh(UPLOAD, [path, mode, opts.mkdir === false ? '0' : '1'], {stdin: data, ...(opts.timeoutMs ? {timeoutMs: opts.timeoutMs} : {})})
  assertOk(host, `upload of ${path}`, r)
}

/** Reads a text file from the host; undefined when it does not exist. */
export async function readRemoteFile(host: Host, path: string, opts: {timeoutMs?: number} = {}): Promise<string | undefined> {
  const r = await host.sh('if [ -e "$1" ]; then exec cat -- "$1"; else exit 3; fi', [path], opts.timeoutMs ? {timeoutMs: opts.timeoutMs} : {})
  if (r.code === 3 && r.stderr === '') return undefined
  return assertOk(host, `reading ${path}`, r).stdout
}
