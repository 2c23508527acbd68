import {Flags} from '@oclif/core'
import {withSession} from '../../lib/cluster/session.ts'
import {diffConfig} from '../../lib/cluster/sync.ts'
import {ExitCode, OutcomeError} from '../../lib/errors.ts'
import {BaseCommand, confFlags} from '../../lib/output/base-command.ts'
import {outcomeFailure, stderrEmitter} from '../../lib/output/cluster.ts'
import {reachFlags, reachOptions} from '../../lib/output/remote-flags.ts'

export default class ConfigDiff extends BaseCommand<typeof ConfigDiff> {
  static override summary = "Show which hosts' conf dir differs from the bastion's copy, and how (secrets redacted)."
  static override description = `A unified diff per file and host, as a push would change it: the host's copy is ---, the bastion's +++. Binary and key files are compared by size and hash only. Files only on the host are listed, not diffed.
Exit codes: 0 every host has the bastion's copy, 7 some differ, 4 some hosts unreachable, 6 none reachable.`
  static override examples = [
    {command: '<%= config.bin %> config diff --conf-dir conf', description: 'Which hosts are out of date, and how.'},
    {command: "<%= config.bin %> config diff --json | jq '.result.differing'", description: 'Just the hosts that differ.'},
  ]
  static override flags = {
    ...confFlags,
    ...reachFlags,
    host: Flags.string({description: 'Only this host (repeatable).', multiple: true}),
  }

  async run() {
    const {flags} = this
    const report = await withSession(this.loadConf(), reachOptions(flags), stderrEmitter(this.err), (s) => diffConfig(s, {hosts: flags.host}))
    for (const h of report.hosts) {
      if (!h.ok) {
        this.say(`${this.out.red(h.host)}: ${h.error?.message}`)
        continue
      }
      if (h.skipped) continue
      const missing = h.missingRemote ?? []
      if ((h.differs?.length ?? 0) === 0 && missing.length === 0) {
        this.say(`${this.out.green(h.host)}: same as the bastion`)
        continue
      }
      this.say(this.out.bold(`${h.host}:`))
      for (const m of missing) this.say(`  missing on the host: ${m}`)
      for (const d of h.differs ?? []) {
        if (d.unifiedDiff) this.say(d.unifiedDiff.replace(/\n$/, '').split('\n').map((l) => `  ${l.startsWith('+') ? this.out.green(l) : l.startsWith('-') ? this.out.red(l) : l}`).join('\n'))
        else this.say(`  ${d.name}: ${d.note ?? (d.mode && !d.content ? `mode ${d.modeLocal} here, ${d.modeRemote} there` : 'differs')}`)
      }
    }
    if (report.exit === ExitCode.CheckFailed) {
      throw new OutcomeError(`${report.differing.length} host(s) differ from ${report.confDir}: ${report.differing.join(', ')}`, {
        code: 'CONF_DIFFERS', exit: ExitCode.CheckFailed, hint: 'run `flinkctl config push` to bring them in line', result: report,
      })
    }
    const problems = report.hosts.filter((h) => !h.ok).map((h) => ({host: h.host, code: h.error!.code, message: h.error!.message, hint: h.error!.hint}))
    const failure = outcomeFailure('config diff', report.exit, problems, report)
    if (failure) throw failure
    return report
  }
}
