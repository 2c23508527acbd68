import {redactArgv, redactEnv, redactInline, redactLines} from '../conf/redact.ts'
import {renderPlan, type LaunchPlan} from '../launch/plan.ts'
import type {Style} from './style.ts'

// Plans are shown, never run, from here: -D secrets and passwords in java options are redacted
// (the host gets the real values from the pushed conf and the real plan).
const redactedCommand = (p: LaunchPlan): string => redactInline(renderPlan(p))

export function renderPlans(plans: readonly LaunchPlan[], s: Style): string {
  return plans
    .map((p) => [
      s.bold(`# ${p.host}: ${p.daemon} #${p.index} (log ${p.paths.logFile})`),
      ...p.files.map((f) => s.dim(`# writes ${f.path} (${f.content.split('\n').length - 1} lines)`)),
      redactedCommand(p),
    ].join('\n'))
    .join('\n\n')
}

export const planJson = (p: LaunchPlan) => ({
  host: p.host,
  daemon: p.daemon,
  index: p.index,
  mainClass: p.mainClass,
  java: p.java,
  argv: redactArgv(p.argv),
  env: redactEnv(p.env),
  command: redactedCommand(p),
  paths: p.paths,
  memory: p.memory && {jvmParams: p.memory.jvmParams, dynamicConfigs: redactInline(p.memory.dynamicConfigs)},
  files: p.files.map((f) => ({...f, content: redactLines(f.path, f.content.split('\n')).join('\n')})),
})
