import {readdirSync, readFileSync} from 'node:fs'
import type {FlinkVersion} from './types.ts'

export type OptionType = 'string' | 'int' | 'long' | 'double' | 'boolean' | 'memory' | 'duration' | 'enum' | 'list' | 'map' | 'other'

export interface OptionInfo {
  key: string
  type: OptionType
  default: string | null
  deprecatedKeys: string[]
  fallbackKeys: string[]
  enumValues?: string[]
}

export interface Catalog {
  /** The Flink line the catalog was generated from, e.g. "1.20". */
  line: string
  byKey: Map<string, OptionInfo>
  /** deprecated or fallback name → the option that reads it */
  byAlias: Map<string, OptionInfo>
}

const dir = new URL('./catalog/', import.meta.url)
const cache = new Map<string, Catalog>()

function lines(): string[] {
  try {
    return readdirSync(dir)
      .map((f) => /^flink-(\d+\.\d+)\.json$/.exec(f)?.[1])
      .filter((x): x is string => x !== undefined)
      .sort((a, b) => cmp(a, b))
  } catch {
    return []
  }
}

const cmp = (a: string, b: string): number => {
  const [am, an] = a.split('.').map(Number) as [number, number]
  const [bm, bn] = b.split('.').map(Number) as [number, number]
  return am - bm || an - bn
}

/**
 * The options Flink itself declares (generated from the jars by test/ground/flink/catalog), for the
 * newest catalogued line not newer than `version`; undefined when no catalog ships.
 */
export function catalogFor(version: FlinkVersion | undefined): Catalog | undefined {
  const available = lines()
  if (available.length === 0) return undefined
  const want = version ? `${version.major}.${version.minor}` : available.at(-1)!
  const line = [...available].reverse().find((l) => cmp(l, want) <= 0) ?? available[0]!
  let catalog = cache.get(line)
  if (!catalog) {
    const options = JSON.parse(readFileSync(new URL(`flink-${line}.json`, dir), 'utf8')) as OptionInfo[]
    const byKey = new Map(options.map((o) => [o.key, o]))
    const byAlias = new Map<string, OptionInfo>()
    for (const o of options) for (const k of [...o.deprecatedKeys, ...o.fallbackKeys]) if (!byKey.has(k)) byAlias.set(k, o)
    catalog = {line, byKey, byAlias}
    cache.set(line, catalog)
  }
  return catalog
}
