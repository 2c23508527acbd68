import {Flags} from '@oclif/core'
import {BaseCommand, confFlags} from '../../lib/output/base-command.ts'
import {stderrEmitter} from '../../lib/output/cluster.ts'
import {durationFlag, rmUrlFlag} from '../../lib/output/remote-flags.ts'
import {renderStart, rewriteYarnSessionArgv} from '../../lib/output/yarn.ts'
import {DEFAULT_SESSION_NAME, optionsAsDynamic, startYarnSession} from '../../lib/yarn/index.ts'

export default class YarnSession extends BaseCommand<typeof YarnSession> {
  static override summary = 'Start a Flink session on YARN (Flink\'s own client, as yarn-session.sh runs it), tagged so flinkctl finds it again.'
  static override description = `Validates the configuration for YARN first (application attempts against the ResourceManager's maximum, the HA storage dir on a file system every node reads, the cluster-id left to YARN, container sizes against the scheduler's limits, Hadoop present) and submits nothing when a rule fails. Then runs org.apache.flink.yarn.cli.FlinkYarnSessionCli with the classpath and JVM options of yarn-session.sh, Hadoop from HADOOP_CLASSPATH or \`hadoop classpath\`, the Hadoop configuration from HADOOP_CONF_DIR or env.hadoop.conf.dir. The session carries the YARN tags flinkctl and flinkctl-session:<name>: list, status and stop find it by tag.
With -d it returns once the JobManager answers, printing the application id and the JobManager's address; without, Flink's client stays in the foreground (type stop to end the session; under --json its output goes to stderr). These options of yarn-session.sh are accepted as they are written there: -d, -jm, -tm, -s, -nm, -qu, -D, -id. -id attaches to a running session (by application id or name) and ignores the options that shape a new one.
Exit codes: 0 running (attached: the client ended well), 2 bad flag, 3 configuration refused, Hadoop or the ResourceManager's address not found (nothing submitted), 5 not serving before --timeout, 6 the ResourceManager does not answer, YARN or Flink refused the session, or a session of that name (or HA cluster-id) runs.`
  static override examples = [
    {command: '<%= config.bin %> yarn-session -d -jm 1024m -tm 1024m -s 2 -nm smoke --conf-dir conf', description: 'A detached session named smoke; prints its application id and JobManager address.'},
    {command: '<%= config.bin %> yarn-session -d -nm smoke -D high-availability.storageDir=hdfs:///flink/ha --json', description: 'With HA state on HDFS, machine-readable.'},
    {command: '<%= config.bin %> yarn-session -id smoke', description: 'Attach Flink\'s client to a running session (by name or application id).'},
  ]
  static override flags = {
    ...confFlags,
    detached: Flags.boolean({char: 'd', description: 'Start the session and return once its JobManager answers (also -yd/--yarndetached).'}),
    jobManagerMemory: Flags.string({description: 'JobManager container memory, e.g. 1024m (-jm; a bare number is MB).'}),
    taskManagerMemory: Flags.string({description: 'TaskManager container memory, e.g. 1024m (-tm; a bare number is MB).'}),
    slots: Flags.integer({char: 's', description: 'Slots per TaskManager.', min: 1}),
    name: Flags.string({description: `Session name (-nm): the YARN application name and the tag flinkctl finds it by (default ${DEFAULT_SESSION_NAME}).`, default: DEFAULT_SESSION_NAME}),
    queue: Flags.string({description: 'YARN queue (-qu).'}),
    applicationId: Flags.string({description: 'Attach to a running session instead, by application id or name (-id).'}),
    timeout: Flags.string({description: 'Detached: how long to wait until the JobManager answers (e.g. 300s).', default: '300s'}),
    ...rmUrlFlag,
  }

  public override async init(): Promise<void> {
    this.argv = rewriteYarnSessionArgv(this.argv)
    await super.init()
  }

  async run() {
    const {flags} = this
    const timeoutMs = durationFlag('timeout', flags.timeout)!
    const opts = {jobManagerMemory: flags.jobManagerMemory, taskManagerMemory: flags.taskManagerMemory, slots: flags.slots, queue: flags.queue}
    // the validator sees -jm/-tm/-s/-qu as the keys Flink's client turns them into
    const dynamic = [...(flags.dynamic ?? []), ...optionsAsDynamic(opts)]
    const conf = this.loadConfWith(dynamic)
    const report = await startYarnSession(conf, {
      ...opts, name: flags.name, detached: flags.detached, dynamic: flags.dynamic ?? [], timeoutMs, env: process.env, rmUrl: flags['rm-url'],
      clientStdoutToStderr: this.jsonEnabled(),
    }, stderrEmitter(this.err), flags.applicationId)
    this.say(renderStart(report, this.out))
    return report
  }
}
