// A drill report as JUnit XML for CI (Jenkins, GitLab, dorny/test-reporter, action-junit-report):
// a suite per round; a case per check, per phase and for the budget. The shape satisfies both the
// Ant schema (windyroad JUnit.xsd: properties, system-out and system-err always present, one outcome
// per case, timestamp without a zone) and Jenkins' junit-10.xsd (attributes on <testsuites>).
import {hostname as osHostname} from 'node:os'
import {plannedPhases, seconds} from './phases.ts'
import type {DrillReport, PhaseName, RoundResult} from './types.ts'

interface Outcome {kind: 'failure' | 'error' | 'skipped'; type: string; message: string; text?: string}
interface Case {classname: string; name: string; ms?: number; outcome?: Outcome}
interface Suite {name: string; at: number; ms: number; cases: Case[]; properties: Array<[string, string]>; out: string[]}

// Everything outside XML 1.0's Char production: C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF.
const NOT_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu
const ENTITY: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;', '\n': '&#10;', '\t': '&#9;'}
const clean = (s: unknown) => String(s ?? '').replace(NOT_XML, '\uFFFD')
/** Text content: markup escaped (so `]]>` cannot occur), CR kept as a reference so parsers do not fold CRLF. */
const text = (s: unknown) => clean(s).replace(/[&<>"'\r]/g, (c) => ENTITY[c]!)
/** Attribute values: tabs and newlines as references too, or parsers normalise them to spaces. */
const attr = (s: unknown) => clean(s).replace(/[&<>"'\r\n\t]/g, (c) => ENTITY[c]!)
/** Names the schemas want as non-empty tokens. */
const token = (s: unknown, fallback: string) => (clean(s).trim() === '' ? fallback : clean(s))
const secs = (ms: number | undefined) => (ms !== undefined && Number.isFinite(ms) && ms > 0 ? Math.min(ms / 1000, 1e12).toFixed(3) : '0.000')
/** The XSD's ISO8601_DATETIME_PATTERN: seconds precision, no zone (UTC here). */
const timestamp = (ms: number) => new Date(Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 253402300799000) : 0).toISOString().slice(0, 19)

/** The phases the round waited for, as runDrill planned them (the report keeps only those reached). */
function planned(report: DrillReport, r: RoundResult): PhaseName[] {
  if (r.planned) return r.planned
  const failover = r.fault !== 'pause' || (report.options.pauseMs ?? 0) >= report.sessionTimeout.effectiveMs
  return plannedPhases(r.target.kind, r.fault, r.before.jobs.length > 0, failover, r.target.tasks !== 0)
}

function roundSuite(report: DrillReport, r: RoundResult): Suite {
  const classname = `flinkctl.drill.${r.target.kind}`
  const cases: Case[] = r.checks.map((c) => ({
    classname, name: c.name,
    ...(c.ok ? {} : {outcome: {kind: 'failure' as const, type: 'check', message: c.detail, text: `${c.name}\n${c.detail}`}}),
  }))
  for (const p of r.phases) cases.push({classname, name: `phase ${p.name}`, ms: p.ms})
  const reached = new Set(r.phases.map((p) => p.name))
  const missed = planned(report, r).filter((p) => !reached.has(p))
  const timeout = seconds(report.options.timeoutMs)
  missed.forEach((p, i) => {
    const why = i > 0 ? {kind: 'skipped' as const, message: `not waited for: phase ${missed[0]} never came`}
      : r.timedOut ? {kind: 'failure' as const, message: `phase ${p} did not come within --timeout (${timeout})`}
        : report.interrupted ? {kind: 'skipped' as const, message: `not reached: the drill was interrupted`}
          : {kind: 'failure' as const, message: `phase ${p} was not reached: the round ended early`}
    cases.push({classname, name: `phase ${p}`, ms: i === 0 && r.timedOut ? report.options.timeoutMs : undefined, outcome: {type: 'phase', ...why}})
  })
  if (r.timedOut && missed.length === 0) {
    // the planned list disagrees with what was measured: still a failed phase, never a green round
    const after = r.phases.at(-1)?.name
    cases.push({classname, name: 'phase after ' + (after ?? 'the fault'), ms: report.options.timeoutMs,
      outcome: {kind: 'failure', type: 'phase', message: `no phase after ${after ?? 'the fault'} within --timeout (${timeout})`}})
  }
  if (r.withinBudget !== undefined) {
    const budget = seconds(report.options.maxRecoveryMs ?? 0)
    cases.push({classname, name: `recovery within --max-recovery (${budget})`, ms: r.recoveryMs,
      ...(r.withinBudget ? {} : {outcome: {kind: 'failure' as const, type: 'budget',
        message: r.recoveryMs === undefined ? 'no recovery time: a phase never came' : `recovered in ${seconds(r.recoveryMs)}, over the ${budget} budget`}})})
  }
  const properties: Array<[string, string]> = [['target', r.target.label], ['fault', r.fault]]
  if (r.verify) {
    const v = r.verify
    properties.push(['checker.job', v.jobId], ['emitted', String(v.emitted)], ['lost', String(v.lost)], ['doubled', String(v.doubled)], ['reordered', String(v.reordered)], ['keys', String(v.keys)])
  }
  const lastMs = r.phases.reduce((m, p) => Math.max(m, p.ms ?? 0), 0)
  return {
    name: `round ${r.round}: ${r.fault} ${r.target.kind} ${r.target.label}`, at: r.faultAt,
    ms: r.recoveryMs ?? (r.timedOut ? report.options.timeoutMs : lastMs), cases, properties, out: r.explanation,
  }
}

/** The drill as a whole, when it ended short of its rounds: the exit code is not 0, so neither is the XML. */
function drillSuite(report: DrillReport): Suite | undefined {
  const ran = report.rounds.length, wanted = report.options.rounds
  if (!report.interrupted && ran >= wanted) return undefined
  const c: Case = report.interrupted
    ? {classname: 'flinkctl.drill', name: 'interrupted', outcome: {kind: 'error', type: 'interrupted', message: `the drill was interrupted after ${ran} of ${wanted} round${wanted === 1 ? '' : 's'}`}}
    : {classname: 'flinkctl.drill', name: `all ${wanted} rounds ran`, outcome: {kind: 'failure', type: 'rounds', message: `${ran} of ${wanted} rounds ran: the next round could not start (see the drill's output)`}}
  return {name: 'drill', at: report.rounds.at(-1)?.faultAt ?? report.startedAt, ms: 0, cases: [c], properties: [], out: []}
}

const count = (s: Suite, kind: Outcome['kind']) => s.cases.filter((c) => c.outcome?.kind === kind).length

function caseXml(c: Case): string {
  const open = `    <testcase classname="${attr(token(c.classname, 'flinkctl.drill'))}" name="${attr(token(c.name, '(unnamed)'))}" time="${secs(c.ms)}"`
  const o = c.outcome
  if (!o) return `${open}/>`
  const type = o.kind === 'skipped' ? '' : ` type="${attr(o.type)}"`
  return `${open}>\n      <${o.kind} message="${attr(o.message)}"${type}>${text(o.text ?? o.message)}</${o.kind}>\n    </testcase>`
}

function suiteXml(s: Suite, id: number, host: string): string {
  const props = s.properties.map(([k, v]) => `      <property name="${attr(token(k, 'property'))}" value="${attr(v)}"/>`)
  return [
    `  <testsuite name="${attr(token(s.name, `suite ${id}`))}" tests="${s.cases.length}" failures="${count(s, 'failure')}" errors="${count(s, 'error')}" skipped="${count(s, 'skipped')}"` +
      ` time="${secs(s.ms)}" timestamp="${timestamp(s.at)}" hostname="${attr(host)}" id="${id}" package="flinkctl.drill">`,
    props.length ? `    <properties>\n${props.join('\n')}\n    </properties>` : '    <properties/>',
    ...s.cases.map(caseXml),
    `    <system-out>${text(s.out.join('\n'))}</system-out>`,
    '    <system-err/>',
    '  </testsuite>',
  ].join('\n')
}

/** JUnit XML for a drill report: a suite per round, failing wherever the drill's exit code would. */
export function drillJunit(report: DrillReport, opts: {name?: string; hostname?: string} = {}): string {
  const suites = report.rounds.map((r) => roundSuite(report, r))
  const tail = drillSuite(report)
  if (tail) suites.push(tail)
  const host = token(opts.hostname ?? osHostname(), 'localhost')
  const sum = (f: (s: Suite) => number) => suites.reduce((n, s) => n + f(s), 0)
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(token(opts.name, 'flinkctl drill'))}" tests="${sum((s) => s.cases.length)}" failures="${sum((s) => count(s, 'failure'))}"` +
      ` errors="${sum((s) => count(s, 'error'))}" time="${sum((s) => Number(secs(s.ms))).toFixed(3)}">`,
    ...suites.map((s, i) => suiteXml(s, i, host)),
    '</testsuites>',
    '',
  ].join('\n')
}
