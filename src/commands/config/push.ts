import {Flags} from '@oclif/core'
import {withSession} from '../../lib/cluster/session.ts'
import {pushConfig} from '../../lib/cluster/sync.ts'
import {BaseCommand, confFlags} from '../../lib/output/base-command.ts'
import {outcomeFailure, stderrEmitter} from '../../lib/output/cluster.ts'
import {reachFlags, reachOptions} from '../../lib/output/remote-flags.ts'
import {table} from '../../lib/output/table.ts'

export default class ConfigPush extends BaseCommand<typeof ConfigPush> {
  static override summary = "Copy the conf dir to the same path on every host of the configuration (changed files only, atomically)."
  static override description = `The configuration is validated first: with errors nothing is pushed. Per host the whole file set switches at once: every changed file is staged in <conf>/.flinkctl/, checked by hash, then one host-side step renames them all into place from a journal (a push killed half-way is completed by the next one); unchanged files are not touched; replaced versions are kept in <conf>/.flinkctl/prev/; permissions follow the bastion's copy. Files an earlier push wrote that the bastion no longer has are moved to prev/ too; files no push wrote are never deleted.
Exit codes: 0 pushed, 3 invalid configuration, 4 some hosts failed, 6 every host failed.`
  static override examples = [
    {command: '<%= config.bin %> config push --conf-dir conf', description: 'Push to every host of masters, workers and zoo.cfg.'},
    {command: '<%= config.bin %> config push --host tm1 --dry-run', description: 'What would change on tm1.'},
  ]
  static override flags = {
    ...confFlags,
    ...reachFlags,
    host: Flags.string({description: 'Only this host (repeatable).', multiple: true}),
    'dry-run': Flags.boolean({description: 'Compare and report; write nothing.'}),
  }

  async run() {
    const {flags} = this
    const report = await withSession(this.loadConf(), reachOptions(flags), stderrEmitter(this.err), (s) => pushConfig(s, {hosts: flags.host, dryRun: flags['dry-run']}))
    const rows = report.hosts.map((h) => [h.host, !h.ok ? this.out.red(`failed: ${h.error?.code}`) : h.skipped ? 'source itself' :
      [h.created.length ? `created ${h.created.join(' ')}` : '', h.updated.length ? `updated ${h.updated.join(' ')}` : '', h.modeChanged.length ? `mode ${h.modeChanged.join(' ')}` : '', h.removed?.length ? `removed ${h.removed.join(' ')}` : '']
        .filter(Boolean).join('; ') || 'up to date'])
    this.say(table(['HOST', report.dryRun ? 'WOULD CHANGE' : 'CHANGED'], rows, this.out))
    const problems = report.hosts.filter((h) => !h.ok).map((h) => ({host: h.host, code: h.error!.code, message: h.error!.message, hint: h.error!.hint}))
    const failure = outcomeFailure('config push', report.exit, problems, report)
    if (failure) throw failure
    return report
  }
}
