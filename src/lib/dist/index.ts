/**
 * Flink distributions for users who have none: assembled from Maven Central by the recipe in
 * templates/dist (the one the test ground uses), or unpacked from an official tarball.
 * Homes live in <root>/flink-<version>/ and carry `.complete` (written inside the staging dir,
 * which is then renamed into place), so a home is either complete or absent.
 */
import {createHash} from 'node:crypto'
import {createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {basename, delimiter, join, resolve} from 'node:path'
import {execa} from 'execa'
import {ExitCode, FlinkctlError, UsageError} from '../errors.ts'
import {recipeDir, recipeHash, supportedVersions, TEMPLATES_DIR} from './recipe.ts'

export {recipeHash, supportedVersions} from './recipe.ts'

type Env = Readonly<Record<string, string | undefined>>

export interface FetchOptions {
  version: string
  /** Directory that holds flink-<version>/ (default: distRoot()). */
  dir?: string
  /** Use only the local Maven repository (~/.m2) and cached downloads. */
  offline?: boolean
  /** Each progress line of the assembly (stderr of the recipe, Maven's tail on failure). */
  onProgress?: (line: string) => void
  /** Environment for tool lookup and the recipe (default: process.env). */
  env?: Env
  templatesDir?: string
}

export interface TarballOptions {
  file: string
  dir?: string
  onProgress?: (line: string) => void
  env?: Env
}

export type DistSource = 'maven' | 'tarball'

export interface FetchResult {
  home: string
  version: string
  /** true when a complete home was already there and nothing ran. */
  reused: boolean
  source: DistSource
}

export interface DistributionInfo {
  version: string
  home: string
  /** ready: usable as is; stale: assembled by an older recipe (fetch rebuilds it); incomplete: not made by flinkctl or broken. */
  state: 'ready' | 'stale' | 'incomplete'
  source: DistSource | 'unknown'
}

const MARKER = '.complete'
const TARBALL_MARKER = /^tarball sha256:([0-9a-f]{64})\b/

/** ${XDG_CACHE_HOME:-~/.cache}/flinkctl/dist */
export function distRoot(env: Env = process.env): string {
  const cache = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache')
  return join(cache, 'flinkctl', 'dist')
}

/** The version in a lib/flink-dist jar name: flink-dist-1.20.0.jar, flink-dist_2.12-1.14.6.jar. */
export function distJarVersion(name: string): string | undefined {
  return /^flink-dist(?:_\d+\.\d+)?-(.+)\.jar$/.exec(name)?.[1]
}

function distJars(home: string): string[] {
  try {
    return readdirSync(join(home, 'lib')).filter((f) => distJarVersion(f) !== undefined)
  } catch {
    return []
  }
}

function readMarker(home: string): string | undefined {
  try {
    return readFileSync(join(home, MARKER), 'utf8').trim()
  } catch {
    return undefined
  }
}

function inspect(home: string, version: string, templatesDir: string): DistributionInfo {
  const marker = readMarker(home)
  const jars = distJars(home)
  const source: DistributionInfo['source'] = marker === undefined ? 'unknown' : TARBALL_MARKER.test(marker) ? 'tarball' : 'maven'
  if (marker === undefined || jars.length !== 1 || distJarVersion(jars[0]!) !== version) return {version, home, state: 'incomplete', source}
  if (source === 'tarball') return {version, home, state: 'ready', source}
  let want: string | undefined
  try {
    want = recipeHash(version, templatesDir)
  } catch {
    want = undefined // a version this install has no recipe for: usable, but fetch could not redo it
  }
  return {version, home, state: want === undefined || marker === want ? 'ready' : 'stale', source}
}

/** An executable named `cmd` on env.PATH, or undefined. */
export function findOnPath(cmd: string, env: Env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const p = join(dir, cmd)
    try {
      if (statSync(p).isFile()) return p
    } catch {
      // not here
    }
  }
  return undefined
}

function toolMissing(what: string, version: string): FlinkctlError {
  return new FlinkctlError(`${what} is needed to assemble Flink ${version} from Maven Central`, {
    code: 'DIST_TOOL_MISSING',
    exit: ExitCode.Failed,
    hint: `install Maven and a JDK 17 (Debian/Ubuntu: apt-get install maven openjdk-17-jdk-headless; macOS: brew install maven openjdk@17), or download the official flink-${version}-bin-scala_2.12.tgz from https://flink.apache.org/downloads/ and run: flinkctl dist fetch --tarball flink-${version}-bin-scala_2.12.tgz`,
  })
}

