import {stopCluster} from '../lib/cluster/ops.ts'
import {withSession} from '../lib/cluster/session.ts'
import {confFlags, BaseCommand} from '../lib/output/base-command.ts'
import {outcomeFailure, renderStop, stderrEmitter} from '../lib/output/cluster.ts'
import {durationFlag, reachOptions, stopFlags} from '../lib/output/remote-flags.ts'

export const STOP_DESCRIPTION = `Stops every instance recorded in the pid files (not only the newest, as Flink's scripts do), including daemons started by Flink's own scripts. A process is signalled only when its pid AND command line match: a pid reused by another program is never killed. SIGTERM, then SIGKILL after --grace; the pid entry is removed once the process is gone.
Exit codes: 0 stopped, 4 some hosts failed, 6 every host failed.`

export default class StopCluster extends BaseCommand<typeof StopCluster> {
  static override summary = 'Stop every TaskManager and JobManager on the hosts of conf/workers and conf/masters.'
  static override description = STOP_DESCRIPTION
  static override examples = [
    {command: '<%= config.bin %> stop-cluster --conf-dir conf', description: 'Stop the whole cluster.'},
    {command: '<%= config.bin %> stop-cluster --grace 30s --json', description: 'Give each JVM 30 s after SIGTERM; JSON report per host.'},
  ]
  static override flags = {...confFlags, ...stopFlags}

  async run() {
    const {flags} = this
    const report = await withSession(this.loadConf(), reachOptions(flags), stderrEmitter(this.err), (session) =>
      stopCluster(session, {user: flags.user, graceMs: durationFlag('grace', flags.grace)}))
    this.say(renderStop(report, this.out))
    const failure = outcomeFailure(this.id ?? 'stop-cluster', report.exit, report.failedHosts, report)
    if (failure) throw failure
    return report
  }
}
