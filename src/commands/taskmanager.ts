import {Args, Flags} from '@oclif/core'
import {taskManagerPlans} from '../lib/cluster/plans.ts'
import {loadCluster} from '../lib/conf/load.ts'
import {UsageError} from '../lib/errors.ts'
import {BaseCommand, confFlags} from '../lib/output/base-command.ts'
import {planJson, renderPlans} from '../lib/output/plans.ts'

export default class TaskManager extends BaseCommand<typeof TaskManager> {
  static override summary = 'Start a TaskManager (taskexecutor) the way taskmanager.sh does; --dry-run prints the exact command per host.'
  static override description = 'Without --host, plans one TaskManager per line of conf/workers (a host listed twice gets two).'
  static override examples = [
    {command: '<%= config.bin %> taskmanager start --dry-run --conf-dir conf', description: 'Show the command for every worker.'},
    {command: '<%= config.bin %> taskmanager start --host tm3 --dry-run -D taskmanager.numberOfTaskSlots=4', description: 'One TaskManager on tm3 with 4 slots.'},
  ]
  static override args = {
    action: Args.string({description: 'what to do', options: ['start', 'start-foreground'], required: true}),
    host: Args.string({description: 'host to start on (default: every worker)'}),
  }
  static override flags = {
    ...confFlags,
    host: Flags.string({description: 'Host to start on (same as the positional host).'}),
    'dry-run': Flags.boolean({description: 'Print the plan per host; touch nothing.'}),
    user: Flags.string({description: 'User the daemon runs as on the hosts (FLINK_IDENT_STRING; default: $USER).'}),
  }

  async run(): Promise<{plans: unknown[]}> {
    const {flags, args} = this
    if (!flags['dry-run']) {
      throw new UsageError('starting daemons on hosts is not available in this version; only --dry-run plans are', 'add --dry-run to see the exact command per host')
    }
    const conf = loadCluster({confDir: flags['conf-dir'], flinkHome: flags['flink-home'], flinkVersion: flags['flink-version'], dynamic: flags.dynamic})
    const plans = taskManagerPlans(conf, {
      host: flags.host ?? args.host,
      userArgs: (flags.dynamic ?? []).flatMap((d) => ['-D', d]),
      foreground: args.action === 'start-foreground',
      user: flags.user,
    })
    this.say(renderPlans(plans, this.out))
    return {plans: plans.map(planJson)}
  }
}
