// Memory: the total process size and the total Flink size both set, which Flink resolves by deriving
// JVM overhead from their difference (ProcessMemoryUtils) and refusing to start when that falls out of range.
import {type Resolved} from '../conf/load.ts'
import {formatBytes, parseMemorySize} from '../conf/sizes.ts'
import {type Finding} from '../conf/types.ts'
import {at, finding, value, type Rule, type RuleContext} from './rule-kit.ts'

const MB = 1024 * 1024

/** A memory option's size in bytes: the configured one when it parses, else Flink's default. */
function sizeOf(ctx: RuleContext, key: string, fallbackMb: number): number {
  const v = value(ctx, key)
  const p = v ? parseMemorySize(v.value) : undefined
  return p?.ok ? p.value : fallbackMb * MB
}

/** The key as written, without its deprecated names. */
function exact(ctx: RuleContext, key: string): Resolved | undefined {
  const entry = ctx.conf.flink.entries.get(key)
  return entry ? {value: entry.value, entry, foundAs: key} : undefined
}

export const memBothSizes: Rule = {
  id: 'MEM-BOTH-SIZES',
  severity: 'warning',
  summary: '*.memory.process.size and *.memory.flink.size both set: JVM overhead becomes their difference, and Flink refuses to start when that is out of range',
  check(ctx) {
    const out: Finding[] = []
    for (const role of ['taskmanager', 'jobmanager'] as const) {
      const process = value(ctx, `${role}.memory.process.size`)
      // taskmanager.heap.size (1.x) means the total Flink memory of a standalone TaskManager; on YARN, the process size
      const flink = role === 'taskmanager' && ctx.target === 'yarn' ? exact(ctx, 'taskmanager.memory.flink.size') : value(ctx, `${role}.memory.flink.size`)
      if (!process || !flink) continue
      const p = parseMemorySize(process.value)
      const f = parseMemorySize(flink.value)
      const both = `${process.foundAs} ${process.value.trim()} and ${flink.foundAs} ${flink.value.trim()} are both set`
      const fix = `keep one: ${flink.foundAs} for a standalone cluster, ${process.foundAs} for a container (YARN, Kubernetes)`
      if (!p.ok || !f.ok) {
        // CONF-TYPE reports the value itself; that both are set stays true
        out.push(finding(this, {...at(flink.entry), key: flink.foundAs, message: `${both}: Flink derives JVM overhead from their difference, and refuses to start when it falls outside the overhead range`, hint: fix}))
        continue
      }
      const metaspace = sizeOf(ctx, `${role}.memory.jvm-metaspace.size`, 256)
      const min = sizeOf(ctx, `${role}.memory.jvm-overhead.min`, 192)
      const max = sizeOf(ctx, `${role}.memory.jvm-overhead.max`, 1024)
      const overhead = p.value - f.value - metaspace
      const loc = at(flink.entry)
      if (overhead < min || overhead > max) {
        out.push(finding(this, {...loc, key: flink.foundAs, severity: 'error',
          message: `${both}: Flink derives JVM overhead as process − flink − metaspace = ${overhead < 0 ? `−${formatBytes(-overhead)}` : formatBytes(overhead)}, outside the overhead range ${formatBytes(min)}–${formatBytes(max)}, so the ${role === 'taskmanager' ? 'TaskManager' : 'JobManager'} refuses to start ("Derived JVM Overhead size … is not in configured JVM Overhead range")`,
          hint: fix}))
      } else {
        out.push(finding(this, {...loc, key: flink.foundAs,
          message: `${both}: Flink derives JVM overhead from their difference (${formatBytes(overhead)}) instead of from ${role}.memory.jvm-overhead.fraction, so a change to either breaks the other`,
          hint: fix}))
      }
    }
    return out
  },
}
