import {z} from 'zod'

// The --json contract of each command, for scripts that consume flinkctl and for our tests.
// Kept off the start-up path: commands build plain objects; only consumers import this module.

export const findingSchema = z.object({
  rule: z.string().regex(/^[A-Z]+(-[A-Z0-9]+)+$/),
  severity: z.enum(['error', 'warning', 'info']),
  message: z.string().min(1),
  hint: z.string().min(1),
  file: z.string().optional(),
  line: z.number().int().positive().optional(),
  col: z.number().int().positive().optional(),
  key: z.string().optional(),
})

export const validateResultSchema = z.object({
  clusters: z.array(z.object({
    confDir: z.string(),
    configFile: z.string().optional(),
    flinkVersion: z.string().optional(),
    findings: z.array(findingSchema),
    errors: z.number().int().nonnegative(),
    warnings: z.number().int().nonnegative(),
  })),
  errors: z.number().int().nonnegative(),
  warnings: z.number().int().nonnegative(),
})

const sourceSchema = z.discriminatedUnion('kind', [
  z.object({kind: z.literal('file'), file: z.string(), line: z.number().int(), col: z.number().int()}),
  z.object({kind: z.literal('dynamic'), arg: z.string()}),
  z.object({kind: z.literal('default')}),
])

export const configResultSchema = z.object({
  confDir: z.string(),
  configFile: z.string().optional(),
  flinkVersion: z.string().optional(),
  values: z.array(z.object({key: z.string(), value: z.string(), source: sourceSchema, secret: z.boolean(), readAs: z.string().optional(), ignored: z.boolean().optional()})),
})

export const plansResultSchema = z.object({
  plans: z.array(z.object({
    host: z.string(),
    daemon: z.string(),
    index: z.number().int().nonnegative(),
    mainClass: z.string(),
    argv: z.array(z.string()).min(3),
    env: z.record(z.string(), z.string()),
    command: z.string(),
    paths: z.object({pidFile: z.string(), logFile: z.string(), outFile: z.string()}).loose(),
    memory: z.object({jvmParams: z.string(), dynamicConfigs: z.string()}).optional(),
    files: z.array(z.object({path: z.string(), content: z.string()})),
  }).loose()),
})

export const errorEnvelopeSchema = z.object({
  ok: z.literal(false),
  command: z.string().optional(),
  /** Present when the command did part of its job: the per-host outcome. */
  result: z.unknown().optional(),
  error: z.object({code: z.string(), message: z.string(), hint: z.string().optional(), exit: z.number().int().min(1).max(8), details: z.unknown().optional()}),
})

export const successEnvelopeSchema = <T extends z.ZodType>(result: T) => z.object({ok: z.literal(true), command: z.string(), result})
