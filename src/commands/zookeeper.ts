import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../lib/output/base-command.ts'
import {DAEMON_ACTIONS, daemonFlags, runDaemonAction} from '../lib/output/daemon-command.ts'

export default class ZooKeeper extends BaseCommand<typeof ZooKeeper> {
  static override summary = 'Start, stop or inspect one ZooKeeper peer (FlinkZooKeeperQuorumPeer) of conf/zoo.cfg, as zookeeper.sh does.'
  static override description = `Acts on the host of the server.N line (or --host). The peer writes dataDir/myid itself. Peers sharing a host get their own zoo-peer-N.cfg.
Exit codes: 0 done, 2 no such peer, 3 invalid configuration, 6 failed on the host.`
  static override examples = [
    {command: '<%= config.bin %> zookeeper start --peer-id 2', description: 'Start peer 2 where zoo.cfg puts server.2.'},
    {command: '<%= config.bin %> zookeeper status --peer-id 2', description: 'Is it running there?'},
    {command: '<%= config.bin %> zookeeper start 2', description: "Flink's positional form: zookeeper.sh start 2."},
  ]
  static override args = {
    action: Args.string({description: 'what to do', options: [...DAEMON_ACTIONS], required: true}),
    'peer-id': Args.integer({description: 'the N of server.N (same as --peer-id)', min: 0}),
  }
  static override flags = {
    ...daemonFlags,
    'peer-id': Flags.integer({description: 'The N of the server.N line in zoo.cfg.', min: 0}),
  }

  async run() {
    const {flags, args} = this
    const peerId = flags['peer-id'] ?? args['peer-id']
    if (peerId === undefined && (args.action === 'start' || args.action === 'start-foreground')) {
      this.error('zookeeper start needs --peer-id N (the N of server.N in zoo.cfg)', {exit: 2})
    }
    return runDaemonAction(this.loadConf(), args.action, {
      daemon: 'zookeeper', host: flags.host, peerId, push: flags.push, dryRun: flags['dry-run'], user: flags.user,
    }, flags, {say: (t) => this.say(t), out: this.out, err: this.err, json: this.jsonEnabled()})
  }
}
