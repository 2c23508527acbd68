import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

export interface FlinkHome {
  version: string
  home: string
}

/** The pinned Flink versions of the test ground (test/ground/flink/versions.env). */
export function groundVersions(): string[] {
  const text = readFileSync(join(repoRoot, 'test/ground/flink/versions.env'), 'utf8')
  return [...text.matchAll(/^FLINK_\d+_VERSION=(\S+)$/gm)].map((m) => m[1]!)
}

/**
 * The Flink homes tests run against: FLINKCTL_TEST_FLINK_HOME (an official distribution a user
 * has) when set, else the homes test/ground/flink/build.sh assembled from Maven Central.
 */
export function groundFlinkHomes(): FlinkHome[] {
  const override = process.env.FLINKCTL_TEST_FLINK_HOME
  if (override) {
    const jar = readdirSafe(join(override, 'lib')).find((f) => /^flink-dist.*\.jar$/.test(f))
    const version = /^flink-dist(?:_\d+\.\d+)?-(.+)\.jar$/.exec(jar ?? '')?.[1] ?? 'unknown'
    return [{version, home: override}]
  }
  const cache = process.env.FLINKCTL_TEST_CACHE ?? join(homedir(), '.cache/flinkctl-test')
  // FLINKCTL_TEST_FLINK_VERSIONS=1.20.0 runs one home only (e.g. to rerun what failed on it)
  const only = process.env.FLINKCTL_TEST_FLINK_VERSIONS?.split(',').map((v) => v.trim()).filter(Boolean)
  return groundVersions().filter((v) => !only?.length || only.includes(v)).map((version) => ({version, home: join(cache, `flink-${version}`)}))
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

export function assertHomeBuilt(h: FlinkHome): void {
  if (!existsSync(join(h.home, 'lib', `flink-dist-${h.version}.jar`)) && !process.env.FLINKCTL_TEST_FLINK_HOME) {
    throw new Error(`Flink ${h.version} home missing at ${h.home}: run test/ground/flink/build.sh all (npm run test:e2e does)`)
  }
}
