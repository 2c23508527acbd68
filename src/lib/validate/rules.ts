import type {Severity} from '../conf/types.ts'
import {haFakeSwitch, haKeysWithoutHa} from './ha-off-rules.ts'
import {clusterId, haStorageDir, haStorageLocal, haType, haTypeVersion} from './ha-rules.ts'
import {mastersCount, mastersDuplicate, restLocalhost} from './hosts-rules.ts'
import {deprecatedKey, noConfigFile, removedKey, unknownKey, valueType} from './key-rules.ts'
import {memBothSizes} from './memory-rules.ts'
import {hostNames} from './names.ts'
import {laterKey, versionRange} from './version-rules.ts'
import type {Rule} from './rule-kit.ts'
import {plainSecret} from './secret-rules.ts'
import {haStorageUri, stateDirUri} from './uri-rules.ts'
import {yarnAttempts, yarnAttemptsNoHa, yarnHadoop, yarnResources} from './yarn-rules.ts'
import {haQuorum, zkAcl, zkDataDir, zkQuorumSize, zkServersMatch, zkSessionTimeout} from './zk-rules.ts'

export {checkValueType, suggestKey} from './key-rules.ts'
export {parseQuorum, type QuorumEntry, type Rule, type RuleContext} from './rule-kit.ts'

/** Every rule, in the order findings are reported. */
export const RULES: readonly Rule[] = [
  noConfigFile, versionRange, hostNames, unknownKey, deprecatedKey, removedKey, laterKey, valueType,
  haType, haTypeVersion, haFakeSwitch, haKeysWithoutHa, haStorageDir, haStorageUri, haStorageLocal, haQuorum, zkQuorumSize,
  mastersCount, mastersDuplicate, zkServersMatch, zkDataDir, zkSessionTimeout, clusterId, zkAcl,
  yarnAttempts, yarnAttemptsNoHa, yarnResources, yarnHadoop, restLocalhost, stateDirUri, memBothSizes, plainSecret,
]

/** Rules that come from reading the files (reported by the loader, listed here for documentation). */
export const LOADER_RULES: ReadonlyArray<{id: string; severity: Severity; summary: string}> = [
  {id: 'CONF-DUPLICATE-KEY', severity: 'error', summary: 'a key set twice (config.yaml refuses it; flink-conf.yaml keeps the last)'},
  {id: 'CONF-YAML-SYNTAX', severity: 'error', summary: 'config.yaml is not valid YAML'},
  {id: 'CONF-YAML-LIMIT', severity: 'error', summary: "config.yaml over a limit of Flink's YAML loader (3 Mi characters, 50 aliases of lists or maps) or nested more than 500 deep"},
  {id: 'CONF-ENCODING', severity: 'error', summary: 'a BOM, a byte that is not UTF-8 or a control character, with what the reader of that file does with it'},
  {id: 'CONF-SKIPPED-LINE', severity: 'warning', summary: 'a line Flink skips (no ": ", empty key or value)'},
  {id: 'CONF-HASH-IN-VALUE', severity: 'warning', summary: 'a "#" cuts a flink-conf.yaml value short'},
  {id: 'CONF-FILE-SHADOWED', severity: 'warning', summary: 'flink-conf.yaml makes Flink 1.19/1.20 ignore config.yaml'},
  {id: 'CONF-FILE-IGNORED', severity: 'warning', summary: 'a config file this Flink version does not read'},
  {id: 'HOSTS-SLAVES-FILE', severity: 'warning', summary: 'conf/slaves used instead of conf/workers'},
  {id: 'HOSTS-EXTRA-WORDS', severity: 'warning', summary: 'words after the host in masters/workers are ignored'},
  {id: 'HOSTS-CR', severity: 'warning', summary: 'Windows line endings in masters/workers'},
  {id: 'ZOO-SERVER-SYNTAX', severity: 'error', summary: 'a malformed server.N line in zoo.cfg'},
  {id: 'ZOO-DUPLICATE-KEY', severity: 'warning', summary: 'a zoo.cfg key set twice'},
  {id: 'ZOO-SYNTAX', severity: 'warning', summary: 'a zoo.cfg line that is not key=value'},
  {id: 'DIST-JARS', severity: 'error', summary: 'more than one lib/flink-dist*.jar'},
]
