// "Atomic under kill" for config push, shared by test/e2e/atomic-kill.test.ts and
// bench/push-kill.ts: two file sets A and B (changed, added, removed and unchanged files, one
// of 2 MB), flinkctl SIGKILLed at seeded random moments while it pushes one of them to every
// ground host, and each host's conf dir read back under the push lock.
import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {quoteArg} from '../../src/lib/launch/shell.ts'
import {FLINKCTL_BIN} from './flinkctl.ts'
import {repoRoot} from './ground-flink.ts'
import type {Ground} from './ground-hosts.ts'

/** Deterministic PRNG (mulberry32): the kill moments of a run are reproducible from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** name -> content; undefined files are absent from that set. */
export type FileSet = Record<string, string>

/** The bastion's base for this ground: /var/tmp/flinkctl-e2e[-<tag>]. */
export const e2eBase = (): string => `/var/tmp/flinkctl-e2e${process.env.FLINKCTL_GROUND_TAG ? `-${process.env.FLINKCTL_GROUND_TAG}` : ''}`

const padded = (head: string, bytes: number, tag: string): string => {
  const line = `# ${tag} padding so that this file takes several SSH window frames to send ${'.'.repeat(40)}\n`
  return head + line.repeat(Math.ceil(bytes / line.length))
}

/** Two sets over the same hosts (workers, every host, is common to both, so both push to the same hosts). */
export function fileSets(hosts: readonly string[], extraConf: string[]): {a: FileSet; b: FileSet} {
  const common = {workers: `${hosts.join('\n')}\n`, 'same.properties': 'x=1\n'}
  const conf = (slots: number) => ['jobmanager.memory.process.size: 700m', 'taskmanager.memory.process.size: 1g', `taskmanager.numberOfTaskSlots: ${slots}`, ...extraConf, ''].join('\n')
  return {
    a: {...common, 'config.yaml': conf(1), 'log4j.properties': padded('rootLogger.level = INFO\n', 4_000, 'A'), 'only-a.properties': 'a=1\n'},
    b: {
      ...common, masters: 'localhost:8081\n', 'config.yaml': conf(2), 'log4j.properties': padded('rootLogger.level = DEBUG\n', 2 << 20, 'B'),
      'log4j-console.properties': padded('rootLogger.level = WARN\n', 1 << 20, 'B'), 'only-b.yaml': 'b: 2\n',
    },
  }
}

/** Makes the bastion's conf dir hold exactly `set` (the .flinkctl state of earlier local runs is irrelevant: the bastion is the source). */
export function writeSet(confDir: string, set: FileSet): void {
  mkdirSync(confDir, {recursive: true})
  for (const n of readdirSync(confDir)) if (!(n in set)) rmSync(join(confDir, n), {recursive: true, force: true})
  for (const [n, text] of Object.entries(set)) writeFileSync(join(confDir, n), text)
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex')
export const digest = (set: FileSet): Record<string, string> => Object.fromEntries(Object.entries(set).map(([n, t]) => [n, sha(t)]).sort(([x], [y]) => x!.localeCompare(y!)))

export interface HostView {
  host: string
  /** Every top-level entry of the conf dir but .flinkctl: name -> sha256, or 'not a file'. */
  files: Record<string, string>
  /** The entries of .flinkctl (staging dirs, journal, manifest, prev). */
  state: string[]
}

/**
 * Reads a host's conf dir while holding the push lock (flock on <conf>/.flinkctl), so a commit
 * that was under way when flinkctl died has finished: what we see is what Flink would read.
 */
export async function readHost(g: Ground, host: string, confDir: string): Promise<HostView> {
  const dir = quoteArg(confDir)
  const script = `cd ${dir} || exit 1
list() {
  for f in * .[!.]* ..?*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    [ "$f" = .flinkctl ] && continue
    if [ -f "$f" ]; then printf 'F %s %s\\n' "$(sha256sum < "$f" | cut -c1-64)" "$f"; else printf 'F other %s\\n' "$f"; fi
  done
  if [ -d .flinkctl ]; then ls -A .flinkctl | sed 's/^/S /'; fi
}
if [ -d .flinkctl ]; then exec 8<.flinkctl; flock -w 120 8 || exit 3; fi
list`
  const r = await g.ssh(host, `sh -c ${quoteArg(script)}`)
  if (r.code !== 0) throw new Error(`${host}: reading ${confDir} failed (${r.code}): ${r.stderr}`)
  const view: HostView = {host, files: {}, state: []}
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('F ')) {
      const [, h, ...name] = line.split(' ')
      view.files[name.join(' ')] = h!
    } else if (line.startsWith('S ')) view.state.push(line.slice(2))
  }
  view.files = Object.fromEntries(Object.entries(view.files).sort(([x], [y]) => x.localeCompare(y)))
  return view
}

