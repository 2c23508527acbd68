import {Args, Flags} from '@oclif/core'
import {BaseCommand, confFlags} from '../../lib/output/base-command.ts'
import {stderrEmitter} from '../../lib/output/cluster.ts'
import {durationFlag, rmUrlFlag} from '../../lib/output/remote-flags.ts'
import {renderStop} from '../../lib/output/yarn.ts'
import {stopYarnSession, yarnContext} from '../../lib/yarn/index.ts'

export default class YarnSessionStop extends BaseCommand<typeof YarnSessionStop> {
  static override summary = 'Stop a YARN session cleanly: Flink shuts it down (DELETE /cluster); YARN kills it only if that fails. Says which it did.'
  static override description = `Finds the session by application id or name, asks its JobManager to shut the cluster down (jobs are cancelled, HA data removed, the application unregisters as FINISHED), and waits --grace for the application to end. If the JobManager does not answer or the application does not end, asks the ResourceManager to kill it.
Exit codes: 0 ended (or had ended), 3 no Hadoop configuration, 5 still running after --timeout, 2 a name two running sessions carry (give the application id), 6 no such session or the ResourceManager does not answer.`
  static override examples = [
    {command: '<%= config.bin %> yarn-session stop smoke', description: 'By name.'},
    {command: "<%= config.bin %> yarn-session stop application_1700000000000_0001 --json | jq -r '.result.method'", description: 'rest or yarn-kill: how it ended.'},
  ]
  static override args = {
    session: Args.string({description: 'Application id or session name.', required: true}),
  }
  static override flags = {
    ...confFlags,
    grace: Flags.string({description: 'How long Flink gets to end the application before YARN kills it.', default: '60s'}),
    timeout: Flags.string({description: 'How long to wait for YARN\'s kill to take effect.', default: '60s'}),
    ...rmUrlFlag,
  }

  async run() {
    const {flags} = this
    const ctx = await yarnContext(this.loadConfIfAny(), process.env, flags['rm-url'])
    const report = await stopYarnSession(ctx, this.args.session, {graceMs: durationFlag('grace', flags.grace)!, timeoutMs: durationFlag('timeout', flags.timeout)!}, stderrEmitter(this.err))
    this.say(renderStop(report, this.out))
    return report
  }
}
