// Faults that are no single host's, through the real binary and without any host: a missing
// --ssh-config or no Flink home fails the command once (exit 3), not once per host; a bad
// --command-timeout is a usage error. (The per-host faults run on the SSH ground: test/e2e/faults.test.ts.)
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {writeTree} from '../helpers/fixtures.ts'
import {explain, flinkctl} from '../helpers/flinkctl.ts'

// the conf dir's parent is the Flink home unless told otherwise: a fake one, or none (withHome false)
const conf = (withHome = true) => writeTree({
  'conf/config.yaml': 'high-availability.type: zookeeper\nhigh-availability.zookeeper.quorum: zk1:2181\n# shared: a mount\nhigh-availability.storageDir: file:///mnt/ha\nhigh-availability.cluster-id: /t\n',
  'conf/masters': 'jm1:8081\njm2:8081\n',
  'conf/workers': 'tm1\ntm2\ntm3\n',
  'lib/flink-dist-2.3.0.jar': withHome ? '' : null,
})

describe('host faults that are no host\'s', () => {
  for (const cmd of [['stop-cluster'], ['status'], ['config', 'push'], ['logs'], ['start-cluster', '--no-wait']]) {
    it(`${cmd[0]}${cmd[1] ? ` ${cmd[1]}` : ''} with a missing --ssh-config fails once with exit 3`, async () => {
      const dir = conf()
      const args = [...cmd, '--conf-dir', `${dir}/conf`, '--flink-home', dir, '--ssh-config', `${dir}/nope`, '--json']
      const r = await flinkctl(args)
      assert.equal(r.code, 3, explain(args, r))
      assert.equal(r.json?.error?.code, 'SSH_CONFIG', explain(args, r))
      assert.equal(r.json?.result, undefined, 'no per-host result')
      assert.doesNotMatch(r.stderr, /^\[(jm|tm)\d\]/m, explain(args, r))
    })
  }

  for (const cmd of ['stop-cluster', 'status']) {
    it(`${cmd} without a Flink home fails once with exit 3`, async () => {
      const dir = conf(false)
      const args = [cmd, '--conf-dir', `${dir}/conf`, '--flink-version', '2.3.0']
      const r = await flinkctl(args)
      assert.equal(r.code, 3, explain(args, r))
      assert.equal(r.stderr.match(/^error: /gm)?.length, 1, explain(args, r))
      assert.match(r.stderr, /no Flink distribution to launch from/)
      assert.doesNotMatch(r.stdout, /FLINK_HOME_UNKNOWN/, 'no per-host rows')
    })
  }

  it('--command-timeout takes a duration', async () => {
    const dir = conf()
    const args = ['status', '--conf-dir', `${dir}/conf`, '--flink-home', dir, '--command-timeout', 'soon']
    const r = await flinkctl(args)
    assert.equal(r.code, 2, explain(args, r))
    assert.match(r.stderr, /--command-timeout soon/)
  })
})
