import {Flags} from '@oclif/core'
import {daemonState, startDaemon, startDaemonForeground, stopDaemon, type DaemonRequest} from '../cluster/daemon-ops.ts'
import {withSession} from '../cluster/session.ts'
import type {ClusterConf} from '../conf/types.ts'
import {ExitCode} from '../errors.ts'
import {outcomeFailure, renderStart, renderStop, stderrEmitter} from './cluster.ts'
import {confFlags} from './base-command.ts'
import {planJson, renderPlans} from './plans.ts'
import {durationFlag, reachFlags, reachOptions} from './remote-flags.ts'
import type {Style} from './style.ts'
import {table} from './table.ts'

export const DAEMON_ACTIONS = ['start', 'start-foreground', 'stop', 'stop-all', 'status'] as const

/** Flags shared by jobmanager, taskmanager, zookeeper and historyserver. */
export const daemonFlags = {
  ...confFlags,
  ...reachFlags,
  host: Flags.string({description: 'Host to act on (default: this machine; for zookeeper: the host of server.N).'}),
  'dry-run': Flags.boolean({description: 'Print the plan; touch nothing.'}),
  push: Flags.boolean({description: 'Push the conf dir to the host before starting (--no-push to skip).', default: true, allowNo: true}),
  user: Flags.string({description: 'User the daemon runs as on the host (FLINK_IDENT_STRING; default: the SSH user).'}),
  grace: Flags.string({description: 'stop: wait this long after SIGTERM before SIGKILL (default 10s).'}),
}

export interface DaemonCommandIo {
  say: (text: string) => void
  out: Style
  err: Style
  json: boolean
}

/** One implementation of every daemon command's actions; the commands only map their arguments. */
export async function runDaemonAction(conf: ClusterConf, action: string, req: DaemonRequest, flags: Parameters<typeof reachOptions>[0] & {grace?: string}, io: DaemonCommandIo): Promise<unknown> {
  const emit = stderrEmitter(io.err)
  const request = {...req, graceMs: durationFlag('grace', flags.grace)}
  return withSession(conf, reachOptions(flags), emit, async (session) => {
    switch (action) {
      case 'start': {
        const r = await startDaemon(session, request)
        if (r.dryRun) io.say(renderPlans(r.plans, io.out))
        else io.say(renderStart({daemons: r.daemons}, io.out))
        const result = {...r, plans: r.plans.map(planJson)}
        const failure = outcomeFailure(`${req.daemon} start`, r.exit, r.failedHosts, result)
        if (failure) throw failure
        return result
      }
      case 'start-foreground': {
        const code = await startDaemonForeground(session, request)
        if (code !== 0) process.exitCode = code
        return {exit: code}
      }
      case 'stop':
      case 'stop-all': {
        const r = await stopDaemon(session, request, action === 'stop-all')
        io.say(renderStop({daemons: [r], failedHosts: [], exit: ExitCode.Ok}, io.out))
        const problems = r.error ? [{host: r.host, code: r.error.code, message: r.error.message, hint: r.error.hint}] :
          r.failed.map((pid) => ({host: r.host, code: 'STOP_FAILED', message: `pid ${pid} still runs after SIGKILL`}))
        const failure = outcomeFailure(`${req.daemon} ${action}`, problems.length ? ExitCode.Failed : ExitCode.Ok, problems, r)
        if (failure) throw failure
        return r
      }
      default: {
        const {host, state} = await daemonState(session, request)
        const rows = [...state.instances.map((i) => [host, String(i.pid), i.state, i.uptimeSeconds === undefined ? '-' : `${i.uptimeSeconds}s`]),
          ...state.unrecorded.map((u) => [host, String(u.pid), 'unrecorded', u.uptimeSeconds === undefined ? '-' : `${u.uptimeSeconds}s`])]
        io.say(rows.length ? table(['HOST', 'PID', 'STATE', 'UPTIME'], rows, io.out) : `no ${req.daemon} on ${host} (pid file ${state.pidFile})`)
        return {host, ...state}
      }
    }
  })
}