/** Maven and a JDK, as the recipe needs them; throws DIST_TOOL_MISSING. */
export function checkTools(version: string, env: Env): void {
  if (!findOnPath('mvn', env)) throw toolMissing('Maven (mvn on PATH)', version)
  const java = env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : findOnPath('java', env)
  if (!java || !existsSync(java)) throw toolMissing(env.JAVA_HOME ? `a JDK (JAVA_HOME=${env.JAVA_HOME} has no bin/java)` : 'a JDK (java on PATH)', version)
}

function targetExists(home: string): FlinkctlError {
  return new FlinkctlError(`${home} exists and was not made by flinkctl (no ${MARKER})`, {
    code: 'DIST_TARGET_EXISTS',
    exit: ExitCode.Failed,
    hint: 'use it directly as FLINK_HOME, remove it, or choose another --dir',
  })
}

/**
 * A Flink home for `version`, assembled from Maven Central by templates/dist/assemble.sh
 * (Maven offline first, then online unless `offline`). A complete home is reused without
 * checking for Maven, so an assembled or unpacked home keeps working on a machine without it.
 */
export async function fetchDistribution(opts: FetchOptions): Promise<FetchResult> {
  const env = opts.env ?? process.env
  const templatesDir = opts.templatesDir ?? TEMPLATES_DIR
  const supported = supportedVersions(templatesDir).map((s) => s.version)
  if (!supported.includes(opts.version)) {
    throw new UsageError(
      `Flink ${opts.version} cannot be assembled from Maven Central (supported: ${supported.join(', ')})`,
      `pick one of ${supported.join(', ')}, or install an official tarball of any version: flinkctl dist fetch --tarball flink-<version>-bin-scala_2.12.tgz`,
    )
  }
  const root = resolve(opts.dir ?? distRoot(env))
  const home = join(root, `flink-${opts.version}`)
  const found = inspect(home, opts.version, templatesDir)
  if (found.state === 'ready') {
    opts.onProgress?.(`flink-${opts.version}: already complete (${found.source === 'tarball' ? 'official tarball' : 'assembled from Maven Central'}) in ${home}`)
    return {home, version: opts.version, reused: true, source: found.source as DistSource}
  }
  if (existsSync(home) && readMarker(home) === undefined) throw targetExists(home)
  checkTools(opts.version, env)

  const args = [join(recipeDir(templatesDir), 'assemble.sh'), '--dir', root, ...(opts.offline ? ['--offline'] : []), opts.version]
  const lines: string[] = []
  const r = await execa('/bin/sh', args, {
    env: {...env},
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    stderr: [
      function* (line: unknown) {
        const text = String(line)
        lines.push(text)
        if (lines.length > 60) lines.shift()
        // the ERROR line becomes the thrown error's message; do not print it twice
        if (!/^\[flinkctl dist\] ERROR: /.test(text)) opts.onProgress?.(text.replace(/^\[flinkctl dist\] /, ''))
        yield line
      },
    ],
  })
  if (r.exitCode === 3) throw targetExists(home)
  if (r.exitCode !== 0) {
    const last = [...lines].reverse().find((l) => l.includes('ERROR: '))
    throw new FlinkctlError(last ? last.replace(/^.*?ERROR: /, '') : `assembling Flink ${opts.version} failed (exit ${r.exitCode ?? r.signal})`, {
      code: 'DIST_BUILD_FAILED',
      exit: ExitCode.Failed,
      hint: opts.offline
        ? 'run once without --offline, so that what is missing gets downloaded'
        : `check network access to Maven Central (a mirror: ~/.m2/settings.xml), or use an official tarball: flinkctl dist fetch --tarball flink-${opts.version}-bin-scala_2.12.tgz`,
      details: {exitCode: r.exitCode, signal: r.signal, log: lines.slice(-40)},
    })
  }
  const printed = String(r.stdout).trim().split('\n').pop()
  if (printed !== home || inspect(home, opts.version, templatesDir).state !== 'ready') {
    throw new FlinkctlError(`the recipe finished but ${home} is not a complete Flink ${opts.version} home`, {code: 'DIST_BUILD_FAILED', exit: ExitCode.Failed, details: {printed}})
  }
  return {home, version: opts.version, reused: false, source: 'maven'}
}

