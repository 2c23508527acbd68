import {Flags} from '@oclif/core'
import {stopQuorum} from '../lib/cluster/ops.ts'
import {withSession} from '../lib/cluster/session.ts'
import {confFlags, BaseCommand} from '../lib/output/base-command.ts'
import {outcomeFailure, renderStop, stderrEmitter} from '../lib/output/cluster.ts'
import {durationFlag, reachFlags, reachOptions} from '../lib/output/remote-flags.ts'

export default class StopZooKeeperQuorum extends BaseCommand<typeof StopZooKeeperQuorum> {
  static override summary = 'Stop every ZooKeeper peer on the server.N hosts of conf/zoo.cfg.'
  static override description = `Stops every instance recorded in the pid files (not only the newest, as Flink's scripts do), including daemons started by Flink's own scripts. A process is signalled only when its pid AND command line match: a pid reused by another program is never killed. SIGTERM, then SIGKILL after --grace; the pid entry is removed once the process is gone.
Exit codes: 0 stopped, 4 some hosts failed, 6 every host failed.`
  static override examples = [
    {command: '<%= config.bin %> stop-zookeeper-quorum --conf-dir conf', description: 'Stop the quorum.'},
    {command: '<%= config.bin %> stop-zookeeper-quorum --grace 30s --json', description: 'Give each JVM 30 s after SIGTERM; JSON report per host.'},
  ]
  static override flags = {
    ...confFlags,
    ...reachFlags,
    grace: Flags.string({description: 'Wait this long after SIGTERM before SIGKILL (default 10s, as Flink).'}),
    user: Flags.string({description: 'User the daemons run as (FLINK_IDENT_STRING; default: the SSH user).'}),
  }

  async run() {
    const {flags} = this
    const conf = this.loadConf()
    const report = await withSession(conf, reachOptions(flags), stderrEmitter(this.err), (session) =>
      stopQuorum(session, {user: flags.user, graceMs: durationFlag('grace', flags.grace)}))
    this.say(renderStop(report, this.out))
    const failure = outcomeFailure('stop-zookeeper-quorum', report.exit, report.failedHosts, report)
    if (failure) throw failure
    return report
  }
}
