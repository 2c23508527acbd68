import {Args, Flags} from '@oclif/core'
import {jobManagerPlans} from '../lib/cluster/plans.ts'
import {BaseCommand} from '../lib/output/base-command.ts'
import {planFlags, planRequest, requireDryRun, showPlans} from '../lib/output/plan-command.ts'

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
    ...planFlags,
    'webui-port': Flags.integer({description: 'REST/web UI port (same as the positional port).', min: 0, max: 65535}),
  }

  async run() {
    const {flags, args} = this
    requireDryRun(flags['dry-run'])
    const request = {...planRequest(flags, args.action, flags.host ?? args.host), webuiPort: flags['webui-port'] ?? args['webui-port']}
    return showPlans(jobManagerPlans(this.loadConf(), request), (t) => this.say(t), this.out)
  }
}
