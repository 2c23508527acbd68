// Finding one daemon process and signalling exactly it: what a failover drill needs to kill a
// leader, and what nothing else may do (stop goes through the pid file; this goes by pid + class).
import {assertOk, type Host} from '../remote/host.ts'
import {processesScript, signalScript} from './process-scripts.ts'

export interface DaemonProcess {
  pid: number
  /** Arguments joined by spaces, as /proc (or ps) shows them. */
  commandLine: string
  /** TCP ports it listens on (only when asked for, and where /proc/net/tcp is readable). */
  ports?: number[]
}

export type DaemonSignal = 'KILL' | 'TERM' | 'STOP' | 'CONT'

export interface SignalResult {
  /** sent; gone (no such process any more); foreign (the pid now runs something else: not signalled); refused (kill failed, e.g. not our process). */
  result: 'sent' | 'gone' | 'foreign' | 'refused'
  /** The host's clock when the signal was sent (ms since the epoch), where its `date` has %N. */
  hostTime?: number
}

/** Processes of the SSH user that run mainClass on the host (identified as status does). */
export async function findDaemonProcesses(host: Host, mainClass: string, opts: {signal?: AbortSignal; ports?: boolean} = {}): Promise<DaemonProcess[]> {
  const r = await host.sh(processesScript(mainClass, {ports: opts.ports}), [], {signal: opts.signal})
  assertOk(host, `looking for ${mainClass}`, r)
  return parseProcesses(r.stdout)
}

export function parseProcesses(stdout: string): DaemonProcess[] {
  const out: DaemonProcess[] = []
  for (const line of stdout.split('\n')) {
    const [kind, pid, ...rest] = line.split('\t')
    if (!/^[1-9]\d*$/.test(pid ?? '')) continue
    if (kind === 'proc') out.push({pid: Number(pid), commandLine: rest.join('\t')})
    else if (kind === 'port' && /^[0-9A-Fa-f]{1,4}$/.test(rest[0] ?? '')) {
      const p = out.find((x) => x.pid === Number(pid))
      if (p) (p.ports ??= []).push(parseInt(rest[0]!, 16))
    }
  }
  return out
}

/** Sends signal to pid on the host if, at that moment, it still runs mainClass. */
export async function signalDaemon(host: Host, pid: number, mainClass: string, signal: DaemonSignal, opts: {signal?: AbortSignal} = {}): Promise<SignalResult> {
  const r = await host.sh(signalScript(mainClass, signal), [String(pid)], {signal: opts.signal})
  assertOk(host, `sending SIG${signal} to ${pid}`, r)
  const [kind, at] = r.stdout.trim().split('\t')
  if (kind === 'sent') return {result: 'sent', ...(at && /^\d+$/.test(at) ? {hostTime: Number(at)} : {})}
  return {result: kind === 'foreign' || kind === 'refused' ? kind : 'gone'}
}
