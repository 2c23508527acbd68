// HA configured but never switched on: HA keys with HA off, and keys that look like the switch but are not.
import {atLeast, below} from '../conf/keys.ts'
import {haMode} from '../conf/load.ts'
import {type ConfigEntry, type Finding} from '../conf/types.ts'
import {reportedElsewhere} from './key-rules.ts'
import {at, finding, sourceNote, version, type Rule, type RuleContext} from './rule-kit.ts'

/** The keys Flink (and config.sh) read as the HA switch, in any version. */
const REAL_SWITCHES: ReadonlySet<string> = new Set(['high-availability.type', 'high-availability', 'recovery.mode'])

/** Keys seen in real files (and guessed by people) as the HA switch; Flink reads none of them. */
export const HA_FAKE_SWITCH_KEYS: ReadonlySet<string> = new Set([
  'kubernetes.high-availability', 'kubernetes.high-availability.type', 'kubernetes.ha', 'kubernetes.ha.type',
  'high-availability.mode', 'high-availability.enabled', 'high-availability.enable', 'high-availability.kind',
  'high-availability.service', 'high-availability.services', 'high-availability.zookeeper', 'high-availability.kubernetes',
  'high-availability.type.zookeeper', 'high-availability.type.kubernetes', 'high-available', 'highavailability',
  'highavailability.type', 'high.availability', 'high.availability.type', 'high-availability-type', 'high-availability-mode',
  'ha', 'ha.type', 'ha.mode', 'ha.enabled', 'ha.enable', 'ha-mode', 'jobmanager.high-availability', 'jobmanager.high-availability.type',
  'jobmanager.ha', 'jobmanager.ha.type', 'zookeeper.high-availability', 'recovery.type', 'recovery.enabled', 'flink.high-availability',
  'flink.high-availability.type',
])

/**
 * A key that looks like the HA switch and is not one: a name from HA_FAKE_SWITCH_KEYS, or a real switch in
 * other case or with underscores (Flink's keys are case-sensitive). CONF-UNKNOWN-KEY skips these.
 */
export function isHaFakeSwitch(key: string): boolean {
  if (REAL_SWITCHES.has(key)) return false
  const k = key.toLowerCase().replaceAll('_', '-')
  return REAL_SWITCHES.has(k) || HA_FAKE_SWITCH_KEYS.has(k) || HA_FAKE_SWITCH_KEYS.has(key.toLowerCase())
}

reportedElsewhere(isHaFakeSwitch)

/** The key that switches HA on in this version (high-availability.type from 1.17). */
export const switchKey = (ctx: RuleContext): string => (below(version(ctx), 1, 17) ? 'high-availability' : 'high-availability.type')
const switchLine = (ctx: RuleContext, mode: string): string =>
  `${switchKey(ctx)}: ${mode}${version(ctx) === undefined ? ` (on Flink before 1.17: high-availability: ${mode})` : ''}`

const isHaKey = (key: string): boolean =>
  key === 'high-availability.storageDir' || key === 'high-availability.cluster-id' ||
  key.startsWith('high-availability.zookeeper.') || key.startsWith('high-availability.kubernetes.') || key.startsWith('recovery.zookeeper.')

const OFF_VALUES = new Set(['none', 'false', 'off', 'no', '0', 'disabled', 'standalone', ''])
const ON_VALUES = new Set(['true', 'on', 'yes', '1', 'enabled', 'enable'])

/** zookeeper or kubernetes, from the value when it says, else from the keys around it. */
function intendedMode(ctx: RuleContext, said?: string): string {
  const v = said?.trim().toLowerCase()
  if (v === 'zookeeper' || v === 'kubernetes') return v
  const keys = [...ctx.conf.flink.entries.keys()]
  return keys.some((k) => k.startsWith('high-availability.kubernetes.')) && !keys.some((k) => k.includes('zookeeper')) ? 'kubernetes' : 'zookeeper'
}

/** high-availability.type on Flink < 1.17 is HA-TYPE-VERSION's to report. */
const typeTooNew = (ctx: RuleContext): boolean =>
  ctx.conf.flink.entries.has('high-availability.type') && below(version(ctx), 1, 17)

export const haFakeSwitch: Rule = {
  id: 'HA-FAKE-SWITCH',
  severity: 'error',
  summary: 'a key that looks like the HA switch but is not one (ha.type, high-availability.enabled, kubernetes.high-availability, …)',
  check(ctx) {
    const out: Finding[] = []
    const {mode, resolved} = haMode(ctx.conf)
    const on = mode.toLowerCase() !== 'none'
    for (const entry of ctx.conf.flink.entries.values()) {
      if (!isHaFakeSwitch(entry.key)) continue
      const v = entry.value.trim().toLowerCase()
      const wantsOff = OFF_VALUES.has(v)
      const real = switchLine(ctx, intendedMode(ctx, ON_VALUES.has(v) ? undefined : entry.value))
      if (on || wantsOff) {
        out.push(finding(this, {...at(entry), key: entry.key, severity: 'warning',
          message: `Flink does not read '${entry.key}'${sourceNote(entry)}; ${on ? `HA is set by '${resolved!.foundAs}: ${resolved!.value}'` : 'HA is off either way'}`,
          hint: `remove '${entry.key}'${on ? '' : `; to switch HA on, write ${real}`}`}))
        continue
      }
      out.push(finding(this, {...at(entry), key: entry.key,
        message: `'${entry.key}: ${entry.value.trim()}'${sourceNote(entry)} looks like the HA switch, but Flink does not read it: HA is off`,
        hint: `write ${real} instead`}))
    }
    return out
  },
}

export const haKeysWithoutHa: Rule = {
  id: 'HA-KEYS-WITHOUT-HA',
  severity: 'warning',
  summary: 'quorum, storageDir, cluster-id or other HA keys set while HA is off, so Flink ignores them',
  check(ctx) {
    const {mode, resolved} = haMode(ctx.conf)
    if (mode.toLowerCase() !== 'none' || typeTooNew(ctx)) return []
    const entries = [...ctx.conf.flink.entries.values()]
    const set = entries.filter((e) => isHaKey(e.key))
    if (set.length === 0) return []
    const fake = entries.find((e) => isHaFakeSwitch(e.key))
    const off = resolved
      ? `'${resolved.foundAs}: ${resolved.value}'${resolved.entry.source.kind === 'file' ? ` (line ${resolved.entry.source.line})` : sourceNote(resolved.entry)} switches HA off`
      : fake
        ? `'${fake.key}' is not the HA switch (HA-FAKE-SWITCH) and no ${switchKey(ctx)} is set, so HA is off`
        : `no ${switchKey(ctx)} is set, so HA is off`
    const replace = atLeast(version(ctx), 1, 17) && resolved && resolved.foundAs !== 'high-availability.type' ? ` in place of ${resolved.foundAs}` : ''
    const hint = `to use HA, ${resolved ? 'set' : 'add'} ${switchLine(ctx, intendedMode(ctx, fake?.value))}${replace}; otherwise remove the HA keys`
    // one finding per key, each at its line: the keys are often spread over the file
    return set.map((e: ConfigEntry) => finding(this, {...at(e), key: e.key,
      message: `${e.key} is set${sourceNote(e)}, but ${off}: Flink ignores it${set.length > 1 ? ` (and ${set.length - 1} other HA key${set.length > 2 ? 's' : ''})` : ''}`,
      hint}))
  },
}
