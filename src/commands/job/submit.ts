import {Args, Flags} from '@oclif/core'
import {withSession} from '../../lib/cluster/session.ts'
import {checkEntryClass, checkJar, parseJobConf, submitJob} from '../../lib/job/index.ts'
import {submitChecker} from '../../lib/job/checker-submit.ts'
import {UsageError} from '../../lib/errors.ts'
import {BaseCommand, confFlags} from '../../lib/output/base-command.ts'
import {stderrEmitter} from '../../lib/output/cluster.ts'
import {renderSubmit} from '../../lib/output/job.ts'
import {durationFlag, reachFlags, reachOptions, yarnSessionFlags} from '../../lib/output/remote-flags.ts'
import {yarnContext, yarnRestTarget} from '../../lib/yarn/index.ts'

export default class JobSubmit extends BaseCommand<typeof JobSubmit> {
  static override summary = 'Submit a job jar to the cluster over REST and wait until all its tasks run. Prints the job id.'
  static override description = `Uploads the jar to the leading JobManager (ZooKeeper names it under HA; otherwise the one that answers), runs it there (the program's main() builds the job), deletes the upload, then waits until the job is RUNNING and every task runs. Only the job id goes to stdout, so JOB=$(flinkctl job submit …) works; progress and the timings go to stderr. Retries while a JobManager leader is being elected.
-c is the main class here, as in \`flink run -c\`; write the configuration directory as --conf-dir. A program argument that starts with - is written --arg=--input.
Exit codes: 0 running (or finished), 2 no such jar or a bad flag (nothing sent), 5 not running before --timeout (the job stays submitted), 6 Flink refused the program or the job failed (the message has its root exception).`
  static override examples = [
    {command: 'JOB=$(<%= config.bin %> job submit $FLINK_HOME/examples/streaming/TopSpeedWindowing.jar)', description: 'Submit, wait until every task runs, keep the job id.'},
    {command: '<%= config.bin %> job submit app.jar -c com.example.Main -p 4 --arg=--input --arg /data/in --timeout 5min', description: 'Main class, parallelism and program arguments (one --arg each).'},
    {command: '<%= config.bin %> job submit $FLINK_HOME/examples/streaming/TopSpeedWindowing.jar --job-conf execution.checkpointing.interval=1s', description: 'Checkpoint this job every second, whatever the cluster configures.'},
    {command: '<%= config.bin %> job submit --checker --rate 500 --keys 16 -p 2', description: "flinkctl's checker job (lost/doubled/reordered counts for `drill --verify`), built for the home's Flink version."},
    {command: "<%= config.bin %> job submit app.jar --no-wait --json | jq -r '.result.jobId'", description: 'Return as soon as Flink accepted the job.'},
    {command: '<%= config.bin %> job submit $FLINK_HOME/examples/streaming/TopSpeedWindowing.jar --yarn-session smoke', description: 'Submit to the YARN session flinkctl started as smoke.'},
  ]
  static override args = {
    jar: Args.string({description: 'The job jar (a local file; it is uploaded). Leave it out with --checker.'}),
  }
  static override flags = {
    ...confFlags,
    // -c is the main class, as `flink run -c`
    'conf-dir': Flags.directory({description: confFlags['conf-dir'].description, helpGroup: 'CONFIGURATION'}),
    ...reachFlags,
    ...yarnSessionFlags,
    class: Flags.string({char: 'c', description: "The program's main class (default: the jar manifest's Main-Class / program-class)."}),
    parallelism: Flags.integer({char: 'p', description: 'Default parallelism of the job (default: parallelism.default of the cluster).', min: 1}),
    arg: Flags.string({description: 'One program argument, passed to main() as is (repeatable, in order).', multiple: true, multipleNonGreedy: true}),
    'job-conf': Flags.string({description: "A Flink option for this job only, key=value, over the cluster's configuration (repeatable), e.g. execution.checkpointing.interval=1s.", multiple: true, multipleNonGreedy: true}),
    wait: Flags.boolean({description: 'Wait until the job and every task run (--no-wait returns once Flink accepted it).', default: true, allowNo: true}),
    timeout: Flags.string({description: 'Give up waiting after this long, e.g. 180s or 5min (a bare number is seconds).', default: '180s'}),
    checker: Flags.boolean({description: "Submit flinkctl's checker job instead of a jar: built by Maven for the home's Flink version (cached), it counts lost, doubled and reordered records in its checkpointed state (what `drill --verify` reads).", helpGroup: 'CHECKER', exclusive: ['class', 'arg']}),
    rate: Flags.integer({description: 'Checker: records per second.', min: 1, helpGroup: 'CHECKER', dependsOn: ['checker']}),
    keys: Flags.integer({description: 'Checker: distinct keys.', min: 1, helpGroup: 'CHECKER', dependsOn: ['checker']}),
    offline: Flags.boolean({description: 'Checker: build with Maven offline (only ~/.m2).', helpGroup: 'CHECKER', dependsOn: ['checker']}),
  }

  async run() {
    const {args, flags} = this
    if (flags.checker && args.jar) throw new UsageError('--checker submits the checker job: leave out the jar')
    if (!flags.checker && !args.jar) throw new UsageError('which jar? name the job jar, or pass --checker', 'flinkctl job submit app.jar, or flinkctl job submit --checker')
    if (args.jar) checkJar(args.jar)
    if (flags.class !== undefined) checkEntryClass(flags.class)
    const jobConf = parseJobConf(flags['job-conf'] ?? [])
    const timeoutMs = durationFlag('timeout', flags.timeout)
    const conf = this.loadConf()
    const rest = flags['yarn-session'] ? await yarnRestTarget(await yarnContext(conf, process.env, flags['rm-url']), flags['yarn-session'], {write: true}) : undefined
    const report = await withSession(conf, reachOptions(flags), stderrEmitter(this.err), (session) => flags.checker
      ? submitChecker(session, {rest, rate: flags.rate, keys: flags.keys, parallelism: flags.parallelism, timeoutMs, offline: flags.offline})
      : submitJob(session, {rest, jar: args.jar!, entryClass: flags.class, parallelism: flags.parallelism, args: flags.arg, jobConf, wait: flags.wait, timeoutMs}))
    this.progress(renderSubmit(report, this.err))
    this.say(report.jobId)
    return report
  }
}
