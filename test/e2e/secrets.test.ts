// "Secrets never leave": known secret values in the conf (S3, SSL, Azure keys, a password in
// env.java.opts.all, a -D override on the command line), then every command that prints, logs or
// reports, against real SSH hosts with real (small) JVMs. Everything flinkctl printed (stdout and
// stderr) and the daemon logs as `flinkctl logs` shows them must hold none of the values. The
// pushed conf files themselves hold them, of course (checked, so the test knows they went out).
import assert from 'node:assert/strict'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {explain, flinkctl, type CliResult} from '../helpers/flinkctl.ts'
import {assertHomeBuilt, groundFlinkHomes} from '../helpers/ground-flink.ts'
import {groundInstall, groundUp, skipUnlessRoot, type Ground} from '../helpers/ground-hosts.ts'
import {e2eBase, writeSet} from '../helpers/push-kill.ts'

const BASE = join(e2eBase(), 'secrets')
const CONF = `${BASE}/conf`
const LOG = `${BASE}/log`
const JDK17_OPTS = readFileSync(new URL('../../conf/config.yaml', import.meta.url), 'utf8').match(/^env\.java\.opts\.all: (.*)$/m)![1]!
const {version, home} = groundFlinkHomes().at(-1)!

const SECRETS = {
  's3.access-key': 'AKIAfcSecretAccess01',
  's3.secret-key': 'fcS3SecretKey02',
  'security.ssl.keystore-password': 'fcKeystorePw03',
  'security.ssl.truststore-password': 'fcTruststorePw04',
  'security.ssl.key-password': 'fcKeyPw05',
  'security.ssl.rest.keystore-password': 'fcRestKeystorePw06',
  'security.ssl.rest.truststore-password': 'fcRestTruststorePw07',
  'security.ssl.rest.key-password': 'fcRestKeyPw08',
  'fs.azure.account.key.fcacct.blob.core.windows.net': 'fcAzureKey09',
}
const JAVA_OPT_SECRET = 'fcJavaOptPw10'
const CLI_SECRET = 'fcCliSecret11'
const CHANGED_SECRET = 'fcChangedSecret12'
const ALL = [...Object.values(SECRETS), JAVA_OPT_SECRET, CLI_SECRET, CHANGED_SECRET]

const leaks = (text: string): string[] => ALL.filter((s) => text.includes(s))

