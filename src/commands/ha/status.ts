import {Flags} from '@oclif/core'
import {withSession} from '../../lib/cluster/session.ts'
import {haStatus} from '../../lib/ha/status.ts'
import {watchClusterHa} from '../../lib/ha/index.ts'
import {confFlags, BaseCommand} from '../../lib/output/base-command.ts'
import {stderrEmitter} from '../../lib/output/cluster.ts'
import {haChangeJson, haFailure, renderHaChange, renderHaStatus} from '../../lib/output/ha.ts'
import {durationFlag, reachFlags, reachOptions} from '../../lib/output/remote-flags.ts'

export default class HaStatus extends BaseCommand<typeof HaStatus> {
  static override summary = 'Show who leads the cluster (from ZooKeeper, checked against REST), the standbys, the quorum per peer and the jobs ZooKeeper will recover.'
  static override description = `Reads <root>/<cluster-id> in ZooKeeper (the 1.15+ layout and the older per-component one): the leader's REST and RPC addresses, its session id and since when it leads, the latch contenders, the job graphs and checkpoint counters. Asks the leader's REST API whether it answers, every masters entry whether a JobManager serves there, and every zoo.cfg peer its mode (srvr, or a client session where four-letter words are off).
With --watch, prints the state and then one line per change as ZooKeeper reports it (watches, not polling) until interrupted; with --json, one JSON object per line.
Exit codes: 0 all is well, 4 degraded (no standby, a peer or master down, leadership changing hands), 6 no leader or ZooKeeper unreadable, 3 HA not configured.`
  static override examples = [
    {command: '<%= config.bin %> ha status --conf-dir conf', description: 'Leader, standbys, quorum and jobs.'},
    {command: "<%= config.bin %> ha status --json | jq -r '.result.leader.restUrl'", description: 'The leading REST URL, for scripts.'},
    {command: '<%= config.bin %> ha status --watch', description: 'Stream leadership and job changes as they happen (Ctrl-C ends).'},
  ]
  static override flags = {
    ...confFlags,
    ...reachFlags,
    watch: Flags.boolean({char: 'w', description: 'Keep running and print each change of the HA state as ZooKeeper reports it.'}),
    duration: Flags.string({description: 'With --watch: stop after this long (e.g. 60s); default: until interrupted.'}),
  }

  async run() {
    const {flags} = this
    const conf = this.loadConf()
    if (flags.watch) {
      const stopAfter = durationFlag('duration', flags.duration)
      const ctl = new AbortController()
      const onSignal = () => ctl.abort()
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      const timer = stopAfter === undefined ? undefined : setTimeout(onSignal, stopAfter)
      try {
        const count = await watchClusterHa(conf, reachOptions(flags), ctl.signal, (c) => {
          if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(haChangeJson(c))}\n`)
          else this.say(renderHaChange(c, this.out))
        }, stderrEmitter(this.err))
        // --json streams its own lines; the envelope would break NDJSON consumers
        if (this.jsonEnabled()) this.exit(0)
        return {changes: count}
      } finally {
        if (timer) clearTimeout(timer)
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
    }
    const report = await withSession(conf, reachOptions(flags), stderrEmitter(this.err), (session) => haStatus(session))
    this.say(renderHaStatus(report, this.out))
    const failure = haFailure('ha status', report.exit, report.problems, report, 'see the lines marked ! above; `flinkctl status` shows the daemons per host')
    if (failure) throw failure
    return report
  }
}
