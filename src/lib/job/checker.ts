/**
 * flinkctl's checker job (templates/checker): the jar, built by Maven for one Flink version and
 * cached per version and source hash, and its program arguments. A cache entry is a directory
 * renamed into place once the jar is in it, so it is complete or absent; concurrent builds of the
 * same entry both succeed and the loser uses the winner's. Nothing here prints: progress goes
 * through onProgress.
 */
import {createHash} from 'node:crypto'
import {copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync} from 'node:fs'
import {homedir, tmpdir} from 'node:os'
import {dirname, join, relative, sep} from 'node:path'
import {execa} from 'execa'
import {findOnPath} from '../dist/index.ts'
import {TEMPLATES_DIR} from '../dist/recipe.ts'
import {ExitCode, FlinkctlError, UsageError} from '../errors.ts'

type Env = Readonly<Record<string, string | undefined>>

export const CHECKER_MAIN_CLASS = 'io.flinkctl.checker.CheckerJob'
/** Name and uid of the checking operator (and so of its job vertex, which nothing is chained to). */
export const CHECKER_OPERATOR = 'checker'
/** Gauges of the checking operator; over REST a vertex lists them as `<subtask>.checker.<metric>`. */
export const CHECKER_METRICS = ['emitted', 'lost', 'doubled', 'reordered', 'keys', 'generation', 'restoredCheckpoint', 'attempt'] as const
export type CheckerMetric = (typeof CHECKER_METRICS)[number]

const JAR_NAME = 'flinkctl-checker.jar'
const VERSION = /^\d+\.\d+(\.\d+)?(-[A-Za-z0-9.]+)?$/
const TAIL_LINES = 20
const ANSI = /\x1b\[[0-9;]*m/g

export interface CheckerJarOptions {
  flinkVersion: string
  /** Tool lookup, Maven's environment and the cache location (default: process.env). */
  env?: Record<string, string | undefined>
  /** Maven offline (-o): only ~/.m2. */
  offline?: boolean
  templatesDir?: string
  /** Each line of Maven's output (it runs with -q, so mostly warnings and errors). */
  onProgress?: (line: string) => void
}

export interface CheckerJar {
  path: string
  /** The Flink version it was built against. */
  version: string
  /** true when the cache had it and nothing ran. */
  cached: boolean
  /** sha256 (hex) over templates/checker; its first 12 characters name the cache entry. */
  sourceHash: string
}

export const checkerSourceDir = (templatesDir = TEMPLATES_DIR): string => join(templatesDir, 'checker')

/** ${XDG_CACHE_HOME:-~/.cache}/flinkctl/checker */
export function checkerCacheRoot(env: Env = process.env): string {
  const cache = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache')
  return join(cache, 'flinkctl', 'checker')
}

/** Files under templates/checker, relative with '/', sorted; a build dir (target/) left by a hand build is not source. */
function sourceFiles(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const e of readdirSync(d, {withFileTypes: true})) {
      const p = join(d, e.name)
      if (e.isDirectory()) {
        if (d === dir && e.name === 'target') continue
        walk(p)
      } else if (e.isFile()) out.push(relative(dir, p).split(sep).join('/'))
    }
  }
  walk(dir)
  return out.sort()
}

/** sha256 over the relative paths and contents of templates/checker (length-prefixed, so no two trees collide). */
export function checkerSourceHash(templatesDir = TEMPLATES_DIR): string {
  const dir = checkerSourceDir(templatesDir)
  const h = createHash('sha256')
  h.update('flinkctl checker\n')
  for (const rel of sourceFiles(dir)) {
    const body = readFileSync(join(dir, rel))
    h.update(`${rel}\n${body.length}\n`)
    h.update(body)
  }
  return h.digest('hex')
}

function checkVersion(v: string): void {
  if (!VERSION.test(v)) {
    throw new UsageError(`'${v}' is not a Flink version`, 'a version looks like 1.20.0 or 2.3.0 (the home\'s lib/flink-dist-<version>.jar)')
  }
}

function toolMissing(what: string): FlinkctlError {
  return new FlinkctlError(`${what} is needed to build flinkctl's checker job`, {
    code: 'CHECKER_TOOL_MISSING',
    exit: ExitCode.Failed,
    hint: 'install Maven and a JDK 17 (Debian/Ubuntu: apt-get install maven openjdk-17-jdk-headless; macOS: brew install maven openjdk@17)',
  })
}

function checkTools(env: Env): string {
  const mvn = findOnPath('mvn', env)
  if (!mvn) throw toolMissing('Maven (mvn on PATH)')
  const java = env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : findOnPath('java', env)
  if (!java || !existsSync(java)) throw toolMissing(env.JAVA_HOME ? `a JDK (JAVA_HOME=${env.JAVA_HOME} has no bin/java)` : 'a JDK (java on PATH)')
  return mvn
}

