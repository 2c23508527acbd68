import {withSession} from '../../lib/cluster/session.ts'
import {listJobs} from '../../lib/job/index.ts'
import {BaseCommand, confFlags} from '../../lib/output/base-command.ts'
import {stderrEmitter} from '../../lib/output/cluster.ts'
import {renderJobs} from '../../lib/output/job.ts'
import {reachFlags, reachOptions, yarnSessionFlags} from '../../lib/output/remote-flags.ts'
import {yarnContext, yarnRestTarget} from '../../lib/yarn/index.ts'

export default class JobList extends BaseCommand<typeof JobList> {
  static override summary = 'List the jobs of the cluster: id, name, state, start, duration, tasks.'
  static override description = `Asks the leading JobManager (GET /jobs/overview): running jobs and those that ended recently (Flink forgets them after jobstore.expiration-time), newest first. Times are UTC.
Exit codes: 0 listed, 6 no JobManager answered.`
  static override examples = [
    {command: '<%= config.bin %> job list --conf-dir conf', description: 'A table of the jobs.'},
    {command: "<%= config.bin %> job list --json | jq -r '.result.jobs[] | select(.state == \"RUNNING\") | .id'", description: 'Ids of the running jobs, for scripts.'},
    {command: '<%= config.bin %> job list --yarn-session smoke', description: 'The jobs of the YARN session flinkctl started as smoke.'},
  ]
  static override flags = {
    ...confFlags,
    ...reachFlags,
    ...yarnSessionFlags,
  }

  async run() {
    const {flags} = this
    const conf = this.loadConf()
    const rest = flags['yarn-session'] ? await yarnRestTarget(await yarnContext(conf, process.env, flags['rm-url']), flags['yarn-session'], {write: false}) : undefined
    const report = await withSession(conf, reachOptions(flags), stderrEmitter(this.err), (session) => listJobs(session, {rest}))
    this.say(renderJobs(report, this.out))
    return report
  }
}
