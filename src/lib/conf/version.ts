import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import type {FlinkVersion} from './types.ts'

const VERSION = /^(\d+)\.(\d+)(?:\.(\d+))?(?:[-.].*)?$/

export function parseFlinkVersion(text: string, detectedFrom: FlinkVersion['detectedFrom']): FlinkVersion | undefined {
  const m = VERSION.exec(text.trim())
  if (!m) return undefined
  return {major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), raw: text.trim(), detectedFrom}
}

/** The version in `lib/flink-dist-<v>.jar` (or `flink-dist_2.12-<v>.jar`) of a Flink home. */
export function detectFlinkVersion(flinkHome: string): {version?: FlinkVersion; jars: string[]} {
  let names: string[]
  try {
    names = readdirSync(join(flinkHome, 'lib'))
  } catch {
    return {jars: []}
  }
  const jars = names.filter((n) => /^flink-dist.*\.jar$/.test(n))
  for (const jar of jars) {
    const m = /^flink-dist(?:_\d+\.\d+)?-(.+)\.jar$/.exec(jar)
    const version = m ? parseFlinkVersion(m[1]!, 'dist-jar') : undefined
    if (version) return {version, jars}
  }
  return {jars}
}

export const formatVersion = (v: FlinkVersion | undefined): string => (v ? `${v.major}.${v.minor}.${v.patch}` : 'unknown')