function buildFailed(version: string, why: string, lines: string[], offline: boolean, details: Record<string, unknown>): FlinkctlError {
  const tail = lines.slice(-TAIL_LINES)
  return new FlinkctlError(`building the checker job for Flink ${version} failed: ${why}${tail.length ? `\n${tail.join('\n')}` : ''}`, {
    code: 'CHECKER_BUILD_FAILED',
    exit: ExitCode.Failed,
    hint: offline
      ? 'run once without --offline, so that Maven downloads flink-streaming-java and its plugins'
      : `check network access to Maven Central (a mirror: ~/.m2/settings.xml) and that org.apache.flink:flink-streaming-java:${version} exists`,
    details: {...details, log: tail},
  })
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Staging dirs of builds that died before their rename (`<entry>.tmp-<pid>-*` of a pid that is gone). */
function sweepStale(entry: string): void {
  const parent = dirname(entry)
  const prefix = `${entry.slice(parent.length + 1)}.tmp-`
  for (const name of readdirSafe(parent)) {
    if (!name.startsWith(prefix)) continue
    const pid = Number.parseInt(name.slice(prefix.length), 10)
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) rmSync(join(parent, name), {recursive: true, force: true})
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

/**
 * The checker jar for `flinkVersion`: from the cache, else built by `mvn package` in a copy of
 * templates/checker (Flink is `provided`: the cluster's lib/ has it, the jar holds only our classes).
 */
export async function checkerJar(opts: CheckerJarOptions): Promise<CheckerJar> {
  const version = opts.flinkVersion
  checkVersion(version)
  const env = opts.env ?? process.env
  const templatesDir = opts.templatesDir ?? TEMPLATES_DIR
  const sourceHash = checkerSourceHash(templatesDir)
  const entry = join(checkerCacheRoot(env), `${version}-${sourceHash.slice(0, 12)}`)
  const cachedJar = join(entry, JAR_NAME)
  if (isFile(cachedJar)) return {path: cachedJar, version, cached: true, sourceHash}

  const mvn = checkTools(env)
  const offline = opts.offline ?? false
  const work = mkdtempSync(join(tmpdir(), 'flinkctl-checker-'))
  try {
    const project = join(work, 'checker')
    cpSync(checkerSourceDir(templatesDir), project, {recursive: true, filter: (src) => relative(checkerSourceDir(templatesDir), src) !== 'target'})
    opts.onProgress?.(`building the checker job for Flink ${version} with Maven${offline ? ' (offline)' : ''}`)
    const lines: string[] = []
    const collect = function* (line: unknown) {
      const text = String(line).replace(ANSI, '')
      if (text.trim()) {
        lines.push(text)
        if (lines.length > 200) lines.shift()
        opts.onProgress?.(text)
      }
      yield line
    }
    const r = await execa(mvn, ['-B', '-q', ...(offline ? ['-o'] : []), `-Dflink.version=${version}`, 'package'], {
      cwd: project,
      env: {...env},
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      stdout: [collect],
      stderr: [collect],
    })
    if (r.exitCode !== 0) throw buildFailed(version, `mvn exited with ${r.exitCode ?? r.signal}`, lines, offline, {exitCode: r.exitCode, signal: r.signal})
    const built = join(project, 'target', JAR_NAME)
    if (!isFile(built)) throw buildFailed(version, `Maven finished but left no target/${JAR_NAME}`, lines, offline, {})

    mkdirSync(dirname(entry), {recursive: true})
    sweepStale(entry)
    // pid first (for the sweep), then a unique tail: two builds in one process must not share it
    const staging = mkdtempSync(`${entry}.tmp-${process.pid}-`)
    try {
      copyFileSync(built, join(staging, JAR_NAME))
      // an entry without its jar was not made by a complete build (renames are whole): replace it
      if (existsSync(entry) && !isFile(cachedJar)) rmSync(entry, {recursive: true, force: true})
      try {
        renameSync(staging, entry)
      } catch (err) {
        // another build won the race: its entry is complete (it was renamed whole), use it
        if (!isFile(cachedJar)) throw err
      }
    } finally {
      rmSync(staging, {recursive: true, force: true})
    }
    return {path: cachedJar, version, cached: false, sourceHash}
  } finally {
    rmSync(work, {recursive: true, force: true})
  }
}

export interface CheckerArgsOptions {
  rate?: number
  keys?: number
  parallelism?: number
  name?: string
  dropEvery?: number
  repeatEvery?: number
}

const POSITIVE: [keyof CheckerArgsOptions, string][] = [
  ['rate', '--rate'], ['keys', '--keys'], ['parallelism', '--parallelism'], ['dropEvery', '--drop-every'], ['repeatEvery', '--repeat-every'],
]

/** The checker's program arguments; what is not set is left to the job's defaults (rate 200, keys 8). */
export function checkerArgs(o: CheckerArgsOptions): string[] {
  const args: string[] = []
  for (const [key, flag] of POSITIVE) {
    const v = o[key]
    if (v === undefined) continue
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
      throw new UsageError(`the checker's ${flag.slice(2)} must be a positive integer, got ${String(v)}`)
    }
    args.push(flag, String(v))
  }
  if (o.name !== undefined) {
    if (!o.name.trim()) throw new UsageError('the checker job\'s name must not be empty')
    args.push('--name', o.name)
  }
  return args
}
