import {resolve} from 'node:path'
import {Flags} from '@oclif/core'
import {distRoot, listDistributions, supportedVersions} from '../../lib/dist/index.ts'
import {BaseCommand} from '../../lib/output/base-command.ts'
import {displayPath} from '../../lib/output/findings.ts'

export default class DistList extends BaseCommand<typeof DistList> {
  static override summary = 'List the Flink distributions `flinkctl dist fetch` provided, and the versions it can assemble.'
  static override description = 'State: ready (usable as FLINK_HOME), stale (assembled by an older recipe; `dist fetch` rebuilds it), incomplete (not made by flinkctl, or broken).'
  static override examples = [
    {command: '<%= config.bin %> dist list', description: 'Distributions in ~/.cache/flinkctl/dist.'},
    {command: '<%= config.bin %> dist list --dir /opt/flink --json', description: 'Machine-readable, for another directory.'},
  ]
  static override flags = {
    dir: Flags.string({char: 'd', description: 'Directory holding flink-<version>/ (default: $XDG_CACHE_HOME/flinkctl/dist, else ~/.cache/flinkctl/dist).'}),
  }

  async run() {
    const {flags} = this
    const root = resolve(flags.dir ?? distRoot())
    const distributions = listDistributions({dir: root})
    const supported = supportedVersions().map((s) => s.version)
    if (distributions.length === 0) {
      this.say(`no Flink distributions in ${displayPath(root)}`)
    } else {
      const rows = [['VERSION', 'STATE', 'SOURCE', 'HOME'], ...distributions.map((d) => [d.version, d.state, d.source, d.home])]
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
      for (const r of rows) this.say(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))
    }
    this.say(`assemblable with \`flinkctl dist fetch <version>\`: ${supported.join(', ')} (any version: --tarball FILE)`)
    return {root, supported, distributions}
  }
}
