import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {checkpointSeenAt} from '../../../src/lib/drill/phases.ts'

describe('checkpointSeenAt', () => {
  it("takes the JobManager's completion time of the last job's checkpoint, not when the cached REST answer showed it", () => {
    assert.equal(checkpointSeenAt([10_500, 10_800], 9_000, 13_000), 10_800)
  })
  it('never before the previous phase, never after it was seen (a JobManager clock apart)', () => {
    assert.equal(checkpointSeenAt([5_000], 9_000, 13_000), 9_000)
    assert.equal(checkpointSeenAt([20_000], 9_000, 13_000), 13_000)
  })
  it('the moment seen when a job has no completion time', () => {
    assert.equal(checkpointSeenAt([10_500, undefined], 9_000, 13_000), 13_000)
    assert.equal(checkpointSeenAt([], 9_000, 13_000), 13_000)
  })
})
