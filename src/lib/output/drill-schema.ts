// The --json contract of `flinkctl drill` (result of the envelope), for scripts and tests.
import {z} from 'zod'

const phaseName = z.enum(['leader-gone', 'new-leader', 'rest', 'jobs-running', 'tasks-running', 'checkpoint', 'contender-gone', 'quorum-degraded', 'quorum-leader', 'job-restarted', 'attempt-failed', 'new-attempt', 'quorum-lost', 'leadership-lost', 'quorum-back'])

const counts = z.object({emitted: z.number(), lost: z.number(), doubled: z.number(), reordered: z.number(), keys: z.number(), generation: z.number(), subtasks: z.number().int(), at: z.number()}).strict()

export const drillRoundSchema = z.object({
  round: z.number().int().positive(),
  target: z.object({
    kind: z.enum(['leader', 'standby', 'taskmanager', 'zk-peer', 'zk-leader', 'zk-quorum', 'yarn-am']),
    host: z.string(), label: z.string(), pid: z.number().int().positive(), mainClass: z.string(), commandLine: z.string(),
    tasks: z.number().int().nonnegative().optional(),
    restore: z.union([
      z.object({daemon: z.literal('standalonesession'), webuiPort: z.number().int()}),
      z.object({daemon: z.literal('taskexecutor'), count: z.number().int(), registered: z.number().int().optional()}),
      z.object({daemon: z.literal('zookeeper'), peerId: z.number().int()}),
      z.object({daemon: z.literal('yarn'), appId: z.string().regex(/^application_\d+_\d+$/), attempt: z.number().int().positive()}),
      z.object({daemon: z.literal('zookeeper-majority'), peers: z.array(z.object({peerId: z.number().int(), host: z.string(), pid: z.number().int().positive()})).min(1)}),
    ]),
  }),
  fault: z.enum(['kill', 'term', 'pause', 'partition']),
  faultAt: z.number(),
  hostFaultAt: z.number().optional(),
  before: z.object({leader: z.string().optional(), leaderSession: z.string().optional(), jobs: z.array(z.object({jobId: z.string().regex(/^[0-9a-f]{32}$/), name: z.string(), lastCompleted: z.number().optional(), runningSince: z.number().optional()}))}),
  after: z.object({leader: z.string().optional(), leaderSession: z.string().optional()}),
  phases: z.array(z.object({name: phaseName, at: z.number().optional(), ms: z.number().optional(), detail: z.string().optional()})),
  planned: z.array(phaseName).optional(),
  recoveryMs: z.number().optional(),
  checks: z.array(z.object({name: z.string(), ok: z.boolean(), detail: z.string()})),
  restored: z.object({ok: z.boolean(), detail: z.string(), ms: z.number().optional()}),
  timedOut: z.boolean(),
  withinBudget: z.boolean().optional(),
  explanation: z.array(z.string()),
  verify: z.object({jobId: z.string().regex(/^[0-9a-f]{32}$/), before: counts, after: counts.optional(), emitted: z.number(), lost: z.number(), doubled: z.number(), reordered: z.number(), keys: z.number()}).strict().optional(),
  partition: z.object({
    host: z.string(), peers: z.array(z.string()), addresses: z.array(z.union([z.ipv4(), z.ipv6()])), appliedAt: z.number(), hostAppliedAt: z.number().optional(),
    healedAt: z.number(), healed: z.boolean(), rejoinedMs: z.number().optional(), revokedAt: z.number().optional(), revokedLine: z.string().optional(),
    serving: z.array(z.object({label: z.string(), side: z.enum(['partitioned', 'others']), from: z.number(), to: z.number()})),
    overlaps: z.array(z.object({a: z.string(), b: z.string(), from: z.number(), to: z.number()})),
  }).strict().optional(),
  ok: z.boolean(),
}).strict()

export const drillReportSchema = z.object({
  options: z.object({
    target: z.string(), fault: z.string(), rounds: z.number().int(), timeoutMs: z.number(), settleMs: z.number(), checkpointMaxAgeMs: z.number(), force: z.boolean(),
    pauseMs: z.number().optional(), partitionMs: z.number().optional(), downMs: z.number().optional(), host: z.string().optional(), peerId: z.number().optional(), maxRecoveryMs: z.number().optional(),
    yarnSession: z.string().optional(),
    verify: z.boolean().optional(), verifyJobId: z.string().optional(),
    checker: z.object({rate: z.number().optional(), keys: z.number().optional(), parallelism: z.number().optional()}).optional(),
  }).strict(),
  startedAt: z.number(),
  sessionTimeout: z.object({requestedMs: z.number(), effectiveMs: z.number(), clamp: z.string().optional()}),
  rounds: z.array(drillRoundSchema),
  summary: z.array(z.object({phase: phaseName, rounds: z.number().int(), minMs: z.number(), medianMs: z.number(), maxMs: z.number()})),
  interrupted: z.boolean(),
  ok: z.boolean(),
  exit: z.number().int(),
}).strict()
