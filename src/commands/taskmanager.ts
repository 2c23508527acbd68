import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../lib/output/base-command.ts'
import {DAEMON_ACTIONS, daemonFlags, runDaemonAction} from '../lib/output/daemon-command.ts'

export default class TaskManager extends BaseCommand<typeof TaskManager> {
  static override summary = 'Start, stop or inspect TaskManagers (taskexecutor) on this machine or --host, as taskmanager.sh does.'
  static override description = `start: pushes the conf and starts TaskManagers until --count of them run on the host (default 1), each with Flink's pid and log naming. stop: the newest instance; stop-all: every instance. Only processes whose pid and command line match are signalled.
Exit codes: 0 done, 3 invalid configuration, 6 failed on the host.`
  static override examples = [
    {command: '<%= config.bin %> taskmanager start --host tm1', description: 'One TaskManager on tm1 (none if one already runs).'},
    {command: '<%= config.bin %> taskmanager start --host tm1 --count 2', description: 'Make it two on tm1.'},
    {command: '<%= config.bin %> taskmanager stop-all --host tm1', description: 'Stop every TaskManager recorded on tm1.'},
    {command: '<%= config.bin %> taskmanager status --host tm1 --json', description: 'Pids, states and uptimes on tm1.'},
  ]
  static override args = {
    action: Args.string({description: 'what to do', options: [...DAEMON_ACTIONS], required: true}),
    host: Args.string({description: 'host (same as --host)'}),
  }
  static override flags = {
    ...daemonFlags,
    count: Flags.integer({description: 'start: how many TaskManagers should run on the host (default 1).', min: 1}),
  }

  async run() {
    const {flags, args} = this
    return runDaemonAction(this.loadConf(), args.action, {
      daemon: 'taskexecutor', host: flags.host ?? args.host, count: flags.count,
      push: flags.push, dryRun: flags['dry-run'], user: flags.user, userArgs: (flags.dynamic ?? []).flatMap((d) => ['-D', d]),
    }, flags, {say: (t) => this.say(t), out: this.out, err: this.err, json: this.jsonEnabled()})
  }
}
