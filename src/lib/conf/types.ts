/** Where a value came from, so every message can point at it. */
export type Source =
  | {kind: 'file'; file: string; line: number; col: number}
  | {kind: 'dynamic'; arg: string}
  | {kind: 'default'}

export type Severity = 'error' | 'warning' | 'info'

/** One problem found while loading or validating; never thrown, always returned. */
export interface Finding {
  rule: string
  severity: Severity
  message: string
  hint: string
  file?: string
  line?: number
  col?: number
  key?: string
}

export interface ConfigEntry {
  key: string
  /** The value as Flink's Configuration would hand it to getString(). */
  value: string
  /** YAML lists and maps keep their structure for display. */
  structured?: unknown
  source: Source
}

export interface FlinkVersion {
  major: number
  minor: number
  patch: number
  raw: string
  detectedFrom: 'flag' | 'dist-jar'
}

export interface FlinkConfig {
  /** Path of the file Flink would read for this version, or undefined when there is none. */
  file: string | undefined
  format: 'legacy' | 'standard' | 'none'
  /** Effective values after dynamic properties, keyed by the key as written. */
  entries: Map<string, ConfigEntry>
}

export interface HostEntry {
  host: string
  /** Web UI port from `masters` (`host:port`); undefined when absent. */
  port?: number
  /** The text of the port field when it is not a number, kept for the validator. */
  badPort?: string
  raw: string
  line: number
  col: number
}

export interface HostList {
  file: string
  entries: HostEntry[]
}

export interface ZooServer {
  id: number
  host: string
  peerPort?: number
  leaderPort?: number
  clientPort?: number
  raw: string
  line: number
  col: number
}

export interface ZooCfg {
  file: string
  servers: ZooServer[]
  /** Every `key=value` property with its position, server lines included. */
  props: Map<string, {value: string; line: number; col: number}>
}

export interface ClusterConf {
  confDir: string
  flinkHome: string | undefined
  version: FlinkVersion | undefined
  flink: FlinkConfig
  masters: HostList | undefined
  workers: HostList | undefined
  zoo: ZooCfg | undefined
  /** Problems noticed while reading (duplicate keys, skipped lines, deprecated names, fallbacks). */
  notes: Finding[]
  env: Readonly<Record<string, string | undefined>>
}

export const where = (s: Source): Pick<Finding, 'file' | 'line' | 'col'> =>
  s.kind === 'file' ? {file: s.file, line: s.line, col: s.col} : {}

export const describeSource = (s: Source): string =>
  s.kind === 'file' ? `${s.file}:${s.line}:${s.col}` : s.kind === 'dynamic' ? `-D ${s.arg}` : 'default'
