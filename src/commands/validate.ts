import {Flags} from '@oclif/core'
import {loadCluster} from '../lib/conf/load.ts'
import {ConfigError} from '../lib/errors.ts'
import {BaseCommand, confFlags} from '../lib/output/base-command.ts'
import {displayPath, findingJson, renderFindings} from '../lib/output/findings.ts'
import {validateCluster, type ValidationReport} from '../lib/validate/index.ts'

export default class Validate extends BaseCommand<typeof Validate> {
  static override summary = 'Check a Flink configuration (HA keys, quorum, masters, zoo.cfg, types, typos) before any host is touched.'
  static override description = `Reads flink-conf.yaml or config.yaml (as the detected Flink version would), masters, workers, zoo.cfg and $HADOOP_CONF_DIR/yarn-site.xml, and reports every problem with file:line:col, a rule id and a hint. Exits 3 when there is an error; warnings alone exit 0 unless --strict.

Pass --conf-dir several times to validate clusters together: two clusters that would share a ZooKeeper path are reported.`
  static override examples = [
    {command: '<%= config.bin %> validate --conf-dir conf', description: 'Validate the example local HA cluster.'},
    {command: '<%= config.bin %> validate --conf-dir /opt/flink/conf --flink-version 1.20.1 --json', description: 'Machine-readable findings for CI.'},
    {command: '<%= config.bin %> validate -c prod-a/conf -c prod-b/conf', description: 'Catch two clusters sharing one ZooKeeper cluster-id.'},
  ]
  static override flags = {
    ...confFlags,
    'conf-dir': Flags.directory({char: 'c', description: 'Flink configuration directory (repeatable; default: $FLINK_CONF_DIR, else $FLINK_HOME/conf).', multiple: true, helpGroup: 'CONFIGURATION'}),
    strict: Flags.boolean({description: 'Treat warnings as errors (exit 3).'}),
    quiet: Flags.boolean({char: 'q', description: 'Print errors only.'}),
  }

  async run(): Promise<{clusters: unknown[]; errors: number; warnings: number}> {
    const {flags} = this
    const dirs = flags['conf-dir'] ?? [undefined]
    const confs = dirs.map((confDir) =>
      loadCluster({confDir, flinkHome: flags['flink-home'], flinkVersion: flags['flink-version'], dynamic: flags.dynamic}))
    const reports: ValidationReport[] = confs.map((c) => validateCluster(c, confs))
    for (const report of reports) {
      const shown = report.findings.filter((f) => !flags.quiet || f.severity === 'error')
      const head = `${displayPath(report.configFile ?? report.confDir)} (Flink ${report.flinkVersion ?? 'version unknown'})`
      if (shown.length > 0) this.say(`${this.out.bold(head)}\n${renderFindings(shown, this.out)}`)
      this.say(`${head}: ${report.errors} error(s), ${report.warnings} warning(s)`)
    }
    const errors = reports.reduce((n, r) => n + r.errors, 0)
    const warnings = reports.reduce((n, r) => n + r.warnings, 0)
    const result = {
      clusters: reports.map((r) => ({...r, confDir: displayPath(r.confDir), configFile: r.configFile && displayPath(r.configFile), findings: r.findings.map(findingJson)})),
      errors,
      warnings,
    }
    if (errors > 0 || (flags.strict && warnings > 0)) {
      const first = reports.flatMap((r) => r.findings).find((f) => f.severity === 'error' || flags.strict)
      throw new ConfigError(`configuration is invalid: ${errors} error(s)${flags.strict ? `, ${warnings} warning(s)` : ''}`, {
        code: 'CONFIG_INVALID',
        hint: first ? `start with ${first.rule}: ${first.hint}` : 'fix the findings above',
        details: result,
      })
    }
    return result
  }
}
