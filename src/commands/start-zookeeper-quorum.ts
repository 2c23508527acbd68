import {Flags} from '@oclif/core'
import {startQuorum} from '../lib/cluster/ops.ts'
import {withSession} from '../lib/cluster/session.ts'
import {confFlags, BaseCommand} from '../lib/output/base-command.ts'
import {outcomeFailure, renderStart, stderrEmitter, startJson} from '../lib/output/cluster.ts'
import {renderPlans} from '../lib/output/plans.ts'
import {durationFlag, reachFlags, reachOptions, startFlags} from '../lib/output/remote-flags.ts'

export default class StartZooKeeperQuorum extends BaseCommand<typeof StartZooKeeperQuorum> {
  static override summary = 'Start one ZooKeeper peer per server.N line of conf/zoo.cfg and wait until the quorum has a leader.'
  static override description = `Runs Flink's FlinkZooKeeperQuorumPeer on each server.N host (it writes dataDir/myid with N), over SSH or locally. Peers that share a host get their own zoo-peer-N.cfg with their client port and data directory. Waits until every peer serves and one leads (four-letter word srvr, or a client connection where four-letter words are disabled).
Exit codes: 0 ready, 3 invalid configuration, 4 some hosts failed, 5 no leader before --timeout, 6 nothing started.`
  static override examples = [
    {command: '<%= config.bin %> start-zookeeper-quorum --conf-dir conf', description: 'Start the quorum of conf/zoo.cfg and wait for a leader.'},
    {command: '<%= config.bin %> start-zookeeper-quorum --dry-run', description: 'Show the command for every peer.'},
  ]
  static override flags = {
    ...confFlags,
    ...startFlags,
    ...reachFlags,
    user: Flags.string({description: 'User the peers run as on the hosts (FLINK_IDENT_STRING; default: the SSH user).'}),
  }

  async run() {
    const {flags} = this
    const conf = this.loadConf()
    const report = await withSession(conf, reachOptions(flags), stderrEmitter(this.err), (session) => startQuorum(session, {
      push: flags.push, wait: flags.wait, timeoutMs: durationFlag('timeout', flags.timeout)!, dryRun: flags['dry-run'], user: flags.user,
    }))
    if (report.dryRun) this.say(renderPlans(report.plans ?? [], this.out))
    else this.say(renderStart(report, this.out))
    const result = {...startJson(report), quorum: report.ready.quorum}
    const failure = outcomeFailure('start-zookeeper-quorum', report.exit, report.failedHosts, result, report.ready)
    if (failure) throw failure
    return result
  }
}
