// Quorum loss with high-availability.zookeeper.client.tolerate-suspended-connections: true, on the
// newest Flink home (drills.test.ts runs it with the default, false, on the same ground layout).
// With true a leader rides out a suspended connection and gives up leadership only once Curator
// deems its session lost: the drill and the leader's own log must both show the later revocation.
// Not on 1.20.0: its Curator 5.4.0 leaves a double leader after lost sessions (CURATOR-696).
import assert from 'node:assert/strict'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {explain} from '../helpers/flinkctl.ts'
import {assertHomeBuilt, groundFlinkHomes} from '../helpers/ground-flink.ts'
import {skipUnlessRoot} from '../helpers/ground-hosts.ts'
import {assertQuorumLoss, drillGround, MAIN, type DrillGround} from '../helpers/drill-ground.ts'

const newest = groundFlinkHomes().at(-1)!
const curatorOk = Number(newest.version.split('.')[0]) >= 2
const base = `/var/tmp/flinkctl-e2e/drills-quorum-${newest.version}`
const conf = ['heartbeat.interval: 2000', 'heartbeat.timeout: 10000', 'metrics.fetcher.update-interval: 1000', 'high-availability.zookeeper.client.tolerate-suspended-connections: true']

describe(`quorum loss with tolerate-suspended-connections: true, Flink ${newest.version}`, {skip: curatorOk ? skipUnlessRoot() : `Flink ${newest.version} ships Curator 5.4.0 (CURATOR-696)`, timeout: 900_000}, () => {
  let g: DrillGround | undefined
  let failed = false

  before(async () => {
    assertHomeBuilt(newest)
    g = await drillGround(base, newest.home, conf)
  })

  after(async () => {
    if (!g) return
    if (failed) await g.ground.keepLogs(join(base, 'failed-logs'))
    if (!process.env.FLINKCTL_GROUND_KEEP_UP) await g.ground.down()
  })

  it('the leader keeps leadership through the suspension and gives it up once its session is lost; the job recovers its checkpoint, nothing lost or doubled', async (t) => {
    t.after(() => void (failed ||= !t.passed))
    t.diagnostic(await assertQuorumLoss(g!, `${base}/log`, true))
  })

  it('stop-cluster stops every JobManager', async (t) => {
    t.after(() => void (failed ||= !t.passed))
    const stop = await g!.cli('stop-cluster', '--json')
    assert.equal(stop.code, 0, explain(['stop-cluster'], stop))
    assert.deepEqual([...await g!.pids('h1', MAIN.jm), ...await g!.pids('h2', MAIN.jm)], [])
  })
})
