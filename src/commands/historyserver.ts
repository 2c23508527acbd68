import {Args} from '@oclif/core'
import {BaseCommand} from '../lib/output/base-command.ts'
import {DAEMON_ACTIONS, daemonFlags, runDaemonAction} from '../lib/output/daemon-command.ts'

export default class HistoryServer extends BaseCommand<typeof HistoryServer> {
  static override summary = "Start, stop or inspect Flink's HistoryServer on this machine or --host, as historyserver.sh does."
  static override description = `Pid file flink-<user>-historyserver.pid, logs flink-<user>-historyserver-<n>-<host>.log/.out. Archives come from historyserver.archive.fs.dir in the configuration.
Exit codes: 0 done, 3 invalid configuration, 6 failed on the host.`
  static override examples = [
    {command: '<%= config.bin %> historyserver start --host hs1', description: 'Start it on hs1.'},
    {command: '<%= config.bin %> historyserver stop --host hs1', description: 'Stop it.'},
  ]
  static override args = {
    action: Args.string({description: 'what to do', options: [...DAEMON_ACTIONS], required: true}),
  }
  static override flags = {...daemonFlags}

  async run() {
    const {flags, args} = this
    return runDaemonAction(this.loadConf(), args.action, {
      daemon: 'historyserver', host: flags.host, push: flags.push, dryRun: flags['dry-run'], user: flags.user,
    }, flags, {say: (t) => this.say(t), out: this.out, err: this.err, json: this.jsonEnabled()})
  }
}
