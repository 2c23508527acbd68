// The --json contract of the yarn-session commands (result of the envelope), for scripts and tests.
import {z} from 'zod'

const appId = z.string().regex(/^application_\d+_\d+$/)
const overview = z.object({taskmanagers: z.number().int(), 'slots-total': z.number().int(), 'slots-available': z.number().int(), 'jobs-running': z.number().int(), 'flink-version': z.string().optional()}).strict()

export const yarnSessionSchema = z.object({
  appId, name: z.string().optional(), state: z.string(), finalStatus: z.string().optional(), queue: z.string().optional(), user: z.string().optional(),
  tags: z.array(z.string()), startedTime: z.number().optional(), finishedTime: z.number().optional(),
  restUrl: z.string().url().optional(), trackingUrl: z.string().url().optional(), attempts: z.number().int().optional(),
  runningContainers: z.number().int().nonnegative().optional(), diagnostics: z.string().optional(),
}).strict()

export const yarnStartSchema = yarnSessionSchema.extend({
  detached: z.boolean(), rmUrl: z.string().url(), hadoopClasspathFrom: z.enum(['HADOOP_CLASSPATH', 'hadoop classpath']), logFile: z.string(),
  clientExit: z.number().int(), overview: overview.optional(), elapsedMs: z.number(),
}).strict()

export const yarnListSchema = z.object({rmUrl: z.string().url(), sessions: z.array(yarnSessionSchema)}).strict()

export const yarnStatusSchema = yarnSessionSchema.extend({
  rmUrl: z.string().url(), attemptList: z.array(z.object({id: z.union([z.number(), z.string()])}).passthrough()), overview: overview.optional(),
  jobs: z.array(z.object({jid: z.string(), name: z.string(), state: z.string()}).strict()).optional(), haClusterId: z.string().optional(), startedByFlinkctl: z.boolean(),
}).strict()

export const yarnStopSchema = z.object({
  appId, name: z.string().optional(), method: z.enum(['rest', 'yarn-kill', 'none']), restProblem: z.string().optional(),
  state: z.enum(['FINISHED', 'FAILED', 'KILLED']), finalStatus: z.string().optional(), runningContainers: z.number().int().nonnegative().optional(), elapsedMs: z.number(),
}).strict()
