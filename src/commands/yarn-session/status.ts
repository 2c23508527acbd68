import {Args} from '@oclif/core'
import {BaseCommand, confFlags} from '../../lib/output/base-command.ts'
import {rmUrlFlag} from '../../lib/output/remote-flags.ts'
import {renderStatus} from '../../lib/output/yarn.ts'
import {yarnContext, yarnSessionStatus} from '../../lib/yarn/index.ts'

export default class YarnSessionStatus extends BaseCommand<typeof YarnSessionStatus> {
  static override summary = 'Show one YARN session: state, attempts, JobManager address, TaskManagers, jobs.'
  static override description = `Finds the session by application id or by the name flinkctl tagged it with, then asks the ResourceManager (state, attempts, containers) and the session's JobManager (TaskManagers, slots, jobs, the HA cluster-id).
Exit codes: 0 shown, 3 no Hadoop configuration, 2 a name two running sessions carry (give the application id), 6 no such session or the ResourceManager does not answer.`
  static override examples = [
    {command: '<%= config.bin %> yarn-session status smoke', description: 'By the name given with -nm.'},
    {command: "<%= config.bin %> yarn-session status application_1700000000000_0001 --json | jq '.result.attempts'", description: 'How many ApplicationMaster attempts YARN made.'},
  ]
  static override args = {
    session: Args.string({description: 'Application id or session name.', required: true}),
  }
  static override flags = {
    ...confFlags,
    ...rmUrlFlag,
  }

  async run() {
    const ctx = await yarnContext(this.loadConfIfAny(), process.env, this.flags['rm-url'])
    const report = await yarnSessionStatus(ctx, this.args.session)
    this.say(renderStatus(report, this.out))
    return report
  }
}
