import {catalogFor} from './catalog.ts'
import {aliasesFor, isSecretKey, REDACTED} from './keys.ts'
import {redactInline} from './redact.ts'
import type {ClusterConf, Source} from './types.ts'

export interface EffectiveValue {
  key: string
  value: string
  source: Source
  secret: boolean
  /** The key Flink reads this value for, when it is written under a deprecated name. */
  readAs?: string
  /** True when a canonical key also set makes Flink ignore this one. */
  ignored?: boolean
}

/** The configuration as Flink would see it, every value with its source and secrets redacted. */
export function effectiveConfig(conf: ClusterConf, opts: {withDefaults?: boolean; showSecrets?: boolean} = {}): EffectiveValue[] {
  const out: EffectiveValue[] = []
  for (const entry of conf.flink.entries.values()) {
    const secret = isSecretKey(entry.key)
    const alias = aliasesFor(entry.key, conf.version)
    // a value that is no secret itself may carry one: -Djavax.net.ssl.trustStorePassword=… in env.java.opts.all
    const value = opts.showSecrets ? entry.value : secret ? REDACTED : redactInline(entry.value)
    const item: EffectiveValue = {key: entry.key, value, source: entry.source, secret}
    if (alias && alias.key !== entry.key) {
      item.readAs = alias.key
      if (conf.flink.entries.has(alias.key)) item.ignored = true
    }
    out.push(item)
  }
  if (opts.withDefaults) {
    const catalog = catalogFor(conf.version)
    for (const option of catalog?.byKey.values() ?? []) {
      if (option.default === null || conf.flink.entries.has(option.key)) continue
      if ([...option.deprecatedKeys, ...option.fallbackKeys].some((k) => conf.flink.entries.has(k))) continue
      out.push({key: option.key, value: isSecretKey(option.key) && !opts.showSecrets ? REDACTED : option.default, source: {kind: 'default'}, secret: isSecretKey(option.key)})
    }
  }
  return out.sort((a, b) => a.key.localeCompare(b.key))
}
