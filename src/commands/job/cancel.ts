import {Args, Flags} from '@oclif/core'
import {withSession} from '../../lib/cluster/session.ts'
import {cancelJob, checkJobId} from '../../lib/job/index.ts'
import {BaseCommand, confFlags} from '../../lib/output/base-command.ts'
import {stderrEmitter} from '../../lib/output/cluster.ts'
import {renderCancel} from '../../lib/output/job.ts'
import {durationFlag, reachFlags, reachOptions, yarnSessionFlags} from '../../lib/output/remote-flags.ts'
import {yarnContext, yarnRestTarget} from '../../lib/yarn/index.ts'

export default class JobCancel extends BaseCommand<typeof JobCancel> {
  static override summary = 'Cancel a job and wait until it is CANCELED.'
  static override description = `Sends the cancel to the leading JobManager (PATCH /jobs/<id>?mode=cancel) and waits until the job ended. A job that has ended already is reported, not an error.
Exit codes: 0 ended, 2 not a job id (nothing sent), 5 not ended before --timeout, 6 no such job or no JobManager answered.`
  static override examples = [
    {command: '<%= config.bin %> job cancel 51cb08c8aec3e8da0b768336d50f63a9', description: 'Cancel and wait until CANCELED.'},
    {command: '<%= config.bin %> job cancel "$JOB" --no-wait --json', description: 'Return once the JobManager accepted the cancel.'},
    {command: '<%= config.bin %> job cancel $JOB --yarn-session smoke', description: 'Cancel a job of a YARN session.'},
  ]
  static override args = {
    id: Args.string({description: 'The job id (32 hex characters; see `flinkctl job list`).', required: true}),
  }
  static override flags = {
    ...confFlags,
    ...reachFlags,
    ...yarnSessionFlags,
    wait: Flags.boolean({description: 'Wait until the job ended (--no-wait returns once the cancel is accepted).', default: true, allowNo: true}),
    timeout: Flags.string({description: 'Give up waiting after this long, e.g. 60s (a bare number is seconds).', default: '60s'}),
  }

  async run() {
    const {args, flags} = this
    checkJobId(args.id)
    const timeoutMs = durationFlag('timeout', flags.timeout)
    const conf = this.loadConf()
    const rest = flags['yarn-session'] ? await yarnRestTarget(await yarnContext(conf, process.env, flags['rm-url']), flags['yarn-session'], {write: true}) : undefined
    const report = await withSession(conf, reachOptions(flags), stderrEmitter(this.err), (session) => cancelJob(session, args.id, {wait: flags.wait, timeoutMs, rest}))
    this.say(renderCancel(report, this.out))
    return report
  }
}
