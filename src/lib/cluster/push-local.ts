/** The bastion's side of config push/diff: the conf dir's files as they are to be pushed. */
import {createHash} from 'node:crypto'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {ExitCode, FlinkctlError} from '../errors.ts'

/** The hidden subdirectory of a conf dir that holds flinkctl's own state (never pushed, never read by Flink). */
export const STATE_DIR = '.flinkctl'
/** Where the version a push replaced is kept, relative to the conf dir. */
export const PREV_DIR = `${STATE_DIR}/prev`
/** The names the last push wrote there, relative to the conf dir: what a later push may remove. */
export const MANIFEST = `${STATE_DIR}/manifest`
/** Temp files of flinkctl versions that staged in the conf dir itself (never pushed). */
const TMP_MARK = '.flinkctl-tmp.'

export interface LocalFile {
  name: string
  content: Buffer
  sha256: string
  /** Permission bits (mode & 0o7777). */
  mode: number
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

export const octalMode = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0')

/** Editor and backup leftovers, our own temp files and every hidden file: not configuration. */
export function isJunkName(name: string): boolean {
  return name.startsWith('.') || name.endsWith('~') || /^#.*#$/.test(name) || name.includes(TMP_MARK) ||
    /\.(swp|swo|swx|bak|orig|rej)$/.test(name)
}

/** The regular files of a conf dir (not recursive, symlinks followed), sorted by name. */
export function localConfFiles(confDir: string): LocalFile[] {
  let entries: string[]
  try {
    entries = readdirSync(confDir)
  } catch (err) {
    throw new FlinkctlError(`cannot read the conf dir ${confDir}: ${(err as Error).message}`, {code: 'CONF_DIR', exit: ExitCode.ConfigInvalid, cause: err})
  }
  const out: LocalFile[] = []
  for (const name of entries.sort()) {
    if (isJunkName(name)) continue
    const path = join(confDir, name)
    let st
    try {
      st = statSync(path)
    } catch {
      continue // dangling symlink: nothing to push
    }
    if (!st.isFile()) continue
    // Remote scripts pass names as lines; a control character would break that framing.
    if (/[\x00-\x1f\x7f]/.test(name)) {
      throw new FlinkctlError(`conf file name ${JSON.stringify(name)} contains a control character`, {code: 'CONF_FILE_NAME', exit: ExitCode.ConfigInvalid, hint: 'rename the file'})
    }
    const content = readFileSync(path)
    out.push({name, content, sha256: sha256(content), mode: st.mode & 0o7777})
  }
  return out
}

/** The manifest a push leaves on the host: the bastion's file names, one per line. */
export function manifestOf(files: readonly LocalFile[]): LocalFile {
  const content = Buffer.from(files.map((f) => `${f.name}\n`).join(''))
  return {name: MANIFEST, content, sha256: sha256(content), mode: 0o644}
}
