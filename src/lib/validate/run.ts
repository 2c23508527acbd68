import {loadCluster} from '../conf/load.ts'
import type {Finding} from '../conf/types.ts'
import {ConfigError} from '../errors.ts'
import {validateCluster, type ValidationReport} from './index.ts'

export interface ValidateRequest {
  confDirs: ReadonlyArray<string | undefined>
  flinkHome?: string
  flinkVersion?: string
  dynamic?: readonly string[]
  strict?: boolean
  /** Validate for a YARN session instead of a standalone cluster. */
  target?: 'standalone' | 'yarn'
  env?: Readonly<Record<string, string | undefined>>
}

export interface ValidateOutcome {
  reports: ValidationReport[]
  errors: number
  warnings: number
  /** Set when the configuration must be refused (errors, or warnings under strict). */
  failure?: ConfigError
}

/** The `validate` flags, as both the oclif command and the fast path parse them. */
export function validateRequestFromFlags(flags: {'conf-dir'?: string[]; 'flink-home'?: string; 'flink-version'?: string; dynamic?: string[]; strict?: boolean; yarn?: boolean}): ValidateRequest {
  return {confDirs: flags['conf-dir'] ?? [undefined], flinkHome: flags['flink-home'], flinkVersion: flags['flink-version'], dynamic: flags.dynamic, strict: flags.strict, target: flags.yarn ? 'yarn' : 'standalone'}
}

/** Loads and validates one or more conf dirs together (the `validate` command's whole job). */
export function validateConfDirs(req: ValidateRequest): ValidateOutcome {
  const confs = req.confDirs.map((confDir) =>
    loadCluster({confDir, flinkHome: req.flinkHome, flinkVersion: req.flinkVersion, dynamic: req.dynamic, env: req.env}))
  const reports = confs.map((c) => validateCluster(c, confs, req.target))
  const errors = reports.reduce((n, r) => n + r.errors, 0)
  const warnings = reports.reduce((n, r) => n + r.warnings, 0)
  const outcome: ValidateOutcome = {reports, errors, warnings}
  if (errors > 0 || (req.strict && warnings > 0)) {
    const first: Finding | undefined = reports.flatMap((r) => r.findings).find((f) => f.severity === 'error' || req.strict)
    outcome.failure = new ConfigError(`configuration is invalid: ${errors} error(s)${req.strict ? `, ${warnings} warning(s)` : ''}`, {
      code: 'CONFIG_INVALID',
      hint: first ? `start with ${first.rule}: ${first.hint}` : 'fix the findings above',
    })
  }
  return outcome
}
