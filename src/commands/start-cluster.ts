import {Flags} from '@oclif/core'
import {withSession} from '../lib/cluster/session.ts'
import {confFlags, BaseCommand} from '../lib/output/base-command.ts'
import {outcomeFailure, renderStart, stderrEmitter, startJson} from '../lib/output/cluster.ts'
import {renderPlans} from '../lib/output/plans.ts'
import {PreflightFailed, startClusterChecked} from '../lib/preflight/index.ts'
import {renderPreflight} from '../lib/output/preflight.ts'
import {durationFlag, reachFlags, reachOptions, startFlags} from '../lib/output/remote-flags.ts'

export default class StartCluster extends BaseCommand<typeof StartCluster> {
  static override summary = 'Start the JobManagers (conf/masters) and TaskManagers (conf/workers), and wait until the cluster is ready.'
  static override description = `Validates the configuration (nothing is touched when it has errors), pushes the conf dir to every host, starts one JobManager per masters line with ZooKeeper HA (else one on this machine), then one TaskManager per workers line, in parallel, over SSH (hosts named localhost run without SSH).
Starting is idempotent: a host where the wanted daemons already run is left alone. By default it waits until a JobManager leads, the REST API answers and as many TaskManagers registered as workers has lines.
Exit codes: 0 ready, 3 invalid configuration, 4 some hosts failed (the others keep running; with --preflight: a check failed and nothing was started), 5 not ready before --timeout, 6 nothing started.`
  static override examples = [
    {command: '<%= config.bin %> start-cluster --conf-dir conf', description: 'Start the cluster described by conf/ and wait until it is ready.'},
    {command: '<%= config.bin %> start-cluster --dry-run', description: 'Print the exact command per host; touch nothing.'},
    {command: '<%= config.bin %> start-cluster --preflight', description: 'Check every host first (Java, lib/, ports, clock, names, disk); start only when nothing failed.'},
    {command: '<%= config.bin %> start-cluster --no-wait --no-push --json', description: 'Launch only, as CI scripts may prefer, with a JSON report on stdout.'},
  ]
  static override flags = {
    ...confFlags,
    ...startFlags,
    ...reachFlags,
    user: Flags.string({description: 'User the daemons run as on the hosts (FLINK_IDENT_STRING; default: the SSH user).'}),
    preflight: Flags.boolean({description: 'Run `flinkctl preflight` first and start nothing when a check fails (warnings are printed and do not stop).', default: false}),
  }

  async run() {
    const {flags} = this
    const conf = this.loadConf()
    const emit = stderrEmitter(this.err)
    const report = await withSession(conf, reachOptions(flags), emit, (session) => startClusterChecked(session, {preflight: flags.preflight,
      push: flags.push, wait: flags.wait, timeoutMs: durationFlag('timeout', flags.timeout)!, dryRun: flags['dry-run'], user: flags.user, userArgs: (flags.dynamic ?? []).flatMap((d) => ['-D', d]),
    })).catch((err: unknown) => {
      // the checks' table, then the error naming the first one
      if (err instanceof PreflightFailed) this.say(renderPreflight(err.report, this.out))
      throw err
    })
    if (report.dryRun) this.say(renderPlans(report.plans ?? [], this.out))
    else this.say(renderStart(report, this.out))
    const result = startJson(report)
    const failure = outcomeFailure('start-cluster', report.exit, report.failedHosts, result, report.ready)
    if (failure) throw failure
    return result
  }
}
