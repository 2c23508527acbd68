// A 2-master HA cluster on the SSH test ground, for the HA e2e test and the drill benchmark:
// peers on h1-h3, JobManagers on h1 and h2, TaskManagers on h3 and h4, ZooKeeper sessions of 4 s
// (tickTime 1 s) so a hard-killed leader is noticed in seconds, checkpoints every second.
import {copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {flinkctl, type CliResult} from './flinkctl.ts'
import {groundInstall, groundUp, type Ground} from './ground-hosts.ts'

const JDK17_OPTS = readFileSync(new URL('../../conf/config.yaml', import.meta.url), 'utf8').match(/^env\.java\.opts\.all: (.*)$/m)![1]!

export interface HaCluster {
  ground: Ground
  base: string
  confDir: string
  cli: (...args: string[]) => Promise<CliResult>
}

export interface HaClusterOptions {
  /** conf/workers lines (default h3, h4); a host twice runs two TaskManagers there. */
  workers?: string[]
  /** More config.yaml lines. */
  conf?: string[]
  /** More per-host folders: seeded with a copy of the shared one, or empty. */
  private?: string[]
  privateEmpty?: string[]
}

export async function haClusterGround(base: string, home: string, opts: HaClusterOptions = {}): Promise<HaCluster> {
  await groundInstall()
  rmSync(base, {recursive: true, force: true})
  const confDir = `${base}/conf`
  for (const d of [confDir, `${base}/shared`]) mkdirSync(d, {recursive: true})
  const ground = await groundUp({hosts: 4, private: opts.private, privateEmpty: ['/tmp', confDir, `${base}/log`, `${base}/zk`, ...(opts.privateEmpty ?? [])]})
  writeFileSync(join(confDir, 'config.yaml'), [
    'jobmanager.bind-host: 0.0.0.0',
    'jobmanager.memory.process.size: 700m',
    'taskmanager.bind-host: 0.0.0.0',
    'taskmanager.memory.process.size: 1g',
    'taskmanager.numberOfTaskSlots: 2',
    'rest.bind-address: 0.0.0.0',
    'high-availability.type: zookeeper',
    'high-availability.zookeeper.quorum: h1:2181,h2:2181,h3:2181',
    '# shared: every ground host sees this folder',
    `high-availability.storageDir: file://${base}/shared/ha`,
    'high-availability.cluster-id: /e2e-ha',
    // low, so that a SIGKILLed leader's session expires in seconds (zoo.cfg's tickTime allows 2-20 s)
    'high-availability.zookeeper.client.session-timeout: 4000',
    'execution.checkpointing.interval: 1s',
    `execution.checkpointing.dir: file://${base}/shared/checkpoints`,
    'restart-strategy.type: fixed-delay',
    'restart-strategy.fixed-delay.attempts: 1000',
    'restart-strategy.fixed-delay.delay: 1s',
    'zookeeper.heap.mb: 128',
    `env.log.dir: ${base}/log`,
    `env.ssh.opts: -F ${ground.sshConfig}`,
    `env.java.opts.all: ${JDK17_OPTS}`,
    ...(opts.conf ?? []),
    '',
  ].join('\n'))
  writeFileSync(join(confDir, 'zoo.cfg'), [
    'tickTime=1000', 'initLimit=10', 'syncLimit=5', 'clientPort=2181', `dataDir=${base}/zk`,
    '4lw.commands.whitelist=srvr,ruok', 'admin.enableServer=false',
    'server.1=h1:2888:3888', 'server.2=h2:2888:3888', 'server.3=h3:2888:3888', '',
  ].join('\n'))
  writeFileSync(join(confDir, 'masters'), 'h1:8081\nh2:8081\n')
  writeFileSync(join(confDir, 'workers'), `${(opts.workers ?? ['h3', 'h4']).join('\n')}\n`)
  for (const f of ['log4j.properties', 'log4j-console.properties']) copyFileSync(join(home, 'conf', f), join(confDir, f))
  return {ground, base, confDir, cli: (...args: string[]) => flinkctl([...args, '--conf-dir', confDir, '--flink-home', home])}
}

/** `yyyy-MM-dd HH:mm:ss,SSS` (log4j's default pattern, local time) as ms since the epoch. */
export function parseLogTime(line: string): number | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3})/.exec(line)
  return m ? new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!).getTime() : undefined
}
