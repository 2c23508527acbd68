export {preflight, preflightFailure, libManifest, type HostPreflight, type PreflightReport} from './preflight.ts'
export {startClusterChecked, PreflightFailed} from './gate.ts'
export type {PreflightCheck, Level} from './checks.ts'
