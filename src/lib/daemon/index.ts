// Start, stop and report Flink daemons on one host, file-compatible with flink-daemon.sh and
// flink-console.sh (pid file, log names, the pid-directory lock), so either can manage what the
// other started.
export {daemonStatus, identityTokens, mainClassOf, parseUptime, runForeground, startDaemons, statusSpecFor, stopDaemons, stopRequestFor} from './daemon.ts'
export type {
  AlreadyRunning, DaemonStatus, DroppedEntry, ForegroundOptions, PidEntryStatus, Started, StartedInstance, StartOptions,
  StartResult, StatusSpec, StopOutcome, StopRequest, StopResult,
} from './types.ts'
export {findDaemonProcesses, signalDaemon} from './signal.ts'
export type {DaemonProcess, DaemonSignal, SignalResult} from './signal.ts'
