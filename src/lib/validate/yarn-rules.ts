// YARN sessions: attempts, container sizes against the scheduler, Hadoop present.
import {accessSync, constants} from 'node:fs'
import {delimiter, join} from 'node:path'
import {below} from '../conf/keys.ts'
import {haMode} from '../conf/load.ts'
import {parseMemorySize} from '../conf/sizes.ts'
import {type Finding, where} from '../conf/types.ts'
import {siteNumber} from './hadoop-xml.ts'
import {at, finding, fileOf, haOn, value, sourceNote, version, type Rule, type RuleContext} from './rule-kit.ts'

export const yarnAttempts: Rule = {
  id: 'YARN-ATTEMPTS',
  severity: 'error',
  summary: 'HA on YARN with yarn.application-attempts below 2 or above the ResourceManager maximum',
  check(ctx) {
    const attempts = ctx.conf.flink.entries.get('yarn.application-attempts')
    if (!haOn(ctx) || (attempts && !/^\s*\d+\s*$/.test(attempts.value))) return []
    if (!attempts && ctx.target !== 'yarn') return []
    // unset with HA on: Flink asks YARN for 2
    const n = attempts ? Number(attempts.value) : 2
    const out: Finding[] = []
    if (attempts && n < 2) {
      out.push(finding(this, {...at(attempts), key: attempts.key,
        message: `yarn.application-attempts is ${n}${sourceNote(attempts)} with HA on: YARN will not restart the JobManager, so HA never acts`,
        hint: 'set yarn.application-attempts: 2 or more (and leave it unset to get Flink\'s HA default of 2)'}))
    }
    const max = ctx.yarnSite ? yarnLimit(ctx, 'yarn.resourcemanager.am.max-attempts', 2) : undefined
    const maxValue = max?.value
    if (maxValue !== undefined && n > maxValue) {
      out.push(finding(this, {...(attempts ? at(attempts) : fileOf(ctx)), key: 'yarn.application-attempts', severity: maxValue < 2 ? 'error' : 'warning',
        message: `yarn.application-attempts ${n}${attempts ? '' : ' (Flink\'s HA default)'} is above yarn.resourcemanager.am.max-attempts ${maxValue} (${max!.where}); YARN grants only ${maxValue}${maxValue < 2 ? ', so the JobManager is never restarted' : ''}`,
        hint: `raise yarn.resourcemanager.am.max-attempts in yarn-site.xml to ${n}, or lower yarn.application-attempts to ${maxValue}`}))
    }
    return out
  },
}

export const yarnAttemptsNoHa: Rule = {
  id: 'YARN-ATTEMPTS-NO-HA',
  severity: 'warning',
  summary: 'yarn.application-attempts above 1 with HA off: YARN restarts the JobManager, which then recovers nothing',
  check(ctx) {
    const attempts = ctx.conf.flink.entries.get('yarn.application-attempts')
    if (!attempts || !/^\s*\d+\s*$/.test(attempts.value) || Number(attempts.value) <= 1) return []
    if (haMode(ctx.conf).mode.toLowerCase() !== 'none') return []
    const key = below(version(ctx), 1, 17) ? 'high-availability' : 'high-availability.type'
    return [finding(this, {...at(attempts), key: attempts.key,
      message: `yarn.application-attempts is ${attempts.value.trim()}${sourceNote(attempts)} but HA is off: YARN starts a new JobManager after a failure, which has no job graphs or checkpoint pointers to recover, so session jobs are gone and an application starts over from nothing`,
      hint: `switch HA on (${key}: zookeeper with a quorum and high-availability.storageDir), or remove yarn.application-attempts`})]
  },
}

/** A YARN limit from yarn-site.xml (else YARN's default), with where it was read. */
function yarnLimit(ctx: RuleContext, key: string, fallback: number): {value: number; where: string} {
  const n = siteNumber(ctx.yarnSite, key, fallback)
  return {value: n.value, where: n.file ? `${n.file}:${n.line}` : 'YARN default'}
}

