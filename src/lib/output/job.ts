import type {CancelReport, ListReport, SubmitReport} from '../job/index.ts'
import type {Style} from './style.ts'
import {table} from './table.ts'

const secs = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`)

/** Epoch milliseconds as UTC, to the second. */
const when = (ms: number | undefined) => (ms === undefined ? '-' : `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`)

const duration = (ms: number | undefined): string => {
  if (ms === undefined || ms < 0) return '-'
  const s = Math.floor(ms / 1000)
  if (s < 120) return `${s}s`
  if (s < 7200) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  if (s < 172800) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
  return `${Math.floor(s / 86400)}d`
}

export function colourState(state: string, s: Style): string {
  if (state === 'RUNNING' || state === 'FINISHED') return s.green(state)
  if (state === 'FAILED' || state === 'FAILING' || state === 'SUSPENDED') return s.red(state)
  if (state === 'CANCELED' || state === 'CANCELLING') return s.dim(state)
  return s.yellow(state)
}

/** One row per job: id, name, state, start (UTC), duration, running/total tasks. */
export function renderJobs(r: ListReport, s: Style): string {
  if (r.jobs.length === 0) return s.dim(`no jobs (${r.restUrl})`)
  const rows = r.jobs.map((j) => [j.id, j.name, colourState(j.state, s), when(j.startTime), duration(j.durationMs), `${j.tasks.running}/${j.tasks.total}`])
  return table(['JOB ID', 'NAME', 'STATE', 'STARTED', 'DURATION', 'TASKS RUNNING'], rows, s)
}

/** The summary of a submission (stderr: stdout holds only the job id, for `JOB=$(…)`). */
export function renderSubmit(r: SubmitReport, s: Style): string {
  const t = r.timings
  const head = `job ${r.jobId}${r.name ? ` (${r.name})` : ''}`
  if (!r.waited) return `${head} submitted to ${r.restUrl}; not waited for (--no-wait)`
  return `${head} ${colourState(r.state ?? '?', s)}: upload ${secs(t.uploadMs)}, run ${secs(t.runMs)}, RUNNING after ${secs(t.runningMs)}, all ${r.tasks?.total ?? '?'} tasks after ${secs(t.allRunningMs)}`
}

export function renderCancel(r: CancelReport, s: Style): string {
  const head = `job ${r.jobId} (${r.name})`
  if (r.alreadyEnded) return `${head} had already ended: ${colourState(r.state, s)}`
  if (!r.waited) return `${head}: cancel accepted (was ${r.previousState}); not waited for (--no-wait)`
  return `${head} ${colourState(r.state, s)} after ${secs(r.endedMs)}`
}
