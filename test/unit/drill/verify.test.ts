// drill --verify's reading of the checker job: metric ids, sums over subtasks, when a reading is
// fresh, and the verdicts (lost state when a restarted job's state started empty).
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {freshAfter, isLive, parseMetricId, sumReading, verifyChecks, waitChecker, type CheckerReading, type CheckerVertex} from '../../../src/lib/drill/verify.ts'
import {RestClient} from '../../../src/lib/rest/client.ts'

const metrics = (subtask: number, v: Record<string, number | string>) => Object.entries(v).map(([k, x]) => ({id: `${subtask}.checker.${k}`, value: String(x)}))
const sub = (emitted: number, attempt: string, extra: Record<string, number> = {}) => ({emitted, lost: 0, doubled: 0, reordered: 0, keys: 4, generation: 0, restoredCheckpoint: -1, attempt, ...extra})
const reading = (r: Partial<CheckerReading>): CheckerReading => ({emitted: 100, lost: 0, doubled: 0, reordered: 0, keys: 8, generation: 0, restoredCheckpoint: -1, subtasks: 2, at: 0, attempts: ['a', 'b'], per: [{emitted: 50, keys: 4}, {emitted: 50, keys: 4}], ...r})

describe('checker metrics', () => {
  it('parses <subtask>.<operator>.<metric> ids of the checker only', () => {
    assert.deepEqual(parseMetricId('1.checker.lost'), {subtask: 1, metric: 'lost'})
    assert.deepEqual(parseMetricId('0.Source__sequence.checker.emitted'), {subtask: 0, metric: 'emitted'})
    assert.equal(parseMetricId('0.checker.numRecordsIn'), undefined, 'not a checker metric')
    assert.equal(parseMetricId('0.other.lost'), undefined, 'another operator')
    assert.equal(parseMetricId('checker.lost'), undefined, 'no subtask')
  })

  it('sums counts over subtasks, takes the smallest generation, keeps each attempt', () => {
    const r = sumReading([...metrics(0, sub(10, '11', {generation: 2, lost: 1})), ...metrics(1, sub(15, '22', {generation: 1, doubled: 2, restoredCheckpoint: 7}))], 2, 5)!
    assert.equal(r.emitted, 25)
    assert.equal(r.lost, 1)
    assert.equal(r.doubled, 2)
    assert.equal(r.keys, 8)
    assert.equal(r.generation, 1)
    assert.equal(r.restoredCheckpoint, 7)
    assert.deepEqual(r.attempts, ['11', '22'])
    assert.deepEqual(r.per, [{emitted: 10, keys: 4}, {emitted: 15, keys: 4}])
    assert.equal(r.at, 5)
  })

  it('trusts a reading only when the same attempts counted on since the one before (a stale cache does not move)', () => {
    const prev = reading({per: [{emitted: 50, keys: 4}, {emitted: 50, keys: 6}]})
    assert.equal(isLive(reading({per: [{emitted: 60, keys: 4}, {emitted: 55, keys: 6}]}), prev), true)
    assert.equal(isLive(reading({per: [{emitted: 60, keys: 4}, {emitted: 50, keys: 6}]}), prev), false, 'one subtask frozen: a stale value')
    assert.equal(isLive(reading({per: [{emitted: 60, keys: 4}, {emitted: 50, keys: 0}]}), prev), true, 'a subtask without keys has nothing to count')
    assert.equal(isLive(reading({attempts: ['a', 'c'], per: [{emitted: 60, keys: 4}, {emitted: 55, keys: 6}]}), prev), false, 'another attempt: one reading of it is not enough')
    assert.equal(isLive(prev, undefined), false)
  })

  it('waits past a stale attempt\'s values for the live ones', async () => {
    // the REST metric store first serves values two restores old, then the running attempts'
    const served = [
      [...metrics(0, sub(900, '9001', {generation: 10})), ...metrics(1, sub(800, '9002', {generation: 10}))],
      [...metrics(0, sub(1000, '1301', {generation: 13})), ...metrics(1, sub(1100, '1302', {generation: 13}))],
      [...metrics(0, sub(1000, '1301', {generation: 13})), ...metrics(1, sub(1100, '1302', {generation: 13}))],
      [...metrics(0, sub(1040, '1301', {generation: 13})), ...metrics(1, sub(1150, '1302', {generation: 13}))],
    ]
    let i = 0
    const rest = {async get(path: string) {
      if (!path.includes('?get=')) return served[0]!.map((x) => ({id: x.id}))
      return served[Math.min(i++, served.length - 1)]
    }} as unknown as RestClient
    const v: CheckerVertex = {jobId: 'j', vertexId: 'v', parallelism: 2}
    const before = reading({emitted: 1500, generation: 12, attempts: ['x0', 'x1']})
    const got = await waitChecker(rest, v, freshAfter(before, true), Date.now() + 5000, undefined, 1)
    assert.equal(got.ok, true)
    assert.equal(got.reading!.generation, 13, 'not the stale generation 10')
    assert.equal(got.reading!.emitted, 2190)
  })

  it('is undefined until every subtask reports every metric, or a value is not a number', () => {
    assert.equal(sumReading(metrics(0, sub(10, '1')), 2, 0), undefined, 'subtask 1 missing')
    const partial = metrics(1, sub(10, '2')).filter((m) => !m.id.endsWith('.lost'))
    assert.equal(sumReading([...metrics(0, sub(10, '1')), ...partial], 2, 0), undefined, 'lost missing on subtask 1')
    assert.equal(sumReading(metrics(0, {...sub(10, '1'), emitted: 'NaN'}), 1, 0), undefined)
  })
})

