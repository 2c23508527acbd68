import {Args} from '@oclif/core'
import {taskManagerPlans} from '../lib/cluster/plans.ts'
import {BaseCommand} from '../lib/output/base-command.ts'
import {planFlags, planRequest, requireDryRun, showPlans} from '../lib/output/plan-command.ts'

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
  static override flags = planFlags

  async run() {
    const {flags, args} = this
    requireDryRun(flags['dry-run'])
    return showPlans(taskManagerPlans(this.loadConf(), planRequest(flags, args.action, flags.host ?? args.host)), (t) => this.say(t), this.out)
  }
}