export const yarnResources: Rule = {
  id: 'YARN-RESOURCES',
  severity: 'error',
  summary: 'a JobManager or TaskManager container larger than the ResourceManager grants (memory or vcores)',
  targets: ['yarn'],
  check(ctx) {
    const out: Finding[] = []
    const maxMb = yarnLimit(ctx, 'yarn.scheduler.maximum-allocation-mb', 8192)
    const minMb = yarnLimit(ctx, 'yarn.scheduler.minimum-allocation-mb', 1024)
    for (const [role, key] of [['JobManager', 'jobmanager.memory.process.size'], ['TaskManager', 'taskmanager.memory.process.size']] as const) {
      const v = value(ctx, key)
      if (!v) continue
      const size = parseMemorySize(v.value)
      if (!size.ok) continue
      const mb = Math.ceil(size.value / (1024 * 1024))
      if (mb > maxMb.value) {
        out.push(finding(this, {...at(v.entry), key: v.foundAs,
          message: `the ${role} asks YARN for ${mb} MB${sourceNote(v.entry)}, above yarn.scheduler.maximum-allocation-mb ${maxMb.value} (${maxMb.where}): YARN refuses the container`,
          hint: `lower ${key} to ${maxMb.value}m or less${role === 'JobManager' ? ' (-jm)' : ' (-tm)'}, or raise yarn.scheduler.maximum-allocation-mb`}))
      } else if (mb < minMb.value) {
        out.push(finding(this, {...at(v.entry), key: v.foundAs, severity: 'info',
          message: `the ${role} asks for ${mb} MB; YARN rounds a container up to yarn.scheduler.minimum-allocation-mb ${minMb.value} (${minMb.where})`,
          hint: `ask for ${minMb.value}m to use what YARN reserves anyway`}))
      }
    }
    const maxVcores = yarnLimit(ctx, 'yarn.scheduler.maximum-allocation-vcores', 4)
    const vc = value(ctx, 'yarn.containers.vcores') ?? value(ctx, 'taskmanager.numberOfTaskSlots')
    if (vc && /^\s*\d+\s*$/.test(vc.value) && Number(vc.value) > maxVcores.value) {
      out.push(finding(this, {...at(vc.entry), key: vc.foundAs,
        message: `each TaskManager asks YARN for ${vc.value.trim()} vcores${vc.foundAs === 'taskmanager.numberOfTaskSlots' ? ' (one per slot unless yarn.containers.vcores says otherwise)' : ''}${sourceNote(vc.entry)}, above yarn.scheduler.maximum-allocation-vcores ${maxVcores.value} (${maxVcores.where})`,
        hint: `set yarn.containers.vcores: ${maxVcores.value} or fewer slots per TaskManager (-s), or raise yarn.scheduler.maximum-allocation-vcores`}))
    }
    return out
  },
}

/** An executable named name on PATH (what `command -v` finds), without running anything. */
function onPath(name: string, path: string | undefined): boolean {
  return (path ?? '').split(delimiter).filter(Boolean).some((dir) => {
    try { accessSync(join(dir, name), constants.X_OK); return true } catch { return false }
  })
}

export const yarnHadoop: Rule = {
  id: 'YARN-HADOOP',
  severity: 'error',
  summary: 'Hadoop is not found for the YARN client: no HADOOP_CLASSPATH and no `hadoop` command, or no yarn-site.xml',
  targets: ['yarn'],
  check(ctx) {
    const env = ctx.conf.env
    const out: Finding[] = []
    if (!env.HADOOP_CLASSPATH && !onPath('hadoop', env.PATH)) {
      out.push(finding(this, {...fileOf(ctx),
        message: 'HADOOP_CLASSPATH is not set and there is no `hadoop` command on PATH: Flink\'s YARN client has no Hadoop classes',
        hint: 'export HADOOP_CLASSPATH=$(hadoop classpath) on a Hadoop client host, or point it at the Hadoop client jars (dir/*)'}))
    }
    if (!ctx.yarnSite) {
      out.push(finding(this, {...fileOf(ctx), severity: 'warning',
        message: 'no yarn-site.xml: HADOOP_CONF_DIR, env.hadoop.conf.dir and HADOOP_HOME name none, so the ResourceManager and its limits are unknown',
        hint: 'export HADOOP_CONF_DIR=/etc/hadoop/conf (the folder with yarn-site.xml and core-site.xml)'}))
    }
    return out
  },
}
