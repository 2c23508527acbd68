import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../lib/output/base-command.ts'
import {DAEMON_ACTIONS, daemonFlags, runDaemonAction} from '../lib/output/daemon-command.ts'

export default class JobManager extends BaseCommand<typeof JobManager> {
  static override summary = 'Start, stop or inspect a JobManager (standalonesession) on this machine or --host, as jobmanager.sh does.'
  static override description = `start: pushes the conf, runs the exact command jobmanager.sh would in the background (nohup, pid file /tmp/flink-<user>-standalonesession.pid, logs flink-<user>-standalonesession-<n>-<host>.log/.out) and checks it stays up; nothing is started when one already runs there. start-foreground: execs it in the foreground (containers, supervisors). stop: the newest instance; stop-all: every instance (SIGTERM, SIGKILL after --grace; only processes whose pid and command line match). Flink's positional form \`jobmanager start <host> <webui-port>\` works too.
Exit codes: 0 done, 3 invalid configuration, 6 failed on the host.`
  static override examples = [
    {command: '<%= config.bin %> jobmanager start', description: 'A JobManager on this machine.'},
    {command: '<%= config.bin %> jobmanager start jm1 8081', description: "Flink's positional form: on jm1 with web UI port 8081."},
    {command: '<%= config.bin %> jobmanager stop-all --host jm1', description: 'Stop every JobManager recorded on jm1.'},
    {command: '<%= config.bin %> jobmanager start --dry-run --json', description: 'The exact command, as JSON.'},
  ]
  static override args = {
    action: Args.string({description: 'what to do', options: [...DAEMON_ACTIONS], required: true}),
    host: Args.string({description: 'host (same as --host)'}),
    'webui-port': Args.integer({description: 'REST/web UI port for that JobManager', min: 0, max: 65535}),
  }
  static override flags = {
    ...daemonFlags,
    'webui-port': Flags.integer({description: 'REST/web UI port (same as the positional port).', min: 0, max: 65535}),
  }

  async run() {
    const {flags, args} = this
    return runDaemonAction(this.loadConf(), args.action, {
      daemon: 'standalonesession', host: flags.host ?? args.host, webuiPort: flags['webui-port'] ?? args['webui-port'],
      push: flags.push, dryRun: flags['dry-run'], user: flags.user, userArgs: (flags.dynamic ?? []).flatMap((d) => ['-D', d]),
    }, flags, {say: (t) => this.say(t), out: this.out, err: this.err, json: this.jsonEnabled()})
  }
}