/** sha256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer)
  return h.digest('hex')
}

function tarballInvalid(file: string, why: string): FlinkctlError {
  return new FlinkctlError(`${file} is not a Flink distribution: ${why}`, {
    code: 'DIST_TARBALL_INVALID',
    exit: ExitCode.Failed,
    hint: 'use the binary release, e.g. flink-1.20.0-bin-scala_2.12.tgz from https://flink.apache.org/downloads/ (not the -src tarball)',
  })
}

/**
 * Unpacks an official flink-<v>-bin-scala_2.12.tgz into <root>/flink-<v>/ (the version comes from
 * its lib/flink-dist jar). Unpacking the same file again is a no-op; any home flinkctl made for
 * that version is replaced, a directory it did not make is refused.
 */
export async function installTarball(opts: TarballOptions): Promise<FetchResult> {
  const env = opts.env ?? process.env
  const file = resolve(opts.file)
  let isFile = false
  try {
    isFile = statSync(file).isFile()
  } catch {
    // reported below
  }
  if (!isFile) throw new UsageError(`no such file: ${opts.file}`, 'pass the path of a downloaded flink-<version>-bin-scala_2.12.tgz')
  if (!findOnPath('tar', env)) {
    throw new FlinkctlError('tar is needed to unpack a Flink tarball', {code: 'DIST_TOOL_MISSING', exit: ExitCode.Failed, hint: 'install tar (Debian/Ubuntu: apt-get install tar)'})
  }
  const root = resolve(opts.dir ?? distRoot(env))
  mkdirSync(root, {recursive: true})
  const sum = await sha256File(file)
  const marker = `tarball sha256:${sum} ${basename(file)}`

  // the same tarball already unpacked: nothing to do
  for (const name of readdirSafe(root)) {
    if (!name.startsWith('flink-')) continue
    const home = join(root, name)
    const m = TARBALL_MARKER.exec(readMarker(home) ?? '')
    const version = name.slice('flink-'.length)
    if (m?.[1] === sum && inspect(home, version, TEMPLATES_DIR).state === 'ready') {
      opts.onProgress?.(`${basename(file)}: already unpacked in ${home}`)
      return {home, version, reused: true, source: 'tarball'}
    }
  }

  const tmp = mkdtempSync(join(root, '.tarball.'))
  try {
    opts.onProgress?.(`unpacking ${basename(file)}`)
    // --no-same-owner: as root, do not hand the files to the uid that built the release
    const r = await execa('tar', ['--no-same-owner', '-xf', file, '-C', tmp], {env: {...env}, extendEnv: false, reject: false, stdin: 'ignore'})
    if (r.exitCode !== 0) throw tarballInvalid(opts.file, `tar failed: ${String(r.stderr).trim().split('\n').slice(-3).join(' / ')}`)
    // official tarballs hold one flink-<v>/ directory; accept lib/ at the top too
    const top = readdirSafe(tmp)
    const unpacked = distJars(tmp).length === 0 && top.length === 1 && isDir(join(tmp, top[0]!)) ? join(tmp, top[0]!) : tmp
    const jars = distJars(unpacked)
    if (jars.length !== 1) throw tarballInvalid(opts.file, jars.length === 0 ? 'no lib/flink-dist*.jar' : `${jars.length} lib/flink-dist*.jar`)
    const version = distJarVersion(jars[0]!)!
    const home = join(root, `flink-${version}`)
    if (existsSync(home) && readMarker(home) === undefined) throw targetExists(home)
    writeFileSync(join(unpacked, MARKER), `${marker}\n`)
    rmSync(home, {recursive: true, force: true})
    renameSync(unpacked, home)
    opts.onProgress?.(`flink-${version}: unpacked into ${home}`)
    return {home, version, reused: false, source: 'tarball'}
  } finally {
    rmSync(tmp, {recursive: true, force: true})
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

/** The homes under `dir` (default distRoot()), sorted by version. */
export function listDistributions(opts: {dir?: string; env?: Env; templatesDir?: string} = {}): DistributionInfo[] {
  const root = resolve(opts.dir ?? distRoot(opts.env ?? process.env))
  const templatesDir = opts.templatesDir ?? TEMPLATES_DIR
  return readdirSafe(root)
    .filter((name) => name.startsWith('flink-') && isDir(join(root, name)))
    .map((name) => inspect(join(root, name), name.slice('flink-'.length), templatesDir))
    .sort((a, b) => a.version.localeCompare(b.version, 'en', {numeric: true}))
}
