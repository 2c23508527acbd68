import {Flags} from '@oclif/core'
import {BaseCommand, confFlags} from '../../lib/output/base-command.ts'
import {rmUrlFlag} from '../../lib/output/remote-flags.ts'
import {renderSessions} from '../../lib/output/yarn.ts'
import {listYarnSessions, yarnContext} from '../../lib/yarn/index.ts'

export default class YarnSessionList extends BaseCommand<typeof YarnSessionList> {
  static override summary = 'List the Flink sessions flinkctl started on YARN (found by their tag, not their name).'
  static override description = `Asks the ResourceManager's REST API for the applications tagged flinkctl: running ones, or with --all every one YARN still remembers.
Exit codes: 0 listed, 3 no Hadoop configuration, 6 the ResourceManager does not answer.`
  static override examples = [
    {command: '<%= config.bin %> yarn-session list', description: 'The running sessions.'},
    {command: "<%= config.bin %> yarn-session list --all --json | jq -r '.result.sessions[] | [.appId, .state] | @tsv'", description: 'Every session YARN remembers, for scripts.'},
  ]
  static override flags = {
    ...confFlags,
    all: Flags.boolean({description: 'Include sessions that ended.'}),
    ...rmUrlFlag,
  }

  async run() {
    const {flags} = this
    const ctx = await yarnContext(this.loadConfIfAny(), process.env, flags['rm-url'])
    const report = await listYarnSessions(ctx, {all: flags.all})
    this.say(renderSessions(report, this.out))
    return report
  }
}
