import {readFileSync} from 'node:fs'
import type {FlinkVersion} from './types.ts'

export type OptionType = 'string' | 'int' | 'long' | 'double' | 'boolean' | 'memory' | 'duration' | 'enum' | 'list' | 'map' | 'other'

export interface OptionInfo {
  key: string
  type: OptionType
  default: string | null
  deprecatedKeys: string[]
  fallbackKeys: string[]
  enumValues?: string[]
  /** Flink's documentation section (`@Documentation.Section`), else the declaring class, e.g. "CoreOptions". */
  section?: string
  /** Every field declaring the key is @Deprecated in this line (the option still works, for now). */
  deprecated?: boolean
}

export interface Catalog {
  /** The Flink line the catalog was generated from, e.g. "1.20". */
  line: string
  byKey: Map<string, OptionInfo>
  /** deprecated or fallback name → the option that reads it */
  byAlias: Map<string, OptionInfo>
  /** Set when the version asked for lies outside the catalogued lines: its nearest line is used. */
  clamped?: 'older' | 'newer'
}

export interface AliasUse {
  /** the option that reads the alias */
  owner: string
  lines: string[]
  /** a deprecated key (true) or a plain fallback key (false) */
  deprecated: boolean
}

/** options.json as written by test/ground/flink/catalog/merge.mjs */
interface Merged {
  lines: string[]
  sources: Record<string, string>
  options: Record<string, [number, number, Omit<OptionInfo, 'key' | 'default' | 'deprecatedKeys' | 'fallbackKeys'> & Partial<OptionInfo>][]>
}

let merged: Merged | null | undefined
const catalogs = new Map<string, Catalog>()
let aliases: Map<string, {owner: string; mask: number; deprecated: boolean}[]> | undefined

/** Parsed once per process, on first use; null when no catalog ships. */
function load(): Merged | null {
  if (merged === undefined) {
    try {
      merged = JSON.parse(readFileSync(new URL('./catalog/options.json', import.meta.url), 'utf8')) as Merged
    } catch {
      merged = null
    }
  }
  return merged
}

const cmp = (a: string, b: string): number => {
  const [am, an] = a.split('.').map(Number) as [number, number]
  const [bm, bn] = b.split('.').map(Number) as [number, number]
  return am - bm || an - bn
}

type Raw = Merged['options'][string][number][2]
/** The OptionInfo of a range, made once and kept in the range (slot 3), shared by its lines' catalogs. */
function info(key: string, range: Merged['options'][string][number]): OptionInfo {
  const cached = (range as unknown as OptionInfo[])[3]
  if (cached) return cached
  const raw: Raw = range[2]
  const o: OptionInfo = {key, type: raw.type, default: raw.default ?? null, deprecatedKeys: raw.deprecatedKeys ?? [], fallbackKeys: raw.fallbackKeys ?? []}
  if (raw.enumValues) o.enumValues = raw.enumValues
  if (raw.section) o.section = raw.section
  if (raw.deprecated) o.deprecated = true
  ;(range as unknown as OptionInfo[])[3] = o
  return o
}

/** The catalogued Flink lines, oldest first, e.g. ["1.15", …, "2.3"]. */
export function catalogLines(): string[] {
  return [...(load()?.lines ?? [])]
}

/** The Flink release each line was generated from, e.g. {"1.15": "1.15.4"}. */
export function catalogSources(): Record<string, string> {
  return {...load()?.sources}
}

/**
 * The options Flink itself declares (generated from the release jars by test/ground/flink/catalog),
 * for the newest catalogued line not newer than `version` (the oldest line for older versions, with
 * `clamped`); undefined when no catalog ships.
 */
export function catalogFor(version: FlinkVersion | undefined): Catalog | undefined {
  const m = load()
  if (!m || m.lines.length === 0) return undefined
  const want = version ? `${version.major}.${version.minor}` : m.lines.at(-1)!
  const index = m.lines.findLastIndex((l) => cmp(l, want) <= 0)
  const line = m.lines[Math.max(index, 0)]!
  const clamped = index < 0 ? 'older' : cmp(want, m.lines.at(-1)!) > 0 ? 'newer' : undefined
  const id = `${line}/${clamped ?? ''}`
  let catalog = catalogs.get(id)
  if (!catalog) {
    const base = catalogs.get(`${line}/`) ?? build(m, line)
    catalog = clamped ? {...base, clamped} : base
    catalogs.set(id, catalog)
  }
  return catalog
}

function build(m: Merged, line: string): Catalog {
  const i = m.lines.indexOf(line)
  const byKey = new Map<string, OptionInfo>()
  for (const key in m.options) {
    for (const range of m.options[key]!) {
      if (range[0] <= i && i <= range[1]) {
        byKey.set(key, info(key, range))
        break
      }
    }
  }
  const byAlias = new Map<string, OptionInfo>()
  for (const o of byKey.values()) for (const k of [...o.deprecatedKeys, ...o.fallbackKeys]) if (!byKey.has(k)) byAlias.set(k, o)
  const catalog = {line, byKey, byAlias}
  catalogs.set(`${line}/`, catalog)
  return catalog
}

const linesOf = (m: Merged, ranges: [number, number, unknown][]): string[] =>
  ranges.flatMap(([from, to]) => m.lines.slice(from, to + 1))

/** The catalogued lines in which `key` is a declared option (aliases do not count), oldest first. */
export function keyLines(key: string): string[] {
  const m = load()
  const ranges = m && Object.hasOwn(m.options, key) ? m.options[key]! : undefined
  return m && ranges ? linesOf(m, ranges) : []
}

/** The options that read `key` as a deprecated or fallback key, with the lines in which they do. */
export function aliasLines(key: string): AliasUse[] {
  const m = load()
  if (!m) return []
  aliases ??= aliasIndex(m)
  return (aliases.get(key) ?? []).map(({owner, mask, deprecated}) => ({owner, lines: m.lines.filter((_, i) => mask & (1 << i)), deprecated}))
}

/** alias → its uses, with the lines as a bit mask of indexes into `lines` */
function aliasIndex(m: Merged): Map<string, {owner: string; mask: number; deprecated: boolean}[]> {
  const index = new Map<string, {owner: string; mask: number; deprecated: boolean}[]>()
  const add = (alias: string, owner: string, mask: number, deprecated: boolean) => {
    let uses = index.get(alias)
    if (!uses) index.set(alias, (uses = []))
    const use = uses.find((u) => u.owner === owner && u.deprecated === deprecated)
    if (use) use.mask |= mask
    else uses.push({owner, mask, deprecated})
  }
  for (const owner in m.options) {
    for (const [from, to, raw] of m.options[owner]!) {
      const mask = ((1 << (to + 1)) - 1) & ~((1 << from) - 1)
      if (raw.deprecatedKeys) for (const alias of raw.deprecatedKeys) add(alias, owner, mask, true)
      if (raw.fallbackKeys) for (const alias of raw.fallbackKeys) add(alias, owner, mask, false)
    }
  }
  return index
}
