// The injection matrix: hostile values in every place a name or value reaches flinkctl (host and
// user names, ports, paths, JVM options, -D, env.ssh.opts, ssh_config, job arguments, YARN
// flags), through the real binary against real sshd hosts. Each case plants a canary, a file
// that a shell running the value would create, and asserts that it appears nowhere (the bastion's
// /tmp, $HOME and working folder; every host's /tmp and $HOME) and that flinkctl either refused
// with a clear error (no internal error, no stack trace) or passed the value through literally.
import assert from 'node:assert/strict'
import {copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {evalEchoWords, quoteArg} from '../../src/lib/launch/shell.ts'
import {type CliResult, explain, flinkctl} from '../helpers/flinkctl.ts'
import {groundFlinkHomes, repoRoot} from '../helpers/ground-flink.ts'
import {type Ground, groundInstall, groundUp, skipUnlessRoot} from '../helpers/ground-hosts.ts'
import {waitFor} from '../helpers/wait.ts'

const BASE = '/var/tmp/flinkctl-e2e/injection'
const HOSTS = ['h1', 'h2', 'h3']
const {home, version} = groundFlinkHomes().at(-1)!
const JDK17_OPTS = readFileSync(new URL('../../conf/config.yaml', import.meta.url), 'utf8').match(/^env\.java\.opts\.all: (.*)$/m)![1]!
const PREFIX = 'flinkctl-canary-'
const canary = (id: string) => `/tmp/${PREFIX}${id}`
const yamlStr = (v: string) => `'${v.replaceAll("'", "''")}'`

/** The shell payloads: each creates `c` when a shell runs it (no blanks: ${IFS} where one is needed). */
const payloads = (c: string) => ({
  sub: `$(touch\${IFS}${c})`,
  tick: `\`touch\${IFS}${c}\``,
  semi: `x;touch\${IFS}${c}`,
  pipe: `x|touch\${IFS}${c}`,
  and: `x&&touch\${IFS}${c}`,
  amp: `x&touch\${IFS}${c}`,
  redir: `x>${c}`,
  nl: `x\ntouch ${c}`,
})

interface Ctx {
  g: Ground
  confDir: string
  /** A conf dir of this case: the base files with some replaced, and extra config.yaml lines. */
  conf: (id: string, files?: Record<string, string>, yaml?: string[]) => string
  /** An ssh_config whose first lines are `first`, the ground's after them. */
  sshConfig: (id: string, first: string) => string
}

interface Case {
  id: string
  surface: string
  run: (ctx: Ctx, c: string) => Promise<CliResult> | CliResult | Promise<[CliResult, string[]]>
  /** Exit codes that count as "a clear error" or success for this input. */
  exits: number[]
  /**
   * A canary without '/': Flink reads `…/x` in masters and workers as a rack prefix and keeps
   * only `x`, which would turn the payload into a harmless name before any check saw it.
   */
  relative?: boolean
  says?: RegExp
}

const cli = (args: string[], env?: NodeJS.ProcessEnv) => flinkctl([...args, '--flink-home', home], {env, timeoutMs: 120_000})
const withConf = (confDir: string, ...args: string[]) => cli([...args, '-c', confDir])

const CASES: Case[] = [
  // host names: refused by the validator's rule (or the SSH layer), exit 3, before any host is touched
  ...(['sub', 'tick', 'semi', 'pipe', 'and', 'amp', 'redir'] as const).map((p, i): Case => ({
    id: `workers-${p}`, surface: 'host name (workers)', exits: [3], says: /is not a host name/, relative: true,
    run: (x, c) => withConf(x.conf(`workers-${p}`, {workers: `h1\n${payloads(c)[p]}\n`}), ...[['status'], ['start-cluster'], ['stop-cluster'], ['config', 'push'], ['logs'], ['taskmanager', 'status'], ['start-cluster', '--dry-run']][i]!),
  })),
  {id: 'workers-dash', surface: 'host name (workers, leading -)', exits: [3], says: /starts with '-'/, relative: true,
    run: (x, c) => withConf(x.conf('workers-dash', {workers: `-oProxyCommand=touch\${IFS}${c}\n`}), 'status')},
  {id: 'masters-sub', surface: 'host name (masters)', exits: [3], says: /is not a host name/, relative: true,
    run: (x, c) => withConf(x.conf('masters-sub', {masters: `${payloads(c).sub}:8081\n`}), 'start-cluster')},
  {id: 'zoo-server', surface: 'host name (zoo.cfg server.N)', exits: [3], says: /server\.1/,
    relative: true, // (';' would start zoo.cfg's client-port part: ZooKeeper itself reads `h3x;…:3888` as host h3x)
    run: (x, c) => withConf(x.conf('zoo-server', {'zoo.cfg': `tickTime=1000\ndataDir=/tmp/zk\nclientPort=2181\nserver.1=h3${payloads(c).sub}:2888:3888\n`}), 'start-zookeeper-quorum')},
  {id: 'flag-host-sub', surface: 'host name (--host)', exits: [3], says: /is not a host name/,
    run: (x, c) => withConf(x.confDir, 'taskmanager', 'start', '--host', `$(touch ${c})`)},
  {id: 'flag-host-dash', surface: 'host name (--host, leading -)', exits: [3], says: /starts with '-'/,
    run: (x, c) => withConf(x.confDir, 'taskmanager', 'status', '--host', `-oProxyCommand=touch ${c}`)},
  {id: 'quorum', surface: 'host name (ZooKeeper quorum)', exits: [3, 6], says: /quorum|not a host/i,
    run: (x, c) => withConf(x.conf('quorum', {}, ['high-availability.type: zookeeper', `high-availability.zookeeper.quorum: ${yamlStr(`h3:2181,${payloads(c).sub}:2181`)}`, 'high-availability.storageDir: file:///tmp/ha']), 'ha', 'status')},
  // user names
  {id: 'user-at', surface: 'user name (user@host in workers)', exits: [3], says: /user name/, relative: true,
    run: (x, c) => withConf(x.conf('user-at', {workers: `${payloads(c).sub}@h1\n`}), 'status')},
  {id: 'user-sshopts', surface: 'user name (env.ssh.opts -l)', exits: [3], says: /-l/,
    run: (x, c) => withConf(x.conf('user-sshopts', {}, [`env.ssh.opts: ${yamlStr(`-F ${x.g.sshConfig} -l ${payloads(c).sub}`)}`]), 'status')},
  {id: 'user-sshconfig', surface: 'user name (ssh_config User)', exits: [3, 4, 6], says: /is not a user name/,
    run: (x, c) => withConf(x.confDir, 'status', '--ssh-config', x.sshConfig('user-sshconfig', `Host h1\n  User "a;touch ${c}"`))},
  {id: 'user-ident', surface: 'user name (--user, FLINK_IDENT_STRING)', exits: [3], says: /pid and log files/,
    run: (x, c) => withConf(x.confDir, 'taskmanager', 'stop', '--host', 'h1', '--user', `x$(touch ${c})`)},
  {id: 'user-ident-env', surface: 'user name (FLINK_IDENT_STRING in the environment)', exits: [3], says: /pid and log files/,
    run: (x, c) => cli(['taskmanager', 'start', '--dry-run', '-c', x.confDir], {FLINK_IDENT_STRING: `x;touch ${c}`})},
  // ports
  {id: 'masters-port', surface: 'port (masters host:port)', exits: [3], says: /port/i, relative: true,
    run: (x, c) => withConf(x.conf('masters-port', {masters: `h2:${payloads(c).sub}\n`}), 'start-cluster')},
  {id: 'sshopts-port', surface: 'port (env.ssh.opts -p)', exits: [3], says: /port/i,
    run: (x, c) => withConf(x.conf('sshopts-port', {}, [`env.ssh.opts: ${yamlStr(`-F ${x.g.sshConfig} -p 22${payloads(c).semi}`)}`]), 'status')},
  {id: 'sshconfig-port', surface: 'port (ssh_config Port)', exits: [3], says: /port must be a number/,
    run: (x, c) => withConf(x.confDir, 'status', '--ssh-config', x.sshConfig('sshconfig-port', `Host h1\n  Port 22;touch${'${IFS}'}${c}`))},
  {id: 'rest-port', surface: 'port (rest.port)', exits: [3], says: /rest\.port/,
    run: (x, c) => withConf(x.conf('rest-port', {}, [`rest.port: ${yamlStr(`8081${payloads(c).semi}`)}`]), 'start-cluster')},
  {id: 'zoo-clientport', surface: 'port (zoo.cfg clientPort)', exits: [0, 3, 4, 5, 6],
    run: (x, c) => withConf(x.conf('zoo-clientport', {'zoo.cfg': `tickTime=1000\ndataDir=/tmp/zk\nclientPort=2181${payloads(c).sub}\nserver.1=h3:2888:3888\n`}), 'start-zookeeper-quorum', '--dry-run')},
  // values that reach a command line, as the dry-run plans show them: passed through literally
  ...([
    ['java-opts-all', 'env.java.opts.all', (c: string) => `-Dinj=${payloads(c).sub}`],
    ['java-opts-tm', 'env.java.opts.taskmanager', (c: string) => `-Dinj=${payloads(c).tick}`],
    ['java-opts-semi', 'env.java.opts.all', (c: string) => `-Dinj=${payloads(c).semi}`],
    ['log-dir', 'env.log.dir', (c: string) => `/tmp/log${payloads(c).sub}`],
    ['pid-dir', 'env.pid.dir', (c: string) => `/tmp/pid${payloads(c).pipe}`],
    ['io-tmp', 'io.tmp.dirs', (c: string) => `/tmp/io${payloads(c).tick}`],
    ['java-home', 'env.java.home', (c: string) => `/usr${payloads(c).and}`],
  ] as const).map(([id, key, value]): Case => ({
    id: `plan-${id}`, surface: `config value (${key}), dry-run plan`, exits: [0],
    run: async (x, c) => {
      const r = await withConf(x.conf(`plan-${id}`, {}, [`${key}: ${yamlStr(value(c))}`]), 'taskmanager', 'start', '--host', 'h1', '--dry-run', '--json')
      const plan = JSON.stringify(r.json?.result ?? '')
      // the value is in the plan as one piece (JVM options: split on blanks only, as Flink does)
      // JVM options go through `eval echo` in Flink's scripts: variables expand (${IFS} to nothing),
      // commands never run; flinkctl does the first and never the second
      const expected = key.startsWith('env.java.opts') ? evalEchoWords(value(c), {})[0]! : value(c)
      assert.ok(key === 'env.java.home' || key === 'io.tmp.dirs' || plan.includes(JSON.stringify(expected).slice(1, -1)), `${key}: '${expected}' literal in the plan: ${plan.slice(0, 1500)}`)
      return r
    },
  })),
  {id: 'dynamic-type', surface: '-D override (typed key)', exits: [3], says: /taskmanager\.numberOfTaskSlots/,
    run: (x, c) => withConf(x.confDir, 'taskmanager', 'start', '--dry-run', '-D', `taskmanager.numberOfTaskSlots=1${payloads(c).semi}`)},
  {id: 'dynamic-free', surface: '-D override (free key)', exits: [0],
    run: async (x, c) => {
      const r = await withConf(x.confDir, 'jobmanager', 'start', '--host', 'h2', '--dry-run', '--json', '-D', `flinkctl.inj=${payloads(c).sub}`)
      assert.ok(JSON.stringify(r.json?.result).includes(JSON.stringify(`flinkctl.inj=${payloads(c).sub}`).slice(1, -1)), 'the -D value as one argument')
      return r
    }},
  {id: 'dynamic-java-opts', surface: '-D override (env.java.opts.all)', exits: [0],
    run: (x, c) => withConf(x.confDir, 'taskmanager', 'start', '--host', 'h1', '--dry-run', '-D', `env.java.opts.all=-Dq=${payloads(c).tick}`)},
  {id: 'sshopts-user-o', surface: 'env.ssh.opts -o User=', exits: [3], says: /User/,
    run: (x, c) => withConf(x.conf('sshopts-user-o', {}, [`env.ssh.opts: ${yamlStr(`-F ${x.g.sshConfig} -oUser=${payloads(c).sub}`)}`]), 'status')},
  {id: 'sshopts-jump', surface: 'env.ssh.opts -J', exits: [3], says: /-J/,
    run: (x, c) => withConf(x.conf('sshopts-jump', {}, [`env.ssh.opts: ${yamlStr(`-F ${x.g.sshConfig} -J h2${payloads(c).semi}`)}`]), 'status')},
  {id: 'sshopts-identity', surface: 'env.ssh.opts -i (a path, passed literally)', exits: [0],
    run: (x, c) => withConf(x.conf('sshopts-identity', {}, [`env.ssh.opts: ${yamlStr(`-F ${x.g.sshConfig} -i /tmp/key$(id>${c})`)}`]), 'taskmanager', 'status', '--host', 'h1')},
  {id: 'sshopts-unknown', surface: 'env.ssh.opts with a non-option word', exits: [3], says: /env\.ssh\.opts/,
    run: (x, c) => withConf(x.conf('sshopts-unknown', {}, [`env.ssh.opts: ${yamlStr(`-F ${x.g.sshConfig} ${payloads(c).sub}`)}`]), 'status')},
  // ssh_config values
  {id: 'sshconfig-hostname', surface: 'ssh_config HostName', exits: [3, 4, 6], says: /is not a host name/,
    run: (x, c) => withConf(x.confDir, 'status', '--ssh-config', x.sshConfig('sshconfig-hostname', `Host h1\n  HostName 10.0.0.1$(touch${'${IFS}'}${c})`))},
  {id: 'sshconfig-hostname-h', surface: 'ssh_config HostName %h expansion', exits: [3, 4, 6], says: /is not a host name/,
    run: (x, c) => withConf(x.confDir, 'status', '--ssh-config', x.sshConfig('sshconfig-hostname-h', `Host h1\n  HostName %h;touch${'${IFS}'}${c}\n  ProxyCommand nc %h %p`))},
  {id: 'sshconfig-proxyjump', surface: 'ssh_config ProxyJump', exits: [3, 4, 6], says: /ProxyJump/,
    run: (x, c) => withConf(x.confDir, 'status', '--ssh-config', x.sshConfig('sshconfig-proxyjump', `Host h1\n  ProxyJump h2;touch${'${IFS}'}${c}`))},
  {id: 'sshconfig-proxyjump-user', surface: 'ssh_config ProxyJump user', exits: [3, 4, 6], says: /ProxyJump/,
    run: (x, c) => withConf(x.confDir, 'status', '--ssh-config', x.sshConfig('sshconfig-proxyjump-user', `Host h1\n  ProxyJump $(touch${'${IFS}'}${c})@h2`))},
  {id: 'sshconfig-identityfile', surface: 'ssh_config IdentityFile (a path)', exits: [0, 4, 6],
    run: (x, c) => withConf(x.confDir, 'status', '--ssh-config', x.sshConfig('sshconfig-identityfile', `Host h1\n  IdentityFile /tmp/id$(id>${c})`))},
  {id: 'sshconfig-knownhosts', surface: 'ssh_config UserKnownHostsFile (a path)', exits: [4, 6], says: /known_hosts|host key/,
    run: (x, c) => withConf(x.confDir, 'status', '--ssh-config', x.sshConfig('sshconfig-knownhosts', `Host h1\n  UserKnownHostsFile /tmp/kh\`id>${c}\``))},
  {id: 'sshconfig-localcommand', surface: 'ssh_config LocalCommand (never run)', exits: [0],
    run: (x, c) => withConf(x.confDir, 'taskmanager', 'status', '--host', 'h1', '--ssh-config', x.sshConfig('sshconfig-localcommand', `Host h1\n  PermitLocalCommand yes\n  LocalCommand touch ${c}`))},
  {id: 'sshconfig-knownhostscommand', surface: 'ssh_config KnownHostsCommand (never run)', exits: [0],
    run: (x, c) => withConf(x.confDir, 'taskmanager', 'status', '--host', 'h1', '--ssh-config', x.sshConfig('sshconfig-knownhostscommand', `Host h1\n  KnownHostsCommand /bin/sh -c "touch ${c}"`))},
  {id: 'sshconfig-match-exec', surface: 'ssh_config Match exec (never run)', exits: [0],
    run: (x, c) => withConf(x.confDir, 'taskmanager', 'status', '--host', 'h1', '--ssh-config', x.sshConfig('sshconfig-match-exec', `Match exec "touch ${c}"\n  User nobody\nHost *`))},
  {id: 'sshconfig-envvar', surface: 'ssh_config ${VAR} in a path (refused when unset)', exits: [3], says: /environment variable IFS/,
    run: (x, c) => withConf(x.confDir, 'status', '--ssh-config', x.sshConfig('sshconfig-envvar', `Host h1\n  IdentityFile /tmp/id$(touch\${IFS}${c})`))},
  {id: 'sshconfig-identityagent', surface: 'ssh_config IdentityAgent (a path)', exits: [0],
    run: (x, c) => withConf(x.confDir, 'taskmanager', 'status', '--host', 'h1', '--ssh-config', x.sshConfig('sshconfig-identityagent', `Host h1\n  IdentityAgent /tmp/agent$(id>${c})`))},
  // YARN flags: the session name, queue and -D go to Flink's client as arguments (no Hadoop here: refused first)
  {id: 'yarn-name', surface: 'YARN flag -nm', exits: [3, 6],
    run: (x, c) => withConf(x.confDir, 'yarn-session', '-d', '-nm', payloads(c).sub, '--rm-url', 'http://127.0.0.1:9')},
  {id: 'yarn-queue', surface: 'YARN flag -qu', exits: [3, 6],
    run: (x, c) => withConf(x.confDir, 'yarn-session', '-d', '-qu', payloads(c).tick, '--rm-url', 'http://127.0.0.1:9')},
  {id: 'yarn-dynamic', surface: 'YARN flag -D', exits: [3, 6],
    run: (x, c) => withConf(x.confDir, 'yarn-session', '-d', '-D', `yarn.application.name=${payloads(c).semi}`, '--rm-url', 'http://127.0.0.1:9')},
  {id: 'yarn-stop-name', surface: 'YARN session name to stop', exits: [3, 6],
    run: (x, c) => cli(['yarn-session', 'stop', payloads(c).sub, '--rm-url', `http://127.0.0.1:9/${payloads(c).sub}`])},
]

describe(`injection matrix on SSH hosts, Flink ${version}`, {skip: skipUnlessRoot(), timeout: 900_000}, () => {
  let g: Ground | undefined
  const confDir = `${BASE}/conf`
  const tried: string[] = []

  const baseFiles = (ground: Ground): Record<string, string> => ({
    'config.yaml': [
      'jobmanager.rpc.address: h2', 'jobmanager.bind-host: 0.0.0.0', 'jobmanager.memory.process.size: 700m',
      'taskmanager.bind-host: 0.0.0.0', 'taskmanager.memory.process.size: 1g', 'taskmanager.numberOfTaskSlots: 1',
      'rest.address: h2', 'rest.bind-address: 0.0.0.0', 'env.log.dir: /tmp/flink-log',
      `env.ssh.opts: -F ${ground.sshConfig}`, `env.java.opts.all: ${JDK17_OPTS}`, '',
    ].join('\n'),
    masters: 'h2:8081\n',
    workers: 'h1\n',
    'zoo.cfg': 'tickTime=1000\ndataDir=/tmp/zk\nclientPort=2181\nserver.1=h3:2888:3888\n',
  })
  const writeConf = (dir: string, files: Record<string, string>) => {
    rmSync(dir, {recursive: true, force: true})
    mkdirSync(dir, {recursive: true})
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
    for (const f of ['log4j.properties', 'log4j-console.properties']) copyFileSync(join(home, 'conf', f), join(dir, f))
  }
  const ctx = (): Ctx => {
    assert.ok(g, 'ground is up')
    const ground = g
    return {
      g: ground,
      confDir,
      conf: (id, files = {}, yaml = []) => {
        const base = baseFiles(ground)
        const dir = `${BASE}/case-${id}`
        // later lines win in Flink's legacy parser; in config.yaml a key may not repeat, so drop it first
        const keys = new Set(yaml.map((l) => l.slice(0, l.indexOf(':'))))
        const cfg = base['config.yaml']!.split('\n').filter((l) => !keys.has(l.slice(0, l.indexOf(':')))).join('\n')
        writeConf(dir, {...base, ...files, 'config.yaml': `${cfg}${yaml.join('\n')}\n`})
        return dir
      },
      sshConfig: (id, first) => {
        const file = `${BASE}/ssh_config-${id}`
        writeFileSync(file, `${first}\n${readFileSync(ground.sshConfig, 'utf8')}`)
        return file
      },
    }
  }

  /** Every canary file anywhere a shell of ours could have written one. */
  async function canaries(): Promise<string[]> {
    const local = [...new Set(['/tmp', homedir(), repoRoot, BASE])].flatMap((d) => (existsSync(d) ? readdirSync(d).filter((f) => f.startsWith(PREFIX)).map((f) => `bastion:${d}/${f}`) : []))
    const remote = await Promise.all(HOSTS.map(async (h) => {
      const r = await g!.ssh(h, `ls -a /tmp ~ 2>/dev/null | grep '^${PREFIX}' || true`)
      return r.stdout.split('\n').filter(Boolean).map((f) => `${h}:${f}`)
    }))
    return [...local, ...remote.flat()]
  }

  before(async () => {
    await groundInstall()
    rmSync(BASE, {recursive: true, force: true})
    mkdirSync(BASE, {recursive: true})
    g = await groundUp({hosts: HOSTS.length, privateEmpty: ['/tmp']})
    writeConf(confDir, baseFiles(g))
    assert.deepEqual(await canaries(), [], 'no canary before the matrix')
  })
  after(async () => {
    // whatever a failed case left running
    if (g) {
      for (const h of HOSTS) await g.ssh(h, "pkill -KILL -f '[o]rg.apache.flink' || true")
      await g.down()
    }
  })

  for (const c of CASES) {
    it(`${c.surface}: ${c.id}`, async () => {
      const r = (await c.run(ctx(), c.relative ? `${PREFIX}${c.id}` : canary(c.id))) as CliResult
      tried.push(c.id)
      const what = explain([c.id], r)
      assert.ok(c.exits.includes(r.code), `exit ${r.code}, expected one of ${c.exits.join('/')}\n${what}`)
      assert.doesNotMatch(r.stderr, /internal error|Unhandled|^\s+at /m, what)
      if (c.says) assert.match(r.stdout + r.stderr, c.says, what)
      assert.deepEqual(await canaries(), [], `a shell ran the value of ${c.id}`)
    })
  }

  it('runs real daemons with hostile paths, JVM options, -D, a hostile FLINK_HOME and conf dir path, and jobs with hostile arguments: every value literal', async () => {
    const x = ctx()
    const C = (id: string) => canary(`real-${id}`)
    const rel = (id: string) => `${PREFIX}real-${id}` // no '/': for folder names
    // a Flink home and a conf dir whose paths are shell code (symlink and folder on the bastion; hosts share that path)
    const weirdHome = `${BASE}/home$(touch\${IFS}${rel('home')})`
    symlinkSync(home, weirdHome)
    const weirdConf = `${BASE}/conf;touch\${IFS}${rel('conf')}`
    const logDir = `/tmp/log $(touch ${C('log')})`
    const pidDir = `/tmp/pid\`touch\${IFS}${C('pid')}\``
    // (not '|', ',' or ':': Flink splits io.tmp.dirs on them; and Flink creates no missing tmp dir)
    const ioDir = `/tmp/io$(id>${C('io')})`
    const optA = `-Dflinkctl.inj.a=$(id>${C('opt-a')})`
    const optB = `-Dflinkctl.inj.b=\`id>${C('opt-b')}\``
    const optC = `-Dflinkctl.inj.c=x;id>${C('opt-c')}`
    const optJm = `-Dflinkctl.inj.jm=x&&id>${C('opt-jm')}`
    const dyn = `flinkctl.inj.d=$(id>${C('dyn')})`
    const base = baseFiles(x.g)
    writeConf(weirdConf, {...base, 'config.yaml': `${base['config.yaml']!.replace(/^env\.log\.dir: .*$/m, '')}${[
      `env.log.dir: ${yamlStr(logDir)}`, `env.pid.dir: ${yamlStr(pidDir)}`, `io.tmp.dirs: ${yamlStr(ioDir)}`,
      `env.java.opts.taskmanager: ${yamlStr(`${optA} ${optB} ${optC}`)}`, `env.java.opts.jobmanager: ${yamlStr(optJm)}`,
    ].join('\n')}\n`})
    for (const h of ['h1', 'h2']) await g!.ssh(h, `mkdir -p ${quoteArg(ioDir)}`)
    const run = (...args: string[]) => flinkctl([...args, '--conf-dir', weirdConf, '--flink-home', weirdHome], {timeoutMs: 300_000})
    const ok = async (args: string[]) => {
      const r = await run(...args)
      assert.equal(r.code, 0, explain(args, r))
      assert.deepEqual(await canaries(), [], `a shell ran a value during ${args.join(' ')}`)
      return r
    }
    try {
      await ok(['jobmanager', 'start', '--host', 'h2'])
      await ok(['taskmanager', 'start', '--host', 'h1', '-D', dyn])
      // the JVM got every value as one literal argument, and the files sit at the literal paths
      const tmArgs = (await g!.ssh('h1', "for p in $(pgrep -f '[T]askManagerRunner'); do tr '\\0' '\\n' </proc/$p/cmdline; done")).stdout.split('\n')
      for (const v of [optA, optB, optC]) assert.ok(tmArgs.includes(v), `TaskManager argv has ${v}: ${tmArgs.filter((a) => a.includes('inj')).join(' | ')}`)
      assert.ok(tmArgs.some((a) => a.startsWith(`-Dlog.file=${logDir}/`)), 'log.file under the literal env.log.dir')
      assert.ok(tmArgs.some((a) => a === dyn || a === `-D${dyn}`), `the -D value as one argument: ${tmArgs.filter((a) => a.includes('inj.d')).join(' | ')}`)
      assert.ok(tmArgs.includes(weirdConf), 'the conf dir path literal')
      const files = await g!.ssh('h1', `ls ${quoteArg(logDir)} ${quoteArg(pidDir)}`)
      assert.equal(files.code, 0, files.stderr)
      assert.match(files.stdout, /flink-root-taskexecutor-0-h1\.log/)
      assert.match(files.stdout, /flink-root-taskexecutor\.pid/)
      const jmArgs = (await g!.ssh('h2', "for p in $(pgrep -f '[S]tandaloneSessionClusterEntrypoint'); do tr '\\0' '\\n' </proc/$p/cmdline; done")).stdout.split('\n')
      assert.ok(jmArgs.includes(optJm), `JobManager argv has ${optJm}: ${jmArgs.filter((a) => a.includes('inj') || a.startsWith('org.')).join(' | ') || `no JobManager on h2: ${(await g!.ssh('h2', "ps -eo pid,args | grep [j]ava | cut -c1-200; find /tmp -name '*standalonesession*.out' -exec tail -n 20 {} +")).stdout}`}`)
      const status = await ok(['status', '--json'])
      assert.ok(JSON.stringify(status.json?.result).includes('running'), 'status sees the daemons at the hostile paths')

      // a job with hostile arguments, name and jar file name: Flink receives them as data
      const jar = `${BASE}/jar$(touch\${IFS}${rel('jar')}).jar`
      copyFileSync(join(home, 'examples/streaming/TopSpeedWindowing.jar'), jar)
      const name = `job$(id>${C('jobname')})`
      await waitFor('a TaskManager registered', 60_000, async () => {
        const s = await run('status', '--json')
        return s.json?.result?.taskmanagers?.registered >= 1 || /1\/1 registered/.test(s.stdout) ? true : undefined
      }).catch(() => {})
      const submit = await ok(['job', 'submit', jar, '--arg', `--flinkctl$(id>${C('arg-a')})`, '--arg', `\`id>${C('arg-b')}\``, '--job-conf', `pipeline.name=${name}`, '--json'])
      const jobId = submit.json?.result?.jobId ?? submit.json?.result?.id
      const list = await ok(['job', 'list', '--json'])
      // (the example names itself, so pipeline.name is not visible; the job running is what shows the values went as data)
      assert.ok(list.json?.result?.jobs?.some((j: {id: string; state: string}) => j.id === jobId && j.state === 'RUNNING'), `the job runs: ${JSON.stringify(list.json?.result)}`)
      if (jobId) await ok(['job', 'cancel', jobId])
    } finally {
      for (const args of [['taskmanager', 'stop-all', '--host', 'h1'], ['jobmanager', 'stop-all', '--host', 'h2']]) await run(...args)
      rmSync(weirdHome, {force: true})
    }
    assert.deepEqual(await canaries(), [])
    tried.push('real-home', 'real-conf', 'real-log', 'real-pid', 'real-io', 'real-opt-a', 'real-opt-b', 'real-opt-c', 'real-opt-jm', 'real-dyn', 'real-jar', 'real-jobname', 'real-arg-a', 'real-arg-b')
  })

  it('tried at least 40 hostile inputs, none of which ran', () => {
    assert.ok(tried.length >= 40, `only ${tried.length} cases ran`)
    process.stderr.write(`injection matrix: ${tried.length} hostile inputs tried, 0 executed\n`)
  })
})
