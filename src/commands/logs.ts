import {Flags} from '@oclif/core'
import {withSession} from '../lib/cluster/session.ts'
import {collectLogs, followAllLogs} from '../lib/cluster/sync.ts'
import {DAEMON_TYPES, type DaemonType} from '../lib/launch/plan.ts'
import {BaseCommand, confFlags} from '../lib/output/base-command.ts'
import {outcomeFailure, stderrEmitter} from '../lib/output/cluster.ts'
import {reachFlags, reachOptions} from '../lib/output/remote-flags.ts'

const DAEMON_ALIASES: Record<string, DaemonType> = {jobmanager: 'standalonesession', taskmanager: 'taskexecutor', zk: 'zookeeper'}

export default class Logs extends BaseCommand<typeof Logs> {
  static override summary = "Tail or follow the daemons' logs on every host, each line prefixed by its host."
  static override description = `Finds Flink's log files (flink-<user>-<daemon>-<n>-<host>.log) in the log dir of every host of the configuration and prints their last lines, or follows them (-f) until Ctrl-C. Secret values are redacted.
Exit codes: 0 done, 4 some hosts unreachable, 6 none reachable.`
  static override examples = [
    {command: '<%= config.bin %> logs -n 20', description: 'The last 20 lines of every daemon log on every host.'},
    {command: '<%= config.bin %> logs --host tm1 --daemon taskmanager -f', description: "Follow tm1's TaskManager logs."},
    {command: '<%= config.bin %> logs --daemon jobmanager --out --json', description: 'JobManager .log and .out tails as JSON.'},
  ]
  static override flags = {
    ...confFlags,
    ...reachFlags,
    host: Flags.string({description: 'Only this host (repeatable).', multiple: true}),
    daemon: Flags.string({description: 'Only this daemon: jobmanager, taskmanager, zookeeper, historyserver (or Flink\'s names; repeatable).', multiple: true}),
    lines: Flags.integer({char: 'n', description: 'Lines per file (default 10).', default: 10, min: 0}),
    follow: Flags.boolean({char: 'f', description: 'Keep printing new lines until interrupted.'}),
    out: Flags.boolean({description: 'Also the .out files (stdout/stderr of the JVMs).'}),
    user: Flags.string({description: 'Only logs of this FLINK_IDENT_STRING.'}),
  }

  async run() {
    const {flags} = this
    const daemons = flags.daemon?.map((d) => {
      const t = DAEMON_ALIASES[d] ?? d
      if (!DAEMON_TYPES.includes(t as DaemonType)) this.error(`unknown daemon '${d}': use jobmanager, taskmanager, zookeeper or historyserver`, {exit: 2})
      return t as DaemonType
    })
    const req = {hosts: flags.host, daemons, lines: flags.lines, out: flags.out, user: flags.user}
    const tag = (host: string) => this.out.cyan(`[${host}]`)
    if (flags.follow) {
      const abort = new AbortController()
      const stop = () => abort.abort()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      const r = await withSession(this.loadConf(), reachOptions(flags), stderrEmitter(this.err), (s) =>
        followAllLogs(s, req, abort.signal, (host, file, line) => {
          if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({host, file: file.path, line})}\n`)
          else process.stdout.write(`${tag(host)} ${file.name}: ${line}\n`)
        }))
      process.exitCode = r.exit
      return undefined
    }
    const report = await withSession(this.loadConf(), reachOptions(flags), stderrEmitter(this.err), (s) => collectLogs(s, req))
    for (const h of report.hosts) {
      if (!h.ok) this.progress(`${tag(h.host)} ${this.err.red(h.error?.message ?? 'failed')}`)
      for (const f of h.files) for (const line of f.lines) this.say(`${tag(h.host)} ${f.file.name}: ${line}`)
    }
    const result = {hosts: report.hosts.map((h) => ({host: h.host, ok: h.ok, error: h.error, files: h.files.map((f) => ({path: f.file.path, daemon: f.file.daemon, index: f.file.index, lines: f.lines, error: f.error}))}))}
    const problems = report.hosts.filter((h) => !h.ok).map((h) => ({host: h.host, code: h.error!.code, message: h.error!.message, hint: h.error!.hint}))
    const failure = outcomeFailure('logs', report.exit, problems, result)
    if (failure) throw failure
    return result
  }
}