describe('freshAfter', () => {
  const before = reading({emitted: 100, attempts: ['a', 'b']})
  it('after a restart waits for new attempts on every subtask, then for emitted to move past the fault', () => {
    const ok = freshAfter(before, true)
    assert.equal(ok(reading({emitted: 500, attempts: ['a', 'b']})), false, 'old attempts: stale metrics')
    assert.equal(ok(reading({emitted: 500, attempts: ['c', 'b']})), false, 'one subtask still old')
    assert.equal(ok(reading({emitted: 90, generation: 1, attempts: ['c', 'd']})), false, 'restored, not yet past the fault')
    assert.equal(ok(reading({emitted: 150, generation: 1, attempts: ['c', 'd']})), true)
  })
  it('decides at once when the restarted state started over', () => {
    assert.equal(freshAfter(before, true)(reading({emitted: 3, generation: 0, attempts: ['c', 'd']})), true)
  })
  it('without a restart, a reading past the fault will do', () => {
    assert.equal(freshAfter(before, false)(reading({emitted: 100})), false)
    assert.equal(freshAfter(before, false)(reading({emitted: 101})), true)
  })
})

describe('verifyChecks', () => {
  const before = reading({emitted: 1000, generation: 1, attempts: ['a', 'b']})
  const failed = (checks: Array<{name: string; ok: boolean}>) => checks.filter((c) => !c.ok).map((c) => c.name.replace(/^checker \w+: /, ''))
  it('passes a restored job that moved on with nothing lost or doubled, and reports the round counts', () => {
    const {checks, verify} = verifyChecks('f'.repeat(32), before, reading({emitted: 1300, generation: 2, restoredCheckpoint: 9, attempts: ['c', 'd']}))
    assert.deepEqual(failed(checks), [])
    assert.ok(checks.some((c) => c.name.endsWith('state restored from a checkpoint') && /generation 1 → 2, checkpoint 9/.test(c.detail)))
    assert.equal(verify.emitted, 300)
    assert.equal(verify.lost, 0)
    assert.equal(verify.keys, 8)
  })
  it('a restarted job whose state started empty is lost state', () => {
    const {checks} = verifyChecks('f'.repeat(32), before, reading({emitted: 40, generation: 0, attempts: ['c', 'd']}))
    assert.deepEqual(failed(checks), ['state restored from a checkpoint', 'emitted after the recovery > before the fault'])
    assert.match(checks.find((c) => c.name.endsWith('state restored from a checkpoint'))!.detail, /^lost state: the job restarted without its checkpoint/)
  })
  it('lost and doubled records fail their checks; without a restart no restore is asked for', () => {
    const {checks, verify} = verifyChecks('f'.repeat(32), before, reading({emitted: 1100, generation: 1, lost: 3, doubled: 2, attempts: ['a', 'b']}))
    assert.deepEqual(failed(checks), ['no record lost', 'no record doubled'])
    assert.equal(verify.lost, 3)
    assert.ok(!checks.some((c) => c.name.endsWith('state restored from a checkpoint')))
  })
  it('no reading after the recovery fails', () => {
    const {checks, verify} = verifyChecks('f'.repeat(32), before, undefined)
    assert.equal(checks.length, 1)
    assert.equal(checks[0]!.ok, false)
    assert.equal(verify.after, undefined)
  })
})
