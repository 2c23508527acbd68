import {Flags} from '@oclif/core'
import {BaseCommand, confFlags} from '../lib/output/base-command.ts'
import {renderValidation, validationJson} from '../lib/output/validation.ts'
import {validateConfDirs, validateRequestFromFlags} from '../lib/validate/run.ts'

export default class Validate extends BaseCommand<typeof Validate> {
  static override summary = 'Check a Flink configuration (HA keys, quorum, masters, zoo.cfg, types, typos) before any host is touched.'
  static override description = `Reads flink-conf.yaml or config.yaml (as the detected Flink version would), masters, workers, zoo.cfg and $HADOOP_CONF_DIR/yarn-site.xml, and reports every problem with file:line:col, a rule id and a hint. Exits 3 when there is an error; warnings alone exit 0 unless --strict.

Pass --conf-dir several times to validate clusters together: two clusters that would share a ZooKeeper path are reported.`
  static override examples = [
    {command: '<%= config.bin %> validate --conf-dir conf', description: 'Validate the example local HA cluster.'},
    {command: '<%= config.bin %> validate --conf-dir /opt/flink/conf --flink-version 1.20.1 --json', description: 'Machine-readable findings for CI.'},
    {command: '<%= config.bin %> validate -c prod-a/conf -c prod-b/conf', description: 'Catch two clusters sharing one ZooKeeper cluster-id.'},
    {command: '<%= config.bin %> validate --yarn -c yarn/conf', description: 'Check a configuration for yarn-session against $HADOOP_CONF_DIR/yarn-site.xml.'},
  ]
  static override flags = {
    ...confFlags,
    'conf-dir': Flags.directory({char: 'c', description: 'Flink configuration directory (repeatable; default: $FLINK_CONF_DIR, else $FLINK_HOME/conf).', multiple: true, helpGroup: 'CONFIGURATION'}),
    strict: Flags.boolean({description: 'Treat warnings as errors (exit 3).'}),
    quiet: Flags.boolean({char: 'q', description: 'Print errors only.'}),
    yarn: Flags.boolean({description: 'Validate for a YARN session (yarn-session): no masters/workers; application attempts, container sizes and the HA storage dir against YARN.'}),
  }

  async run() {
    const {flags} = this
    const outcome = validateConfDirs(validateRequestFromFlags(flags))
    this.say(renderValidation(outcome, this.out, flags.quiet))
    const result = validationJson(outcome)
    if (outcome.failure) {
      Object.assign(outcome.failure, {details: result})
      throw outcome.failure
    }
    return result
  }
}
