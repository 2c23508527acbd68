import {Flags} from '@oclif/core'
import {effectiveConfig} from '../../lib/conf/effective.ts'
import {describeSource} from '../../lib/conf/types.ts'
import {BaseCommand, confFlags} from '../../lib/output/base-command.ts'
import {displayPath} from '../../lib/output/findings.ts'
import {table} from '../../lib/output/table.ts'

export default class Config extends BaseCommand<typeof Config> {
  static override summary = 'Print the effective Flink configuration with the source of every value; secrets are redacted.'
  static override examples = [
    {command: '<%= config.bin %> config --conf-dir conf', description: 'Every value and the file:line it came from.'},
    {command: '<%= config.bin %> config -c conf -D rest.port=9091 --json', description: 'Include a dynamic property; machine-readable.'},
    {command: '<%= config.bin %> config -c conf --defaults --grep high-availability', description: 'HA settings, with Flink\'s defaults for unset keys.'},
  ]
  static override flags = {
    ...confFlags,
    defaults: Flags.boolean({description: 'Also list Flink\'s default for every option that is not set.'}),
    grep: Flags.string({description: 'Only keys containing this text.'}),
  }

  async run() {
    const {flags} = this
    const conf = this.loadConf()
    const values = effectiveConfig(conf, {withDefaults: flags.defaults}).filter((v) => !flags.grep || v.key.includes(flags.grep))
    const rows = values.map((v) => [
      v.key,
      v.value,
      v.source.kind === 'file' ? `${displayPath(v.source.file)}:${v.source.line}` : describeSource(v.source),
      v.ignored ? `ignored: ${v.readAs} is set` : v.readAs ? `read as ${v.readAs}` : '',
    ])
    this.say(this.out.dim(`# ${displayPath(conf.flink.file ?? conf.confDir)}, Flink ${conf.version?.raw ?? 'version unknown'}`))
    this.say(table(['KEY', 'VALUE', 'SOURCE', 'NOTE'], rows, this.out))
    return {
      confDir: displayPath(conf.confDir),
      configFile: conf.flink.file && displayPath(conf.flink.file),
      flinkVersion: conf.version?.raw,
      values: values.map((v) => ({...v, source: v.source.kind === 'file' ? {...v.source, file: displayPath(v.source.file)} : v.source})),
    }
  }
}