describe(`secrets never leave flinkctl's output (Flink ${version})`, {skip: skipUnlessRoot(), timeout: 900_000}, () => {
  let g: Ground | undefined
  const seen: Array<{what: string; text: string}> = []
  const cli = async (...args: string[]): Promise<CliResult> => {
    const r = await flinkctl([...args, '--conf-dir', CONF, '--flink-home', home])
    seen.push({what: `flinkctl ${args.join(' ')} (exit ${r.code})`, text: r.stdout + r.stderr})
    return r
  }
  const confText = (secret: string) => [
    // ZooKeeper HA only so that the JobManager runs on h1 (no ZooKeeper runs; the JVMs start and retry)
    'high-availability.type: zookeeper', 'high-availability.zookeeper.quorum: h1:2181', 'high-availability.cluster-id: /secrets',
    '# shared: nothing is written there (no job runs)', 'high-availability.storageDir: file:///tmp/ha',
    'jobmanager.bind-host: 0.0.0.0', 'rest.bind-address: 0.0.0.0', 'taskmanager.bind-host: 0.0.0.0',
    'jobmanager.memory.process.size: 700m', 'taskmanager.memory.process.size: 1g', 'taskmanager.numberOfTaskSlots: 1',
    `env.log.dir: ${LOG}`, `env.ssh.opts: -F ${g!.sshConfig}`,
    `env.java.opts.all: ${JDK17_OPTS} -Djavax.net.ssl.trustStorePassword=${JAVA_OPT_SECRET}`,
    ...Object.entries({...SECRETS, 's3.secret-key': secret}).map(([k, v]) => `${k}: ${v}`), '',
  ].join('\n')

  before(async () => {
    assertHomeBuilt({version, home})
    await groundInstall()
    rmSync(BASE, {recursive: true, force: true})
    g = await groundUp({hosts: 3, privateEmpty: ['/tmp', CONF, LOG]})
    writeSet(CONF, {
      'config.yaml': confText(SECRETS['s3.secret-key']), masters: 'h1:8081\n', workers: 'h2\nh3\n',
      'log4j.properties': readFileSync(join(home, 'conf/log4j.properties'), 'utf8'),
    })
  })
  after(async () => {
    await flinkctl(['stop-cluster', '--conf-dir', CONF, '--flink-home', home]).catch(() => {})
    await g?.down()
  })

  it('prints no secret value from any command, and `logs` redacts what Flink itself logged', async () => {
    const D = ['-D', `s3.secret-key=${CLI_SECRET}`]
    for (const args of [['validate'], ['validate', '--json'], ['config'], ['config', '--json'], ['config', ...D], ['config', '--json', ...D], ['config', '--defaults', '--json']]) {
      const r = await cli(...args)
      assert.equal(r.code, 0, explain(args, r))
    }
    // a bad value next to the secrets, and a -D override: the error must not quote them
    assert.equal((await cli('validate', '-D', 'taskmanager.numberOfTaskSlots=many', ...D)).code, 3)
    for (const args of [['start-cluster', '--dry-run', ...D], ['start-cluster', '--dry-run', '--json', ...D], ['jobmanager', 'start', '--host', 'h1', '--dry-run', '--json', ...D], ['taskmanager', 'start', '--host', 'h2', '--dry-run']]) {
      const r = await cli(...args)
      assert.equal(r.code, 0, explain(args, r))
    }
    // the push's own text (the pushed file holds the secrets: it is the configuration)
    for (const args of [['config', 'push'], ['config', 'diff', '--json']]) {
      const r = await cli(...args)
      assert.equal(r.code, 0, explain(args, r))
    }
    const onHost = await g!.ssh('h2', `cat ${CONF}/config.yaml`)
    assert.ok(onHost.stdout.includes(SECRETS['s3.secret-key']), 'the pushed conf holds the secret')
    // a changed secret: diff shows the changed line, redacted on both sides
    writeFileSync(join(CONF, 'config.yaml'), confText(CHANGED_SECRET))
    const diff = await cli('config', 'diff')
    assert.equal(diff.code, 7, explain(['config', 'diff'], diff))
    assert.match(diff.stdout, /^\s*-s3\.secret-key: \*{6}$/m)
    assert.match(diff.stdout, /^\s*\+s3\.secret-key: \*{6}$/m)
    assert.equal((await cli('config', 'diff', '--json')).code, 7)
    assert.equal((await cli('config', 'push', '--json')).code, 0)

    // real JVMs on h1-h3
    const start = await cli('start-cluster', '--no-wait', ...D)
    assert.equal(start.code, 0, explain(['start-cluster'], start))
    await new Promise((r) => setTimeout(r, 8000)) // Flink has logged its configuration and JVM options
    for (const args of [['status'], ['status', '--json'], ['logs', '-n', '400'], ['logs', '-n', '400', '--out'], ['logs', '-n', '400', '--json'], ['jobmanager', 'status', '--host', 'h1']]) {
      const r = await cli(...args)
      assert.ok([0, 4, 6].includes(r.code), explain(args, r))
    }
    // Flink's own log really held a secret (so `logs` had something to redact): its JVM options
    const raw = await g!.ssh('h1', `cat ${LOG}/flink-*-standalonesession-*.log`)
    assert.ok(raw.stdout.includes(JAVA_OPT_SECRET), 'the JobManager log shows its JVM options')
    const shown = seen.find((s) => s.what.startsWith('flinkctl logs -n 400 ('))
    assert.ok(shown && /JVM Options/.test(shown.text) && shown.text.includes('trustStorePassword=******'), 'logs shows those lines, redacted')
    assert.equal((await cli('stop-cluster')).code, 0)

    const found = seen.flatMap((s) => leaks(s.text).map((v) => `${s.what}: ${v}`))
    assert.deepEqual(found, [], `secret values printed:\n${found.join('\n')}`)
  })
})
