// Shared by the rule tests of this folder: validate a conf dir written from a few files.
import {chmodSync} from 'node:fs'
import {join} from 'node:path'
import {loadCluster} from '../../../src/lib/conf/load.ts'
import type {Finding} from '../../../src/lib/conf/types.ts'
import {validateCluster} from '../../../src/lib/validate/index.ts'
import {writeTree} from '../../helpers/fixtures.ts'

export interface Opts {
  version?: string
  target?: 'standalone' | 'yarn'
  env?: Record<string, string>
  /** chmod of the config file(s). */
  mode?: number
  dynamic?: string[]
}

/** Two masters and two workers on other hosts: a multi-host cluster. */
export const HOSTS = {'conf/masters': 'jm1:8081\njm2:8081\n', 'conf/workers': 'tm1\ntm2\n'}

export function validate(files: Record<string, string | null>, opts: Opts = {}): {root: string; findings: Finding[]} {
  const root = writeTree({...HOSTS, ...files})
  if (opts.mode !== undefined) {
    for (const f of Object.keys(files)) if (files[f] !== null && /(config|flink-conf)\.yaml$/.test(f)) chmodSync(join(root, f), opts.mode)
  }
  const conf = loadCluster({confDir: join(root, 'conf'), flinkHome: root, flinkVersion: opts.version, env: opts.env ?? {}, dynamic: opts.dynamic})
  return {root, findings: validateCluster(conf, [], opts.target).findings}
}

export const only = (findings: readonly Finding[], rule: string): Finding[] => findings.filter((f) => f.rule === rule)
export const show = (findings: readonly Finding[]): string => findings.map((f) => `${f.rule}@${f.line ?? '-'} ${f.message} / ${f.hint}`).join('\n') || 'nothing'

/** The file Flink reads for this version: flink-conf.yaml before 1.19's config.yaml era matters, config.yaml from 2.0. */
export const confFile = (version: string): string => (version.startsWith('2.') ? 'conf/config.yaml' : 'conf/flink-conf.yaml')
