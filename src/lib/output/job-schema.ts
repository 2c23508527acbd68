// The --json contract of `flinkctl job submit|list|cancel` (result of the envelope), for scripts and tests.
import {z} from 'zod'

const jobId = z.string().regex(/^[0-9a-f]{32}$/)
const taskCounts = z.object({total: z.number().int().nonnegative(), running: z.number().int().nonnegative()}).catchall(z.number().int().nonnegative())

export const jobSubmitResultSchema = z.object({
  jobId,
  jar: z.string(),
  jarId: z.string(),
  restUrl: z.string(),
  leader: z.string().optional(),
  name: z.string().optional(),
  state: z.string().optional(),
  waited: z.boolean(),
  tasks: taskCounts.optional(),
  timings: z.object({uploadMs: z.number(), runMs: z.number(), runningMs: z.number().optional(), allRunningMs: z.number().optional()}).strict(),
  jarDeleted: z.boolean(),
}).strict()

export const jobListResultSchema = z.object({
  restUrl: z.string(),
  leader: z.string().optional(),
  jobs: z.array(z.object({
    id: jobId,
    name: z.string(),
    state: z.string(),
    startTime: z.number().optional(),
    endTime: z.number().optional(),
    durationMs: z.number().optional(),
    tasks: taskCounts,
  }).strict()),
}).strict()

export const jobCancelResultSchema = z.object({
  jobId,
  name: z.string(),
  restUrl: z.string(),
  previousState: z.string(),
  state: z.string(),
  alreadyEnded: z.boolean(),
  waited: z.boolean(),
  endedMs: z.number().optional(),
}).strict()
