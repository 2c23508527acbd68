// Shared checks of the fault tests: the exit code, no crash, the failing host's line and its
// --json entry, and fake daemons (a shell whose command line names Flink's main class, recorded
// in Flink's pid file) so that status and stop-cluster have something real to find without a JVM.
import assert from 'node:assert/strict'
import {explain, type CliResult} from './flinkctl.ts'
import type {Ground} from './ground-hosts.ts'

/** What a crash looks like on stderr: Node's unhandled errors and stack frames, flinkctl's internal error. */
const CRASH = /Unhandled|internal error|^\s+at .+(:\d+:\d+\)?|\(node:)|TypeError|ReferenceError|ERR_[A-Z_]+/m

/** FLINKCTL_FAULTS_SHOW=1 prints every line a check looked at (what the README's Faults table quotes). */
const show = (args: string[], line: string) => {
  if (process.env.FLINKCTL_FAULTS_SHOW) console.error(`# flinkctl ${args.filter((a) => !a.startsWith('/')).join(' ')}: ${line}`)
}

/** The run exited with `exit` and printed no stack trace. */
export function assertExit(args: string[], r: CliResult, exit: number): void {
  assert.equal(r.code, exit, explain(args, r))
  assert.doesNotMatch(r.stderr, CRASH, explain(args, r))
  if (args.includes('--json')) {
    assert.ok(r.json, `stdout is a JSON envelope\n${explain(args, r)}`)
    if (exit !== 0) assert.equal(r.json.error?.exit, exit, explain(args, r))
  }
}

/** The table row (stdout) of a host: the line that starts with its name. */
export function rowOf(args: string[], r: CliResult, host: string, daemon?: string): string {
  const row = r.stdout.split('\n').find((l) => l.startsWith(`${host} `) && (daemon === undefined || l.split(/\s+/)[1] === daemon))
  assert.ok(row, `a row for ${host}${daemon ? ` ${daemon}` : ''}\n${explain(args, r)}`)
  show(args, row)
  return row
}

/** A progress line on stderr for a host ("[h2] …"). */
export function stderrLineOf(args: string[], r: CliResult, host: string, re: RegExp): string {
  const line = r.stderr.split('\n').find((l) => l.startsWith(`[${host}] `) && re.test(l))
  assert.ok(line, `a stderr line for ${host} matching ${re}\n${explain(args, r)}`)
  show(args, line)
  return line
}

export interface HostEntry {
  host: string
  ok: boolean
  daemon?: string
  error?: {code: string; message: string; exit: number}
  [k: string]: unknown
}

/** The per-host entries of a --json result: result.hosts (status, config push) or result.daemons (start, stop). */
export function jsonEntries(args: string[], r: CliResult): HostEntry[] {
  const res = r.json?.result
  assert.ok(res, `--json has a result beside the error\n${explain(args, r)}`)
  const list = (res.daemons ?? res.hosts) as Array<Record<string, unknown>>
  assert.ok(Array.isArray(list), explain(args, r))
  return list.map((e) => ({...e, host: e.host as string, ok: e.ok === undefined ? e.reachable === true : e.ok === true}) as HostEntry)
}

/** The failing host's entry carries `code` and a message matching `cause`; every other host's entry is ok. */
export function assertJsonHosts(args: string[], r: CliResult, failing: string, code: string, cause: RegExp): HostEntry[] {
  const entries = jsonEntries(args, r)
  const bad = entries.filter((e) => e.host === failing)
  assert.ok(bad.length > 0, `an entry for ${failing}\n${explain(args, r)}`)
  for (const e of bad) {
    assert.equal(e.ok, false, explain(args, r))
    assert.equal(e.error?.code, code, explain(args, r))
    assert.match(e.error!.message, cause, explain(args, r))
  }
  for (const e of entries.filter((x) => x.host !== failing)) assert.equal(e.ok, true, `${e.host} is ok\n${explain(args, r)}`)
  return entries
}

export const TM_CLASS = 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner'
export const TM_PID_FILE = '/tmp/flink-root-taskexecutor.pid'
export const TERM_MARK = '/tmp/fake-taskexecutor.term'

/**
 * A fake TaskManager on a host: a shell loop whose command line holds the main class as a word,
 * its pid appended to Flink's pid file, as flink-daemon.sh records one. With ignoreTerm it writes
 * TERM_MARK on SIGTERM and keeps running (a daemon stuck in shutdown). Returns its pid there.
 */
export async function startFakeTm(ground: Ground, host: string, opts: {ignoreTerm?: boolean} = {}): Promise<number> {
  const body = opts.ignoreTerm ? `trap 'echo TERM >> ${TERM_MARK}' TERM; while :; do sleep 0.2; done` : 'while :; do sleep 0.2; done'
  const r = await ground.ssh(host, `rm -f ${TERM_MARK}; nohup sh -c '${body.replace(/'/g, `'\\''`)}' ${TM_CLASS} </dev/null >/dev/null 2>&1 & echo $! >> ${TM_PID_FILE}; echo $!`)
  assert.equal(r.code, 0, `${host}: fake TaskManager: ${r.stderr}`)
  return Number(r.stdout.trim())
}

/** Pids of the fake (or real) TaskManagers running on the host, from its own process table. */
export async function tmPids(ground: Ground, host: string): Promise<number[]> {
  const r = await ground.ssh(host, `pgrep -f ' [${TM_CLASS[0]}]${TM_CLASS.slice(1)}' || true`)
  assert.equal(r.code, 0, `${host}: pgrep: ${r.stderr}`)
  return r.stdout.split('\n').filter(Boolean).map(Number).sort((a, b) => a - b)
}

/** Ends every fake TaskManager on the host and forgets the pid file. */
export async function clearFakeTms(ground: Ground, host: string): Promise<void> {
  await ground.ssh(host, `pkill -KILL -f ' [${TM_CLASS[0]}]${TM_CLASS.slice(1)}'; rm -f ${TM_PID_FILE} ${TERM_MARK}; true`)
}