export const same = (x: Record<string, string>, y: Record<string, string>): boolean => JSON.stringify(x) === JSON.stringify(y)

/** Spawns flinkctl with args and SIGKILLs it after delayMs (unless it ended before). */
export function runAndKill(args: string[], delayMs: number | undefined): Promise<{killed: boolean; code: number | null; ms: number; stderr: string}> {
  return new Promise((resolve) => {
    const started = performance.now()
    const child = spawn(process.execPath, [FLINKCTL_BIN, ...args], {cwd: repoRoot, env: {...process.env, FLINK_CONF_DIR: undefined, FLINK_HOME: undefined, NO_COLOR: '1'}, stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    let killed = false
    const timer = delayMs === undefined ? undefined : setTimeout(() => { killed = child.kill('SIGKILL') }, delayMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({killed: killed && code === null, code, ms: Math.round(performance.now() - started), stderr})
    })
  })
}

/** A delay in [startMs, 1.1 × totalMs). */
export const killDelay = (random: () => number, startMs: number, totalMs: number): number => {
  const from = Math.min(startMs, totalMs)
  return Math.round(from + random() * (1.1 * totalMs - from))
}

export interface KillRound {
  round: number
  target: 'a' | 'b'
  delayMs: number
  killed: boolean
  /** Hosts holding A, holding B, holding anything else (the failure). */
  onA: string[]
  onB: string[]
  mixed: HostView[]
  /** Hosts with a journal left after the commit step was free: an interrupted commit. */
  journals: string[]
}

/**
 * rounds kills: each pushes the other set than the round before, and is SIGKILLed after a delay
 * drawn uniformly from [startMs, 1.1 × pushMs): startMs is what flinkctl needs before it reaches
 * any host (Node, oclif, loading and validating the conf: measured as `validate`), since a kill
 * before that proves nothing. Returns one record per round.
 */
export async function killRounds(o: {g: Ground; hosts: readonly string[]; confDir: string; sets: {a: FileSet; b: FileSet}; args: string[]; rounds: number; seed: number; pushMs: number; startMs: number; onRound?: (r: KillRound) => void}): Promise<KillRound[]> {
  const random = rng(o.seed)
  const da = digest(o.sets.a)
  const db = digest(o.sets.b)
  const out: KillRound[] = []
  let target: 'a' | 'b' = 'b'
  for (let round = 1; round <= o.rounds; round++) {
    writeSet(o.confDir, o.sets[target])
    const delayMs = killDelay(random, o.startMs, o.pushMs)
    const run = await runAndKill(['config', 'push', '--conf-dir', o.confDir, ...o.args], delayMs)
    const views = await Promise.all(o.hosts.map((h) => readHost(o.g, h, o.confDir)))
    const r: KillRound = {
      round, target, delayMs, killed: run.killed,
      onA: views.filter((v) => same(v.files, da)).map((v) => v.host),
      onB: views.filter((v) => same(v.files, db)).map((v) => v.host),
      mixed: views.filter((v) => !same(v.files, da) && !same(v.files, db)),
      journals: views.filter((v) => v.state.includes('journal')).map((v) => v.host),
    }
    out.push(r)
    o.onRound?.(r)
    // alternate, so that every round has hosts to switch (those the last round left on the other set)
    target = target === 'a' ? 'b' : 'a'
  }
  return out
}
