import {withSession} from '../lib/cluster/session.ts'
import {ExitCode, OutcomeError} from '../lib/errors.ts'
import {confFlags, BaseCommand} from '../lib/output/base-command.ts'
import {stderrEmitter} from '../lib/output/cluster.ts'
import {renderPreflight} from '../lib/output/preflight.ts'
import {reachFlags, reachOptions} from '../lib/output/remote-flags.ts'
import {preflight, preflightFailure} from '../lib/preflight/index.ts'

export default class Preflight extends BaseCommand<typeof Preflight> {
  static override summary = 'Check every host before a start: SSH, Java, the Flink build, ports, clock, name resolution, disk and open-files limit.'
  static override description = `Asks every host of masters, workers and zoo.cfg, in parallel over SSH, and changes nothing:
  ssh         reachable
  java        the java the daemons would run (env.java.home, JAVA_HOME or PATH), supported by the Flink version (1.17: 8, 11; 1.18: 8, 11, 17 beta; 1.19/1.20: 8, 11, 17, 21 beta; 2.x: 11, 17, 21)
  flink-home  the Flink home exists at the same path; lib  the same files by name, size and sha256 as this machine's lib/
  ports       the ports the host's daemons will bind are free (RPC, REST, blob, metrics, data, zoo.cfg client/quorum/election), and no two daemons given one fixed port
  clock       offset from this machine (warning above 500 ms, error above 5 s)
  names       every host resolves every cluster host name to the same address
  disk        conf, log, pid, tmp and ZooKeeper data dirs writable, free space (error below 256 MiB, warning below 2 GiB)
  open-files  ulimit -n (warning below 8192)
Exit codes: 0 no errors (warnings allowed), 3 invalid configuration, 4 errors on some hosts, 6 errors on every host.`
  static override examples = [
    {command: '<%= config.bin %> preflight --conf-dir conf', description: 'One row per host and check, hints for what failed.'},
    {command: "<%= config.bin %> preflight --json | jq '.result.hosts[] | select(.level == \"error\") | .host'", description: 'The hosts that would fail a start.'},
    {command: '<%= config.bin %> start-cluster --preflight', description: 'The same checks, then the start only when none failed.'},
  ]
  static override flags = {...confFlags, ...reachFlags}

  async run() {
    const {flags} = this
    const conf = this.loadConf()
    const report = await withSession(conf, reachOptions(flags), stderrEmitter(this.err), (session) => preflight(session))
    this.say(renderPreflight(report, this.out))
    if (report.exit !== ExitCode.Ok) {
      const {message, hint} = preflightFailure(report)
      throw new OutcomeError(message, {code: report.exit === ExitCode.Failed ? 'FAILED' : 'PARTIAL_FAILURE', exit: report.exit as never, hint: hint ?? 'see the table above', result: report})
    }
    return report
  }
}
