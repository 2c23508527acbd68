import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

/** templates/ of this install (src/lib/dist and dist/lib/dist are both three levels below the root). */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../../templates/', import.meta.url))

/** The Maven recipe: assemble.sh, pom.xml, resources/, versions.txt. */
export const recipeDir = (templatesDir = TEMPLATES_DIR): string => join(templatesDir, 'dist')

export interface SupportedVersion {
  version: string
  log4j: string
}

/** templates/dist/versions.txt: `<flink-version> <log4j-version>` per line, # comments. */
export function supportedVersions(templatesDir = TEMPLATES_DIR): SupportedVersion[] {
  const text = readFileSync(join(recipeDir(templatesDir), 'versions.txt'), 'utf8')
  const out: SupportedVersion[] = []
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue
    const [version, log4j] = line.trim().split(/\s+/)
    if (version && log4j) out.push({version, log4j})
  }
  return out
}

const LOG4J_CONFS = ['log4j.properties', 'log4j-console.properties', 'log4j-session.properties', 'log4j-cli.properties']

/**
 * The hash a complete Maven-assembled home carries in `.complete`: the same bytes assemble.sh's
 * recipe_hash feeds to sha256sum, so either side recognises the other's homes.
 */
export function recipeHash(version: string, templatesDir = TEMPLATES_DIR): string {
  const v = supportedVersions(templatesDir).find((s) => s.version === version)
  if (!v) throw new Error(`no recipe for Flink ${version}`)
  const dir = recipeDir(templatesDir)
  const h = createHash('sha256')
  h.update(`flinkctl dist recipe\nversion=${v.version} log4j=${v.log4j}\n`)
  for (const f of [join(dir, 'assemble.sh'), join(dir, 'pom.xml'), join(dir, 'resources/bash-java-utils-log4j2.properties')]) h.update(readFileSync(f))
  for (const f of LOG4J_CONFS) h.update(readFileSync(join(templatesDir, f)))
  return h.digest('hex')
}
