import {Args, Flags} from '@oclif/core'
import {jobManagerPlans} from '../lib/cluster/plans.ts'
import {loadCluster} from '../lib/conf/load.ts'
import {UsageError} from '../lib/errors.ts'
import {BaseCommand, confFlags} from '../lib/output/base-command.ts'
import {planJson, renderPlans} from '../lib/output/plans.ts'

export default class JobManager extends BaseCommand<typeof JobManager> {
  static override summary = 'Start a JobManager (standalonesession) the way jobmanager.sh does; --dry-run prints the exact command per host.'
  static override description = `Without a host, plans one JobManager per line of conf/masters when ZooKeeper HA is on (as start-cluster.sh does), else one on localhost. Flink's positional form \`jobmanager start <host> <webui-port>\` works too.`
  static override examples = [
    {command: '<%= config.bin %> jobmanager start --dry-run --conf-dir conf', description: 'Show the command for every master.'},
    {command: '<%= config.bin %> jobmanager start jm1 8081 --dry-run', description: 'Flink\'s positional form: one JobManager on jm1 with web UI port 8081.'},
  ]
  static override args = {
    action: Args.string({description: 'what to do', options: ['start', 'start-foreground'], required: true}),
    host: Args.string({description: 'host to start on (default: every master)'}),
    'webui-port': Args.integer({description: 'REST/web UI port for that JobManager', min: 0, max: 65535}),
  }
  static override flags = {
    ...confFlags,
    host: Flags.string({description: 'Host to start on (same as the positional host).'}),
    'webui-port': Flags.integer({description: 'REST/web UI port (same as the positional port).', min: 0, max: 65535}),
    'dry-run': Flags.boolean({description: 'Print the plan per host; touch nothing.'}),
    user: Flags.string({description: 'User the daemon runs as on the hosts (FLINK_IDENT_STRING; default: $USER).'}),
  }

  async run(): Promise<{plans: unknown[]}> {
    const {flags, args} = this
    if (!flags['dry-run']) {
      throw new UsageError('starting daemons on hosts is not available in this version; only --dry-run plans are', 'add --dry-run to see the exact command per host')
    }
    const conf = loadCluster({confDir: flags['conf-dir'], flinkHome: flags['flink-home'], flinkVersion: flags['flink-version'], dynamic: flags.dynamic})
    const plans = jobManagerPlans(conf, {
      host: flags.host ?? args.host,
      webuiPort: flags['webui-port'] ?? args['webui-port'],
      userArgs: (flags.dynamic ?? []).flatMap((d) => ['-D', d]),
      foreground: args.action === 'start-foreground',
      user: flags.user,
    })
    this.say(renderPlans(plans, this.out))
    return {plans: plans.map(planJson)}
  }
}
