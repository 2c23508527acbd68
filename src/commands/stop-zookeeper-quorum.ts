import {stopQuorum} from '../lib/cluster/ops.ts'
import {withSession} from '../lib/cluster/session.ts'
import {confFlags, BaseCommand} from '../lib/output/base-command.ts'
import {outcomeFailure, renderStop, stderrEmitter} from '../lib/output/cluster.ts'
import {durationFlag, reachOptions, stopFlags} from '../lib/output/remote-flags.ts'
import {STOP_DESCRIPTION} from './stop-cluster.ts'

export default class StopZooKeeperQuorum extends BaseCommand<typeof StopZooKeeperQuorum> {
  static override summary = 'Stop every ZooKeeper peer on the server.N hosts of conf/zoo.cfg.'
  static override description = STOP_DESCRIPTION
  static override examples = [
    {command: '<%= config.bin %> stop-zookeeper-quorum --conf-dir conf', description: 'Stop the quorum.'},
    {command: '<%= config.bin %> stop-zookeeper-quorum --json', description: 'JSON report per host.'},
  ]
  static override flags = {...confFlags, ...stopFlags}

  async run() {
    const {flags} = this
    const report = await withSession(this.loadConf(), reachOptions(flags), stderrEmitter(this.err), (session) =>
      stopQuorum(session, {user: flags.user, graceMs: durationFlag('grace', flags.grace)}))
    this.say(renderStop(report, this.out))
    const failure = outcomeFailure(this.id ?? 'stop-zookeeper-quorum', report.exit, report.failedHosts, report)
    if (failure) throw failure
    return report
  }
}
