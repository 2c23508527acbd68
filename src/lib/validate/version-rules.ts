// Keys and versions across releases: a key the target is too old for, a version outside the catalog.
import {catalogFor, catalogLines} from '../conf/catalog.ts'
import {parseFlinkVersion} from '../conf/version.ts'
import {type Finding} from '../conf/types.ts'
import {crossReleaseEntries, knownKeys, targetRelease} from './key-rules.ts'
import {at, fileOf, finding, version, type Rule} from './rule-kit.ts'

export const laterKey: Rule = {
  id: 'CONF-LATER-KEY',
  severity: 'warning',
  summary: 'a key that only a later Flink release has (the target ignores it), with the name the target reads instead',
  check(ctx) {
    const lines = catalogLines()
    const known = knownKeys(ctx)
    const out: Finding[] = []
    for (const {entry, declaredIn, here} of crossReleaseEntries(ctx)) {
      const {key} = entry
      const from = declaredIn.filter((i) => i > here).sort((a, b) => a - b)[0]
      if (from === undefined) continue
      const first = lines[from]!
      // the name the option had before it moved, when the target release reads that name
      const option = catalogFor(parseFlinkVersion(first, 'flag'))?.byKey.get(key)
      const older = [...(option?.deprecatedKeys ?? []), ...(option?.fallbackKeys ?? [])].find((k) => known.has(k) || ctx.catalog!.byAlias.has(k))
      const target = targetRelease(ctx)
      out.push(finding(this, {...at(entry), key,
        message: older
          ? `'${key}' exists from Flink ${first}; in ${target} use '${older}' (${target} ignores '${key}')`
          : `'${key}' exists from Flink ${first}; Flink ${target} ignores it`,
        hint: older ? `rename it to '${older}'` : `remove it, or run Flink ${first} or later`}))
    }
    return out
  },
}

export const versionRange: Rule = {
  id: 'CONF-VERSION-RANGE',
  severity: 'info',
  summary: 'the target Flink version is outside the releases flinkctl has a key catalog of (1.15 to 2.3); keys are checked against the nearest one',
  check(ctx) {
    const v = version(ctx)
    const clamped = ctx.catalog?.clamped
    if (!v || !clamped || !ctx.catalog) return []
    const lines = catalogLines()
    return [finding(this, {...fileOf(ctx),
      message: clamped === 'older'
        ? `Flink ${v.raw} is older than ${lines[0]}, the oldest release flinkctl has a key catalog of; keys are checked against Flink ${ctx.catalog.line}`
        : `Flink ${v.raw} is newer than ${lines.at(-1)}, the newest release flinkctl has a key catalog of; keys are checked against Flink ${ctx.catalog.line}`,
      hint: clamped === 'older' ? 'findings about keys may not hold for this release; upgrading to a supported Flink is advised' : 'a newer flinkctl may know this release'})]
  },
}
