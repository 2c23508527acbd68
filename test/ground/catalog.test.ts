// The shipped option catalog (src/lib/conf/catalog/options.json, generated from Maven Central's
// release jars) against the jars of the real homes on the test ground: the generator
// (test/ground/flink/catalog/ConfigOptionCatalog.java) runs over each home's lib/ jars, and every key
// it finds must be in the catalog for that home's line with the same type and default. A line is
// generated from its newest release on Central (1.20 from 1.20.5), so a home of an older patch
// differs where a patch release changed a default: those are listed below, and defaults that embed
// the release (image tags) are compared with the home's version put in.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {catalogFor, catalogSources} from '../../src/lib/conf/catalog.ts'
import {groundFlinkHomes, repoRoot} from '../helpers/ground-flink.ts'

interface Scanned {key: string; type: string; default: string | null; deprecatedKeys: string[]; fallbackKeys: string[]}

/** Defaults changed by a patch release: key → the first release with the catalogued default. */
const PATCH_CHANGES: Record<string, string> = {
  'security.ssl.algorithms': '1.20.4', // TLS_RSA_WITH_AES_128_CBC_SHA → the two TLS_ECDHE_RSA GCM suites
}

const cmpVersion = (a: string, b: string) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number))
  return x![0]! - y![0]! || x![1]! - y![1]! || x![2]! - y![2]!
}

const work = mkdtempSync(join(tmpdir(), 'flinkctl-catalog-'))
after(() => rmSync(work, {recursive: true, force: true}))

const run = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, {encoding: 'utf8'})
  assert.equal(r.status, 0, `${cmd} ${args.slice(0, 3).join(' ')} failed: ${r.error ?? r.stderr}`)
}

let compiled = false
function scan(home: string, version: string): Scanned[] {
  const classes = join(work, 'classes')
  if (!compiled) {
    run('javac', ['-nowarn', '-encoding', 'UTF-8', '--release', '11', '-d', classes, join(repoRoot, 'test/ground/flink/catalog/ConfigOptionCatalog.java')])
    writeFileSync(join(work, 'log4j2.properties'), 'rootLogger.level = OFF\n')
    compiled = true
  }
  const jars = readdirSync(join(home, 'lib')).filter((f) => f.endsWith('.jar')).sort().map((f) => join(home, 'lib', f))
  const out = join(work, `${version}.json`)
  run('java', ['-Xmx1g', `-Dlog4j.configurationFile=file:${join(work, 'log4j2.properties')}`, '-cp', [classes, ...jars].join(':'), 'ConfigOptionCatalog', out, ...jars])
  return JSON.parse(readFileSync(out, 'utf8')) as Scanned[]
}

for (const {version, home} of groundFlinkHomes()) {
  const present = existsSync(join(home, 'lib'))
  describe(`catalog vs the jars of Flink ${version}`, {skip: present ? false : `no Flink home at ${home}`}, () => {
    test('every option the home declares is catalogued for its line, with its type, default and aliases', () => {
      const [major, minor] = version.split('.').map(Number) as [number, number]
      const catalog = catalogFor({major, minor, patch: 0, raw: version, detectedFrom: 'dist-jar'})
      assert.ok(catalog, 'no catalog ships')
      assert.equal(catalog.line, `${major}.${minor}`)
      const source = catalogSources()[catalog.line]!
      const scanned = scan(home, version)
      assert.ok(scanned.length > 900, `only ${scanned.length} options found in ${home}/lib`)
      const wrong: string[] = []
      for (const o of scanned) {
        const c = catalog.byKey.get(o.key)
        const since = PATCH_CHANGES[o.key]
        const patched = since !== undefined && cmpVersion(version, since) < 0 && cmpVersion(source, since) >= 0
        const def = c?.default?.replaceAll(source, version) ?? null
        if (!c) wrong.push(`${o.key}: missing`)
        else if (c.type !== o.type || (def !== o.default && !patched)) wrong.push(`${o.key}: catalog ${c.type} ${c.default}, jars ${o.type} ${o.default}`)
        else if (String(c.deprecatedKeys) !== String(o.deprecatedKeys) || String(c.fallbackKeys) !== String(o.fallbackKeys)) wrong.push(`${o.key}: aliases differ`)
      }
      assert.deepEqual(wrong, [])
    })
  })
}
