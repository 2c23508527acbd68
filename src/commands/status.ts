import {Flags} from '@oclif/core'
import {clusterStatus} from '../lib/cluster/ops.ts'
import {withSession} from '../lib/cluster/session.ts'
import {confFlags, BaseCommand} from '../lib/output/base-command.ts'
import {outcomeFailure, renderStatus, stderrEmitter} from '../lib/output/cluster.ts'
import {reachFlags, reachOptions} from '../lib/output/remote-flags.ts'

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Show every host and daemon of the conf, the leading JobManager, registered TaskManagers and the quorum.'
  static override description = `Asks every host of masters, workers and zoo.cfg (one round trip each, in parallel) which daemons run there: pid, state, uptime, identified by pid and command line. Reads the leader from ZooKeeper (rest_server leader information), TaskManagers and slots from the REST API, and each ZooKeeper peer's mode.
Exit codes: 0 every host answered, 4 some hosts unreachable, 6 none reachable.`
  static override examples = [
    {command: '<%= config.bin %> status --conf-dir conf', description: 'A table of hosts and daemons, then the leader, TaskManagers and quorum.'},
    {command: "<%= config.bin %> status --json | jq -r '.result.jobmanager.leader.host'", description: 'Which host leads, for scripts.'},
  ]
  static override flags = {
    ...confFlags,
    ...reachFlags,
    user: Flags.string({description: 'User the daemons run as (FLINK_IDENT_STRING; default: the SSH user).'}),
  }

  async run() {
    const {flags} = this
    const conf = this.loadConf()
    const report = await withSession(conf, reachOptions(flags), stderrEmitter(this.err), (session) => clusterStatus(session, {user: flags.user}))
    this.say(renderStatus(report, this.out))
    const problems = report.hosts.filter((h) => !h.reachable).map((h) => ({host: h.host, code: h.error?.code ?? 'UNREACHABLE', message: h.error?.message ?? 'unreachable', hint: h.error?.hint}))
    const failure = outcomeFailure('status', report.exit, problems, report)
    if (failure) throw failure
    return report
  }
}
