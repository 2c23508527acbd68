// Regression tests for the two defects of the hostile-input issue, through the real binary:
// a workers line that is shell code never runs on the bastion (it once did, through a
// ProxyCommand's %h), and a ProxyCommand that fails is that host's result, not a crash. Also the
// process guard: anything nothing caught is exit 1 with the FLINKCTL_DEBUG hint, never a trace.
import assert from 'node:assert/strict'
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {writeTree} from '../helpers/fixtures.ts'
import {explain, flinkctl} from '../helpers/flinkctl.ts'

const CONF = {
  'conf/config.yaml': 'jobmanager.rpc.address: localhost\nrest.port: 1\n',
  'conf/masters': 'localhost:1\n',
  'lib/flink-dist-2.3.0.jar': '',
}

describe('hostile host names and failing ProxyCommands, through the binary', () => {
  it('refuses a workers line that is shell code, before any ProxyCommand expands it (exit 3, canary absent)', async () => {
    const root = writeTree(CONF)
    const canary = join(root, 'canary')
    // no blanks: Flink's scripts take a line's first word, and ${IFS} is how a payload does without them
    writeFileSync(join(root, 'conf/workers'), `tm1\n$(touch\${IFS}${canary})\nw\`touch\${IFS}${canary}2\`x\n`)
    writeFileSync(join(root, 'ssh_config'), `Host *\n  ProxyCommand nc %h %p\n  UserKnownHostsFile ${join(root, 'kh')}\n  StrictHostKeyChecking yes\n`)
    for (const cmd of [['status'], ['stop-cluster'], ['start-cluster', '--dry-run'], ['config', 'push'], ['logs']]) {
      const args = [...cmd, '-c', join(root, 'conf'), '--flink-home', root, '--ssh-config', join(root, 'ssh_config')]
      const r = await flinkctl(args)
      assert.equal(r.code, 3, explain(args, r))
      assert.match(r.stderr, /workers:2:1: '\$\(touch\$\{IFS\}.*' is not a host name: it holds the character '\$'/, explain(args, r))
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace')
      assert.equal(existsSync(canary) || existsSync(`${canary}2`), false, `${cmd.join(' ')} ran the workers line`)
    }
    const v = await flinkctl(['validate', '-c', join(root, 'conf'), '--flink-home', root, '--json'])
    assert.equal(v.code, 3)
    const hits = v.json?.error?.details?.clusters?.[0]?.findings?.filter((f: {rule: string}) => f.rule === 'HOST-NAME') ?? []
    assert.deepEqual(hits.map((f: {line: number}) => f.line), [2, 3], explain(['validate'], v))
  })

  it('reports a host whose ProxyCommand exits non-zero, and goes on with the others (status exit 4, stop-cluster 6)', async () => {
    const root = writeTree({...CONF, 'conf/workers': 'localhost\nbadproxy\n'})
    writeFileSync(join(root, 'ssh_config'), `Host badproxy\n  ProxyCommand sh -c 'echo jump host says no >&2; exit 3'\n  UserKnownHostsFile ${join(root, 'kh')}\n`)
    const base = ['-c', join(root, 'conf'), '--flink-home', root, '--ssh-config', join(root, 'ssh_config')]
    const status = await flinkctl(['status', ...base, '--json'])
    assert.equal(status.code, 4, explain(['status'], status))
    assert.doesNotMatch(status.stderr, /Unhandled|^\s+at /m)
    const hosts = JSON.stringify(status.json?.result)
    assert.match(hosts, /ProxyCommand exited with 3: jump host says no/)
    assert.match(hosts, /"host":"localhost"/)
    const stop = await flinkctl(['stop-cluster', ...base])
    assert.ok(stop.code === 4 || stop.code === 6, explain(['stop-cluster'], stop))
    assert.match(stop.stderr + stop.stdout, /badproxy.*ProxyCommand exited with 3/s)
    assert.doesNotMatch(stop.stderr, /Unhandled|^\s+at /m)
  })

  it('turns an error nothing caught into exit 1 with the FLINKCTL_DEBUG hint, and the envelope under --json', async () => {
    const root = writeTree(CONF)
    const crash = join(root, 'crash.mjs')
    // an 'error' event with no listener, emitted while a command runs, as the ProxyCommand defect did
    writeFileSync(crash, "import {EventEmitter} from 'node:events'\nsetTimeout(() => new EventEmitter().emit('error', new Error('boom s3.secret-key: hunter2')), 50)\n")
    const args = ['status', '-c', join(root, 'conf'), '--flink-home', root]
    const text = await flinkctl(args, {env: {NODE_OPTIONS: `--import ${crash}`}})
    assert.equal(text.code, 1, explain(args, text))
    assert.match(text.stderr, /internal error: boom/)
    assert.match(text.stderr, /FLINKCTL_DEBUG=1/)
    assert.doesNotMatch(text.stderr, /^\s+at |hunter2/m)
    const json = await flinkctl([...args, '--json'], {env: {NODE_OPTIONS: `--import ${crash}`}})
    assert.equal(json.code, 1)
    assert.deepEqual({ok: json.json?.ok, code: json.json?.error?.code, exit: json.json?.error?.exit}, {ok: false, code: 'INTERNAL', exit: 1})
    assert.doesNotMatch(json.stdout, /hunter2/)
    const debug = await flinkctl(args, {env: {NODE_OPTIONS: `--import ${crash}`, FLINKCTL_DEBUG: '1'}})
    assert.match(debug.stderr, /^\s+at /m, 'the stack only with FLINKCTL_DEBUG')
  })

  it('exits quietly when the reader of stdout goes away (flinkctl … | head)', async () => {
    const {spawnSync} = await import('node:child_process')
    const r = spawnSync('sh', ['-c', `"${process.execPath}" bin/run.js taskmanager --help | head -n 1 >/dev/null; echo "rc=\${PIPESTATUS:-}"`], {encoding: 'utf8'})
    assert.doesNotMatch(r.stderr, /unsettled top-level await|EPIPE|^\s+at /m, r.stderr)
  })
})
