// Two JobManagers serving as leader at once, seen from outside: during a partition every
// JobManager's REST endpoint is polled. A standby answers by forwarding to the leader over RPC,
// which a partition cuts, so a 200 from the cut-off side comes from a leader on that side, and a
// 200 from the other side from a leader there: both sides answering at once is a split brain.
import type {MasterEndpoint} from '../cluster/probes.ts'
import {RestClient} from '../rest/client.ts'
import type {Check} from './types.ts'

export type Side = 'partitioned' | 'others'

export interface ServingSpan {
  label: string
  side: Side
  /** Bastion clock: the start of the first answered request, the end of the last one. */
  from: number
  to: number
}

export interface LeaderOverlap {
  a: string
  b: string
  from: number
  to: number
}

interface Sample {
  label: string
  side: Side
  start: number
  end: number
  serving: boolean
}

/** Runs of answered requests per endpoint, in time order. */
export function servingSpans(samples: readonly Sample[]): ServingSpan[] {
  const spans: ServingSpan[] = []
  const open = new Map<string, ServingSpan>()
  for (const s of [...samples].sort((x, y) => x.start - y.start)) {
    const cur = open.get(s.label)
    if (s.serving) {
      if (cur) cur.to = Math.max(cur.to, s.end)
      else open.set(s.label, {label: s.label, side: s.side, from: s.start, to: s.end})
    } else if (cur) {
      spans.push(cur)
      open.delete(s.label)
    }
  }
  spans.push(...open.values())
  return spans.sort((x, y) => x.from - y.from)
}

/** Where a JobManager of each side was answering as leader over the same stretch of time. */
export function leaderOverlaps(spans: readonly ServingSpan[]): LeaderOverlap[] {
  const out: LeaderOverlap[] = []
  const cut = spans.filter((s) => s.side === 'partitioned')
  for (const a of cut) {
    for (const b of spans.filter((s) => s.side === 'others')) {
      const from = Math.max(a.from, b.from)
      const to = Math.min(a.to, b.to)
      if (from < to) out.push({a: a.label, b: b.label, from, to})
    }
  }
  return out.sort((x, y) => x.from - y.from)
}

export interface LeaderWatch {
  /** Spans of the requests made wholly within the window: outside it a standby's forwarded answer is no sign of a second leader. */
  stop(window?: {from: number; to: number}): Promise<ServingSpan[]>
}

/** Polls every endpoint until stopped; a request answered 200 within its timeout counts as serving. */
export function watchLeaders(endpoints: readonly MasterEndpoint[], sideOf: (e: MasterEndpoint) => Side, opts: {intervalMs?: number; timeoutMs?: number} = {}): LeaderWatch {
  const samples: Sample[] = []
  const ctl = new AbortController()
  const interval = opts.intervalMs ?? 200
  const loops = endpoints.map(async (e) => {
    const rest = new RestClient(e.url, {timeoutMs: opts.timeoutMs ?? 1000})
    const side = sideOf(e)
    while (!ctl.signal.aborted) {
      const start = Date.now()
      let serving = false
      try {
        await rest.jobsOverview()
        serving = true
      } catch { /* not serving: 503 during an election, 5xx or a timeout when the leader is out of reach */ }
      samples.push({label: e.label, side, start, end: Date.now(), serving})
      const wait = interval - (Date.now() - start)
      if (wait > 0) await new Promise<void>((r) => { const t = setTimeout(r, wait); ctl.signal.addEventListener('abort', () => { clearTimeout(t); r() }, {once: true}) })
    }
  })
  return {
    async stop(window) {
      ctl.abort()
      await Promise.all(loops)
      return servingSpans(window ? samples.filter((x) => x.start >= window.from && x.end <= window.to) : samples)
    },
  }
}

/**
 * The stretches in which ZooKeeper named a leader on the other side, from the watch's readings
 * (each holds from its read until the next): a cut-off JobManager answering as leader then is a
 * second leader too.
 */
export function zooKeeperSpans(readings: ReadonlyArray<{at: number; label?: string}>, sideOf: (label: string) => Side, until: number): ServingSpan[] {
  const out: ServingSpan[] = []
  const sorted = [...readings].sort((a, b) => a.at - b.at)
  sorted.forEach((r, i) => {
    const to = Math.min(sorted[i + 1]?.at ?? until, until)
    if (r.label && sideOf(r.label) === 'others' && r.at < to) out.push({label: `ZooKeeper (${r.label})`, side: 'others', from: r.at, to})
  })
  return out
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 23)

/** The split-brain check of a partition round. */
export function splitBrainCheck(spans: readonly ServingSpan[]): Check {
  const overlaps = leaderOverlaps(spans)
  const seen = [...new Set(spans.filter((s) => !s.label.startsWith('ZooKeeper')).map((s) => s.label))]
  return {
    name: 'never two JobManagers serving as leader at once',
    ok: overlaps.length === 0,
    detail: overlaps.length === 0
      ? `no overlap: ${spans.map((s) => `${s.label} ${clock(s.from)}–${clock(s.to)}`).join(', ') || 'no JobManager answered'} (UTC; ${seen.length} JobManagers answered over REST)`
      : overlaps.map((o) => `${o.a} and ${o.b} both answered as leader from ${clock(o.from)} to ${clock(o.to)} UTC (${((o.to - o.from) / 1000).toFixed(1)} s)`).join('; '),
  }
}
