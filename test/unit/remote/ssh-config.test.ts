import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {ConfigError} from '../../../src/lib/errors.ts'
import {
  concatConfigs,
  globPaths,
  type LocalContext,
  loadSshConfig,
  matchPattern,
  matchPatternList,
  parseSshConfig,
  parseSshTime,
  resolveHost,
  splitArgs,
  splitLine,
} from '../../../src/lib/remote/ssh-config.ts'

const ctx: LocalContext = {home: '/home/op', user: 'op', hostname: 'bastion.example.com', uid: 1000, env: {SSH_AUTH_SOCK: '/run/agent.sock', KEYS: '/keys'}}
const parse = (text: string, files: Record<string, string> = {}) =>
  parseSshConfig(text, {
    file: 'config',
    context: ctx,
    readFile: (p) => files[p],
    glob: (pattern) => {
      const re = new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, '\\$&').replaceAll('*', '[^/]*').replaceAll('?', '[^/]')}$`)
      return Object.keys(files).filter((f) => re.test(f)).sort()
    },
  })
const resolve = (text: string, alias: string, files: Record<string, string> = {}, options: [string, string][] = []) =>
  resolveHost(parse(text, files), alias, {context: ctx, options})

describe('ssh_config lines', () => {
  it('splits Key Value, Key=Value and Key = Value, keywords case-insensitive', () => {
    assert.deepEqual(splitLine('HostName example.com'), {key: 'hostname', rawKey: 'HostName', args: ['example.com']})
    assert.deepEqual(splitLine('  PORT=2222'), {key: 'port', rawKey: 'PORT', args: ['2222']})
    assert.deepEqual(splitLine('\tUser = deploy  '), {key: 'user', rawKey: 'User', args: ['deploy']})
    assert.deepEqual(splitLine('user\t=\tdeploy\r'), {key: 'user', rawKey: 'user', args: ['deploy']})
    assert.equal(splitLine('   # comment'), undefined)
    assert.equal(splitLine(''), undefined)
    assert.equal(splitLine('   '), undefined)
  })

  it('handles quotes, escapes and trailing comments like argv_split', () => {
    assert.deepEqual(splitArgs('"/path with/space" b'), ['/path with/space', 'b'])
    assert.deepEqual(splitArgs(`'single "x"' "double 'y'"`), [`single "x"`, `double 'y'`])
    assert.deepEqual(splitArgs('a\\ b c\\"d \\\\e'), ['a b', 'c"d', '\\e'])
    assert.deepEqual(splitArgs('x # a comment'), ['x'])
    assert.deepEqual(splitArgs('x#not-a-comment'), ['x#not-a-comment'])
    assert.deepEqual(splitArgs('pre"mid dle"post'), ['premid dlepost'])
    assert.deepEqual(splitArgs('""'), [''])
    assert.throws(() => splitArgs('"open', 'f', 3), (e: unknown) => e instanceof ConfigError && /f:3: unterminated " quote/.test(e.message))
  })

  it('keeps ProxyCommand whole, quotes and all', () => {
    const r = resolve('Host x\n  ProxyCommand ssh -W "%h:%p" \'bastion host\'\n', 'x')
    assert.equal(r.proxyCommand, `ssh -W "%h:%p" 'bastion host'`)
    assert.equal(resolve('Host x\n ProxyCommand none\n', 'x').proxyCommand, undefined)
  })

  it('parses time values', () => {
    assert.equal(parseSshTime('30'), 30)
    assert.equal(parseSshTime('1m30s'), 90)
    assert.equal(parseSshTime('2h'), 7200)
    assert.equal(parseSshTime('1x'), undefined)
    assert.equal(parseSshTime(''), undefined)
  })
})

describe('Host patterns', () => {
  it('matches * and ? over the whole name, case-insensitively', () => {
    assert.ok(matchPattern('web1.example.com', '*.example.com'))
    assert.ok(matchPattern('WEB1', 'web?'))
    assert.ok(!matchPattern('web12', 'web?'))
    assert.ok(matchPattern('anything', '*'))
    assert.ok(matchPattern('', '*'))
    assert.ok(!matchPattern('example.com.evil', '*.example.com'))
    assert.ok(matchPattern('a.b.c', '*.*.*'))
    assert.ok(matchPattern('aXbXc', 'a*b*c'))
    assert.ok(!matchPattern('aXbXd', 'a*b*c'))
    assert.ok(matchPattern('10.0.0.5', '10.0.0.?'))
  })

  it('negation vetoes, and a list of only negations matches nothing', () => {
    assert.ok(matchPatternList('h1', ['h*', '!h2']))
    assert.ok(!matchPatternList('h2', ['h*', '!h2']))
    assert.ok(!matchPatternList('h2', ['!h2', 'h*']))
    assert.ok(!matchPatternList('h1', ['!h2']))
  })

  it('agrees with a brute-force regex matcher on random patterns', () => {
    // fuzz: patterns over a tiny alphabet, compared against RegExp semantics
    let seed = 42
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n)
    const alpha = 'ab.'
    for (let i = 0; i < 3000; i++) {
      const pat = Array.from({length: rnd(6)}, () => 'ab.*?'[rnd(5)]).join('')
      const text = Array.from({length: rnd(7)}, () => alpha[rnd(3)]).join('')
      const re = new RegExp(`^${pat.replaceAll('.', '\\.').replaceAll('*', '.*').replaceAll('?', '.')}$`, 's')
      assert.equal(matchPattern(text, pat), re.test(text), `pattern ${JSON.stringify(pat)} vs ${JSON.stringify(text)}`)
    }
  })
})

describe('resolveHost', () => {
  const config = `
# global defaults come last in a well-written file, first-obtained wins
Host web*
  User deploy
  Port 2200

Host web1
  HostName 10.0.0.1
  # too late: Port was already obtained from "web*"
  Port 22
  IdentityFile ~/.ssh/web1

Host *.prod !bad.prod
  HostName %h.internal
  ProxyJump bastion

Host *
  User fallback
  IdentityFile ~/.ssh/id_%u_%r@%h:%p
  ServerAliveInterval 30
  ConnectTimeout 7
`

  it('takes the first value per keyword and accumulates IdentityFile', () => {
    const r = resolve(config, 'web1')
    assert.equal(r.alias, 'web1')
    assert.equal(r.hostName, '10.0.0.1')
    assert.equal(r.user, 'deploy')
    assert.equal(r.port, 2200)
    assert.deepEqual(r.identityFiles, ['/home/op/.ssh/web1', '/home/op/.ssh/id_op_deploy@10.0.0.1:2200'])
    assert.equal(r.serverAliveInterval, 30)
    assert.equal(r.serverAliveCountMax, 3)
    assert.equal(r.connectTimeout, 7)
  })

  it('matches Host patterns against the alias, case-insensitively, with negation', () => {
    assert.equal(resolve(config, 'API.prod').hostName, 'api.prod.internal')
    assert.equal(resolve(config, 'api.prod').proxyJump, 'bastion')
    const bad = resolve(config, 'bad.prod')
    assert.equal(bad.hostName, 'bad.prod')
    assert.equal(bad.proxyJump, undefined)
    assert.equal(bad.user, 'fallback')
  })

  it('uses ssh defaults when nothing is configured', () => {
    const r = resolve('', 'plain')
    assert.equal(r.hostName, 'plain')
    assert.equal(r.user, 'op')
    assert.equal(r.port, 22)
    assert.deepEqual(r.identityFiles, [])
    assert.equal(r.identitiesOnly, false)
    assert.deepEqual(r.userKnownHostsFiles, ['/home/op/.ssh/known_hosts', '/home/op/.ssh/known_hosts2'])
    assert.deepEqual(r.globalKnownHostsFiles, ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'])
    assert.equal(r.strictHostKeyChecking, 'ask')
    assert.equal(r.serverAliveInterval, 0)
    assert.equal(r.connectTimeout, undefined)
    assert.equal(r.hashKnownHosts, false)
  })

  it('lets command-line options win over the file', () => {
    const r = resolve(config, 'web1', {}, [['User', 'cli'], ['Port', '2022'], ['IdentityFile', '/cli/key'], ['StrictHostKeyChecking', 'accept-new']])
    assert.equal(r.user, 'cli')
    assert.equal(r.port, 2022)
    assert.equal(r.identityFiles[0], '/cli/key')
    assert.equal(r.identityFiles.length, 3)
    assert.equal(r.strictHostKeyChecking, 'accept-new')
  })

  it('expands ~, %-tokens and ${VAR} in file names, and takes several known_hosts files', () => {
    const r = resolve(
      'Host h\n HostName real.example\n User u\n UserKnownHostsFile ~/.ssh/kh_%h "/with space/%n" ${KEYS}/kh\n GlobalKnownHostsFile none\n IdentityFile %d/k_%l_%L_%i %%lit\n IdentitiesOnly yes\n',
      'h',
    )
    assert.deepEqual(r.userKnownHostsFiles, ['/home/op/.ssh/kh_real.example', '/with space/h', '/keys/kh'])
    assert.deepEqual(r.globalKnownHostsFiles, [])
    assert.deepEqual(r.identityFiles, ['/home/op/k_bastion.example.com_bastion_1000'])
    assert.equal(r.identitiesOnly, true)
    assert.match(resolve('Host h\n IdentityFile ~/.ssh/%C\n', 'h').identityFiles[0]!, /^\/home\/op\/\.ssh\/[0-9a-f]{40}$/)
  })

  it('rejects unknown tokens, unset variables and bad values with the file and line', () => {
    assert.throws(() => resolve('Host *\n IdentityFile ~/%z\n', 'h'), /config:2: unknown token %z/)
    assert.throws(() => resolve('Host *\n IdentityFile ${NOPE}/k\n', 'h'), /config:2: environment variable NOPE/)
    assert.throws(() => resolve('Host *\n Port 99999\n', 'h'), /config:2: port must be a number from 1 to 65535/)
    assert.throws(() => resolve('Port abc\n', 'h'), /config:1/)
    assert.throws(() => resolve('IdentitiesOnly maybe\n', 'h'), /identitiesonly must be yes or no/)
    assert.throws(() => resolve('StrictHostKeyChecking sometimes\n', 'h'), /StrictHostKeyChecking must be/)
    assert.throws(() => parse('Host\n'), /config:1: Host needs at least one pattern/)
    assert.throws(() => parse('User\n'), /config:1: 'User' has no value/)
  })

  it('reads StrictHostKeyChecking, IdentityAgent, HostKeyAlias and ProxyJump none', () => {
    assert.equal(resolve('StrictHostKeyChecking no', 'h').strictHostKeyChecking, 'no')
    assert.equal(resolve('StrictHostKeyChecking off', 'h').strictHostKeyChecking, 'no')
    assert.equal(resolve('StrictHostKeyChecking=yes', 'h').strictHostKeyChecking, 'yes')
    assert.equal(resolve('IdentityAgent none', 'h').identityAgent, 'none')
    assert.equal(resolve('IdentityAgent SSH_AUTH_SOCK', 'h').identityAgent, undefined)
    assert.equal(resolve('IdentityAgent $SSH_AUTH_SOCK', 'h').identityAgent, '/run/agent.sock')
    assert.equal(resolve('IdentityAgent ~/agent.%u', 'h').identityAgent, '/home/op/agent.op')
    assert.equal(resolve('HostKeyAlias shared', 'h').hostKeyAlias, 'shared')
    assert.equal(resolve('Host h\n ProxyJump none\nHost *\n ProxyJump b\n', 'h').proxyJump, undefined)
  })

  it('skips Match blocks until the next Host, with a note', () => {
    const c = parse('Match host h exec "true"\n  User matched\nHost h\n  Port 2\nMatch all\n  Port 3\n')
    assert.equal(c.notes.length, 2)
    assert.match(c.notes[0]!, /config:1: 'Match host h exec true' is not supported/)
    const r = resolveHost(c, 'h', {context: ctx})
    assert.equal(r.user, 'op')
    assert.equal(r.port, 2)
  })
})

describe('Include', () => {
  it('reads included files relative to ~/.ssh, in glob order, at the position of the Include', () => {
    const files = {
      '/home/op/.ssh/conf.d/20-b.conf': 'Host b\n  User bee\n',
      '/home/op/.ssh/conf.d/10-a.conf': 'Host a\n  User ay\nHost *\n  Port 1022\n',
      '/etc/abs.conf': 'Host c\n  User sea\n',
    }
    const c = parse('Include conf.d/*.conf /etc/abs.conf\nHost *\n  User default\n  Port 22\n', files)
    assert.deepEqual(c.files, ['config', '/home/op/.ssh/conf.d/10-a.conf', '/home/op/.ssh/conf.d/20-b.conf', '/etc/abs.conf'])
    assert.equal(resolveHost(c, 'a', {context: ctx}).user, 'ay')
    assert.equal(resolveHost(c, 'b', {context: ctx}).user, 'bee')
    assert.equal(resolveHost(c, 'c', {context: ctx}).user, 'sea')
    assert.equal(resolveHost(c, 'z', {context: ctx}).user, 'default')
    // "Host *" inside the first included file came before the main file's Port
    assert.equal(resolveHost(c, 'z', {context: ctx}).port, 1022)
  })

  it('an Include inside a Host block applies only to that host, and restores the block after', () => {
    const files = {'/home/op/.ssh/inc': 'User included\nHost *\n  Port 2222\n'}
    const text = 'Host h1\n  Include inc\n  HostName one\nHost *\n  User other\n'
    assert.deepEqual(
      [resolve(text, 'h1', files).user, resolve(text, 'h1', files).port, resolve(text, 'h1', files).hostName],
      ['included', 2222, 'one'],
    )
    // for h2 the Include sat in an inactive block: nothing in it applies, not even its "Host *"
    assert.deepEqual([resolve(text, 'h2', files).user, resolve(text, 'h2', files).port], ['other', 22])
  })

  it('notes a missing Include target and stops an Include loop', () => {
    const c = parse('Include nothere\n', {})
    assert.match(c.notes[0]!, /Include \/home\/op\/\.ssh\/nothere does not exist/)
    assert.throws(() => parse('Include loop\n', {'/home/op/.ssh/loop': 'Include loop\n'}), /nested more than 16 deep/)
  })

  it('expands globs on the real file system, skipping dotfiles', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flinkctl-sshcfg-'))
    after(() => rmSync(dir, {recursive: true, force: true}))
    mkdirSync(join(dir, 'd1'))
    mkdirSync(join(dir, 'd2'))
    writeFileSync(join(dir, 'd1', 'a.conf'), 'Host a\n User one\n')
    writeFileSync(join(dir, 'd2', 'b.conf'), 'Host b\n User two\n')
    writeFileSync(join(dir, 'd2', '.hidden.conf'), 'Host a\n User hidden\n')
    assert.deepEqual(globPaths(`${dir}/d?/*.conf`), [join(dir, 'd1/a.conf'), join(dir, 'd2/b.conf')])
    writeFileSync(join(dir, 'config'), `Include ${dir}/d*/*.conf\nInclude rel/*.conf\n`)
    const c = loadSshConfig(join(dir, 'config'), {context: {...ctx, home: dir}})
    assert.equal(resolveHost(c, 'a', {context: ctx}).user, 'one')
    assert.equal(resolveHost(c, 'b', {context: ctx}).user, 'two')
    assert.deepEqual(loadSshConfig(join(dir, 'missing')), {items: [], files: [], notes: []})
  })

  it('starts each concatenated file with every option active', () => {
    const user = parse('Host only-this\n  User scoped\n')
    const system = parse('Port 2020\n')
    const r = resolveHost(concatConfigs(user, system), 'other', {context: ctx})
    assert.equal(r.port, 2020)
    assert.equal(r.user, 'op')
  })
})

describe('fuzz: the parser never throws anything but ConfigError', () => {
  it('survives random lines', () => {
    let seed = 7
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n)
    const pieces = ['Host', 'User', 'Port', '=', ' ', '\t', '"', "'", '\\', '#', '*', '!', 'h1', '%h', '%', '~', 'Include', 'Match', '\r', 'IdentityFile', '22', 'x y']
    for (let i = 0; i < 2000; i++) {
      const text = Array.from({length: rnd(8)}, () => Array.from({length: rnd(6)}, () => pieces[rnd(pieces.length)]).join('')).join('\n')
      try {
        resolveHost(parse(text), 'h1', {context: ctx})
      } catch (err) {
        assert.ok(err instanceof ConfigError, `${JSON.stringify(text)}: ${String(err)}`)
      }
    }
  })
})

describe('agrees with OpenSSH (ssh -G)', {skip: spawnSync('ssh', ['-V']).status === 0 ? false : 'no ssh client'}, () => {
  it('resolves the same HostName, User, Port, ProxyJump, timeouts and known_hosts files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flinkctl-sshg-'))
    after(() => rmSync(dir, {recursive: true, force: true}))
    mkdirSync(join(dir, 'inc'))
    writeFileSync(join(dir, 'inc', 'a.conf'), 'Host api.prod\n  User apiuser\nHost *\n  Port 2022\n')
    writeFileSync(join(dir, 'inc', 'b.conf'), 'Host db?\n  HostName %h.db\n')
    const cfg = join(dir, 'cfg')
    writeFileSync(
      cfg,
      [
        'Host web*',
        '  User deploy',
        '  Port 2200',
        'Host web1',
        '  HostName 10.0.0.1',
        '  Port 22',
        '  IdentityFile ~/.ssh/web1',
        `  Include ${dir}/inc/*.conf`,
        'Host *.prod !bad.prod',
        '  HostName %h.internal',
        '  ProxyJump bastion',
        'Match host nomatch',
        '  User matched',
        `Host=db1 "db 2" api.prod`,
        `  Include ${dir}/inc/b.conf`,
        'Host *',
        '  User fallback',
        '  IdentityFile ~/.ssh/id_%u_%r',
        '  IdentitiesOnly=yes',
        '  ServerAliveInterval 1m',
        '  ConnectTimeout 7',
        '  StrictHostKeyChecking accept-new',
        '  UserKnownHostsFile ~/.ssh/kh_%h "/with space/%n"',
        '',
      ].join('\n'),
    )
    const real = loadSshConfig(cfg)
    for (const alias of ['web1', 'web2', 'api.prod', 'bad.prod', 'db1', 'DB3', 'other']) {
      const g = spawnSync('ssh', ['-G', '-F', cfg, alias], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
      assert.equal(g.status, 0, g.stderr)
      const kv = new Map<string, string[]>()
      for (const line of g.stdout.split('\n')) {
        const sp = line.indexOf(' ')
        if (sp > 0) kv.set(line.slice(0, sp), [...(kv.get(line.slice(0, sp)) ?? []), line.slice(sp + 1)])
      }
      const one = (k: string) => kv.get(k)?.[0]
      const r = resolveHost(real, alias)
      const ours = {
        hostname: r.hostName,
        user: r.user,
        port: String(r.port),
        proxyjump: r.proxyJump,
        serveraliveinterval: String(r.serverAliveInterval),
        connecttimeout: r.connectTimeout === undefined ? 'none' : String(r.connectTimeout),
        stricthostkeychecking: r.strictHostKeyChecking === 'yes' ? 'true' : r.strictHostKeyChecking === 'no' ? 'false' : r.strictHostKeyChecking,
        userknownhostsfile: r.userKnownHostsFiles.join(' '),
        identitiesonly: r.identitiesOnly ? 'yes' : 'no',
        identityfiles: r.identityFiles.length,
      }
      const theirs = {
        hostname: one('hostname'),
        user: one('user'),
        port: one('port'),
        proxyjump: one('proxyjump'),
        serveraliveinterval: one('serveraliveinterval'),
        connecttimeout: one('connecttimeout'),
        stricthostkeychecking: one('stricthostkeychecking'),
        userknownhostsfile: one('userknownhostsfile'),
        identitiesonly: one('identitiesonly'),
        identityfiles: kv.get('identityfile')?.length ?? 0,
      }
      assert.deepEqual(ours, theirs, alias)
    }
  })
})
