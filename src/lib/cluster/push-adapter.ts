import {diffConfAll, localConfFiles, pushConfAll, type DiffResult, type PushResult} from './push.ts'
import type {OutcomeError} from './results.ts'
import type {Session} from './session.ts'

/** One host after a push: what changed there, or why it could not be pushed. */
export interface PushHostResult extends Omit<PushResult, 'host' | 'dryRun'> {
  host: string
  ok: boolean
  error?: OutcomeError
}

const empty = {created: [], updated: [], unchanged: [], modeChanged: [], removed: [], previousKept: []}

/** Pushes the session's conf dir to the same path on every host, in parallel. */
export async function pushConfTo(session: Session, hosts: readonly string[], opts: {dryRun?: boolean} = {}): Promise<PushHostResult[]> {
  const {confDir} = session.conf
  const files = localConfFiles(confDir)
  const outcomes = await pushConfAll(hosts.map((h) => session.pool.get(h)), confDir, files, {sourceDir: confDir, dryRun: opts.dryRun, parallel: session.parallel})
  return outcomes.map((o) => o.ok ? {...o.value!, host: o.host, ok: true} : {...empty, host: o.host, ok: false, error: o.error})
}

export interface DiffHostResult extends Partial<Omit<DiffResult, 'host'>> {
  host: string
  ok: boolean
  error?: OutcomeError
}

/** Compares the session's conf dir with every host's copy. */
export async function diffConfWith(session: Session, hosts: readonly string[]): Promise<DiffHostResult[]> {
  const {confDir} = session.conf
  const outcomes = await diffConfAll(hosts.map((h) => session.pool.get(h)), confDir, localConfFiles(confDir), {sourceDir: confDir, parallel: session.parallel})
  return outcomes.map((o) => o.ok ? {...o.value!, host: o.host, ok: true} : {host: o.host, ok: false, error: o.error})
}
