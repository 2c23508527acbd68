// flinkctl drill's usage errors as a user meets them (bin/run.js over dist/: npm run build first):
// --partition combined with what it cannot be, refused with exit 2, one message and a hint, no
// stack trace, before any host or ZooKeeper is asked.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'
import {errorEnvelopeSchema} from '../../src/lib/output/schemas.ts'
import {writeTree} from '../helpers/fixtures.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const run = (args: string[]): Promise<{code: number; stdout: string; stderr: string}> => new Promise((resolve) => {
  execFile(process.execPath, [join(root, 'bin/run.js'), ...args], {cwd: root, env: {...process.env, FLINK_CONF_DIR: undefined, FLINK_HOME: undefined, NO_COLOR: '1'}, timeout: 60_000}, (err, stdout, stderr) => {
    resolve({code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr)})
  })
})
// the quorum names hosts that do not exist: a drill that went past its usage checks would fail differently
const conf = writeTree({
  'config.yaml': 'high-availability:\n  type: zookeeper\n  zookeeper.quorum: zk-a.invalid:2181\n  storageDir: file:///var/tmp/ha\n',
  masters: 'jm-a.invalid:8081\njm-b.invalid:8081\n', workers: 'tm-a.invalid\n',
})

describe('drill --partition usage', () => {
  for (const [args, message] of [
    [['--partition', '20s', '--target', 'zk-quorum'], /--partition cuts off one host/],
    [['--partition', '500ms'], /--partition 500ms is shorter than a second/],
    [['--partition', 'soon'], /--partition/],
    [['--partition', '20s', '--kill'], /cannot also be provided when using --partition|--kill/],
  ] as const) {
    it(`${args.join(' ')}: exit 2, one message, nothing asked`, async () => {
      const r = await run(['drill', ...args, '--conf-dir', conf, '--json'])
      assert.equal(r.code, 2, r.stdout + r.stderr)
      const env = errorEnvelopeSchema.parse(JSON.parse(r.stdout))
      assert.match(env.error.message, message)
      assert.doesNotMatch(r.stdout + r.stderr, /\bat .*\.(js|ts):\d+|\tat /)
      assert.doesNotMatch(r.stderr, /invalid|ENOTFOUND|ZooKeeper/i, 'no host or ZooKeeper was asked')
    })
  }

  it('the help names --partition, what it needs and an example', async () => {
    const r = await run(['drill', '--help'])
    assert.equal(r.code, 0)
    assert.match(r.stdout, /--partition=<value>/)
    assert.match(r.stdout, /root or sudo -n/)
    assert.match(r.stdout, /drill --partition 20s --verify/)
  })
})
