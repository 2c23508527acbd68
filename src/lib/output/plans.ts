import {renderPlan, type LaunchPlan} from '../launch/plan.ts'
import type {Style} from './style.ts'

export function renderPlans(plans: readonly LaunchPlan[], s: Style): string {
  return plans
    .map((p) => [
      s.bold(`# ${p.host}: ${p.daemon} #${p.index} (log ${p.paths.logFile})`),
      ...p.files.map((f) => s.dim(`# writes ${f.path} (${f.content.split('\n').length - 1} lines)`)),
      renderPlan(p),
    ].join('\n'))
    .join('\n\n')
}

export const planJson = (p: LaunchPlan) => ({
  host: p.host,
  daemon: p.daemon,
  index: p.index,
  mainClass: p.mainClass,
  java: p.java,
  argv: p.argv,
  env: p.env,
  command: renderPlan(p),
  paths: p.paths,
  memory: p.memory && {jvmParams: p.memory.jvmParams, dynamicConfigs: p.memory.dynamicConfigs},
  files: p.files,
})
