import {resolve} from 'node:path'
import {Args, Flags} from '@oclif/core'
import {distRoot, fetchDistribution, installTarball, supportedVersions} from '../../lib/dist/index.ts'
import {UsageError} from '../../lib/errors.ts'
import {BaseCommand} from '../../lib/output/base-command.ts'

export default class DistFetch extends BaseCommand<typeof DistFetch> {
  static override summary = 'Provide a Flink distribution: assemble it from Maven Central, or unpack an official tarball. Prints its path.'
  static override description = `Assembles flink-<version>/ the way Flink's own flink-dist module does (an uber jar rebuilt from the released artifacts, connector and table jars, log4j, BashJavaUtils, log4j configs, the TopSpeedWindowing example) with Maven, offline from ~/.m2 first. Needs Maven and a JDK; the first run downloads about 0.5 GB into ~/.m2. Without Maven, download the official flink-<version>-bin-scala_2.12.tgz and pass it with --tarball.

A complete distribution is reused at once. The path goes to stdout and progress to stderr, so the output can be captured as FLINK_HOME. Default place: $XDG_CACHE_HOME/flinkctl/dist (~/.cache/flinkctl/dist).`
  static override examples = [
    {command: 'export FLINK_HOME=$(<%= config.bin %> dist fetch 2.3.0)', description: 'Assemble Flink 2.3.0 (or reuse it) and use it.'},
    {command: '<%= config.bin %> dist fetch 1.20.0 --dir /opt/flink --offline', description: 'Into /opt/flink/flink-1.20.0, with nothing but the local Maven repository.'},
    {command: '<%= config.bin %> dist fetch --tarball ~/Downloads/flink-1.20.0-bin-scala_2.12.tgz', description: 'Unpack an official release instead (any version, no Maven needed).'},
  ]
  static override args = {
    version: Args.string({description: `Flink version to assemble (${supportedVersions().map((s) => s.version).join(', ')}); optional with --tarball.`}),
  }
  static override flags = {
    dir: Flags.string({char: 'd', description: 'Directory to hold flink-<version>/ (default: $XDG_CACHE_HOME/flinkctl/dist, else ~/.cache/flinkctl/dist).'}),
    offline: Flags.boolean({description: 'Use only the local Maven repository and cached downloads; fail rather than download.'}),
    tarball: Flags.file({description: 'Unpack this official flink-<version>-bin-scala_2.12.tgz instead of assembling.', exists: false}),
  }

  async run() {
    const {args, flags} = this
    const onProgress = (line: string) => this.progress(line)
    let result
    if (flags.tarball) {
      if (flags.offline) throw new UsageError('--offline has no meaning with --tarball', 'drop --offline: unpacking a tarball never downloads')
      result = await installTarball({file: flags.tarball, dir: flags.dir, onProgress})
      if (args.version && args.version !== result.version) {
        throw new UsageError(`${flags.tarball} holds Flink ${result.version}, not ${args.version} (it was unpacked into ${result.home})`, `drop the version argument, or pass the tarball of Flink ${args.version}`)
      }
    } else {
      if (!args.version) throw new UsageError('which Flink version?', `e.g. flinkctl dist fetch ${supportedVersions().at(-1)?.version ?? '2.3.0'}, or --tarball FILE`)
      result = await fetchDistribution({version: args.version, dir: flags.dir, offline: flags.offline, onProgress})
    }
    this.say(result.home)
    return {...result, root: resolve(flags.dir ?? distRoot())}
  }
}
