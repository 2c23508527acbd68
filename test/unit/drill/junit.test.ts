import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {drillOutcome} from '../../../src/lib/drill/explain.ts'
import {drillJunit} from '../../../src/lib/drill/junit.ts'
import type {Check, DrillReport, Phase, RoundResult} from '../../../src/lib/drill/types.ts'

const XSD_DIR = join(import.meta.dirname, '../../fixtures/junit')
const ANT_XSD = join(XSD_DIR, 'JUnit.xsd')
const JENKINS_XSD = join(XSD_DIR, 'junit-10.xsd')

// The unit tier runs before the ground's apt step on a fresh CI machine: bring xmllint here when root can.
function xmllintReady(): string | undefined {
  const have = () => spawnSync('xmllint', ['--version']).status === 0
  if (have()) return undefined
  if (process.getuid?.() !== 0 || spawnSync('apt-get', ['--version']).status !== 0) return 'xmllint is absent and apt-get is not usable (not root, or no apt): install libxml2-utils'
  const env = {...process.env, DEBIAN_FRONTEND: 'noninteractive'}
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'libxml2-utils'], {env, stdio: 'ignore'}).status === 0
  if (!install()) { spawnSync('apt-get', ['update', '-qq'], {env, stdio: 'ignore'}); install() }
  return have() ? undefined : 'xmllint is absent and `apt-get install libxml2-utils` failed'
}
const skip = xmllintReady()

const dir = mkdtempSync(join(tmpdir(), 'junit-'))
after(() => rmSync(dir, {recursive: true, force: true}))
let n = 0
function file(xml: string): string {
  const f = join(dir, `${n++}.xml`)
  writeFileSync(f, xml)
  return f
}
function validate(xml: string) {
  for (const [xsd, doc] of [
    [JENKINS_XSD, xml],
    // Ant's schema declares no attributes on <testsuites> (every consumer reads them): checked below the root
    [ANT_XSD, xml.replace(/<testsuites [^>]*>/, '<testsuites>')],
  ] as const) {
    const r = spawnSync('xmllint', ['--noout', '--schema', xsd, file(doc)], {encoding: 'utf8'})
    assert.equal(r.status, 0, `${xsd.split('/').at(-1)} rejects the XML:\n${r.stderr}\n${xml}`)
  }
}
/** An independent parser's reading (libxml2's XPath), so escaping is checked by what comes back. */
const xpath = (xml: string, expr: string) => spawnSync('xmllint', ['--xpath', expr, file(xml)], {encoding: 'utf8'}).stdout.replace(/\n$/, '')
const num = (xml: string, expr: string) => Number(xpath(xml, expr))

const PHASES = ['leader-gone', 'new-leader', 'rest', 'jobs-running', 'tasks-running', 'checkpoint'] as const
const FAULT_AT = Date.UTC(2025, 2, 4, 5, 6, 7, 890)

function round(over: Partial<RoundResult> & {reached?: number} = {}): RoundResult {
  const phases: Phase[] = PHASES.slice(0, over.reached ?? PHASES.length).map((name, i) => ({name, at: FAULT_AT + (i + 1) * 1000, ms: (i + 1) * 1000 + 234}))
  const checks: Check[] = [
    {name: 'another JobManager leads', ok: true, detail: 'h1:8081 → h2:8081'},
    {name: 'h1:8081 restored', ok: true, detail: 'h1:8081 running again as a standby'},
  ]
  const r: RoundResult = {
    round: 1, fault: 'kill', faultAt: FAULT_AT, phases, checks, timedOut: false, explanation: ['the election took 1.0 s', 'a standby must be running'],
    target: {kind: 'leader', host: 'h1', label: 'h1:8081', pid: 42, mainClass: 'x', commandLine: 'java x', restore: {daemon: 'standalonesession', webuiPort: 8081}},
    before: {leader: 'h1:8081', jobs: [{jobId: 'j1', name: 'job'}]}, after: {leader: 'h2:8081'},
    restored: {ok: true, detail: 'ok', ms: 500}, ok: true,
    ...over,
  }
  r.recoveryMs = over.recoveryMs ?? (r.timedOut || phases.length < PHASES.length ? undefined : phases.at(-1)!.ms)
  r.ok = !r.timedOut && r.recoveryMs !== undefined && r.checks.every((c) => c.ok)
  return r
}
function report(rounds: RoundResult[], over: {interrupted?: boolean; wanted?: number; maxRecoveryMs?: number} = {}): DrillReport {
  const wanted = over.wanted ?? rounds.length
  if (over.maxRecoveryMs !== undefined) for (const r of rounds) r.withinBudget = r.recoveryMs !== undefined && r.recoveryMs <= over.maxRecoveryMs
  return {
    options: {target: 'leader', fault: 'kill', rounds: wanted, timeoutMs: 60_000, settleMs: 1000, checkpointMaxAgeMs: 1000, force: false, maxRecoveryMs: over.maxRecoveryMs},
    startedAt: FAULT_AT - 5000, sessionTimeout: {requestedMs: 6000, effectiveMs: 6000}, rounds, summary: [],
    interrupted: over.interrupted ?? false, ...drillOutcome(rounds, wanted, over.interrupted ?? false),
  }
}

describe('drill --junit', {skip}, () => {
  it('a passing round: a case per check, per phase and for the budget, all green, valid under both schemas', () => {
    const r = round({verify: {jobId: 'c1', before: {} as never, emitted: 1200, lost: 0, doubled: 0, reordered: 3, keys: 16}})
    const rep = report([r], {maxRecoveryMs: 30_000})
    const xml = drillJunit(rep, {hostname: 'bastion'})
    validate(xml)
    assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="flinkctl drill" '))
    assert.equal((xml.match(/<testcase /g) ?? []).length, 2 + 6 + 1, 'two checks, six phases, the budget')
    assert.equal(num(xml, 'count(//testcase)'), 9)
    assert.equal(xpath(xml, 'string(/testsuites/@tests)'), '9')
    assert.equal(num(xml, 'count(//failure|//error|//skipped)'), 0)
    assert.equal(xpath(xml, 'string(//testsuite/@name)'), 'round 1: kill leader h1:8081')
    assert.equal(xpath(xml, 'string(//testsuite/@timestamp)'), '2025-03-04T05:06:07')
    assert.equal(xpath(xml, 'string(//testsuite/@hostname)'), 'bastion')
    assert.equal(xpath(xml, 'string(//testsuite/@time)'), '6.234', 'fault to the last phase')
    assert.equal(xpath(xml, 'string(//testcase[@name="phase rest"]/@time)'), '3.234')
    assert.equal(xpath(xml, 'string(//testcase[@name="phase rest"]/@classname)'), 'flinkctl.drill.leader')
    assert.equal(xpath(xml, 'string(//testcase[starts-with(@name, "recovery within")]/@time)'), '6.234')
    for (const [k, v] of [['emitted', '1200'], ['lost', '0'], ['doubled', '0'], ['reordered', '3'], ['keys', '16']] as const) {
      assert.equal(xpath(xml, `string(//property[@name="${k}"]/@value)`), v, k)
    }
    assert.equal(xpath(xml, 'string(//system-out)'), 'the election took 1.0 s\na standby must be running')
    assert.equal(num(drillJunit(report([round()])), 'count(//property[@name="lost"])'), 0, 'no --verify, no counts')
  })

  it('a failing check: its detail is the failure message; the counts add up', () => {
    const r = round()
    r.checks.push({name: 'job j1 completed a new checkpoint', ok: false, detail: '7 → none'})
    r.ok = false
    const xml = drillJunit(report([r]))
    validate(xml)
    const f = '//testcase[@name="job j1 completed a new checkpoint"]/failure'
    assert.equal(xpath(xml, `string(${f}/@message)`), '7 → none')
    assert.equal(xpath(xml, `string(${f}/@type)`), 'check')
    assert.equal(xpath(xml, `string(${f})`), 'job j1 completed a new checkpoint\n7 → none')
    assert.equal(xpath(xml, 'string(//testsuite/@failures)'), '1')
    assert.equal(xpath(xml, 'string(/testsuites/@failures)'), '1')
    assert.equal(num(xml, 'count(//testsuite)'), 1)
  })

  it('a timed-out phase fails naming the phase and --timeout; the later ones are skipped; the budget fails', () => {
    const r = round({reached: 2, timedOut: true})
    const xml = drillJunit(report([r], {maxRecoveryMs: 30_000}))
    validate(xml)
    assert.equal(xpath(xml, 'string(//testcase[@name="phase rest"]/failure/@message)'), 'phase rest did not come within --timeout (60.0 s)')
    assert.equal(xpath(xml, 'string(//testcase[@name="phase rest"]/@time)'), '60.000')
    assert.equal(num(xml, 'count(//testcase[@name="phase jobs-running" or @name="phase tasks-running" or @name="phase checkpoint"]/skipped)'), 3)
    assert.equal(xpath(xml, 'string(//testcase[starts-with(@name, "recovery within")]/failure/@message)'), 'no recovery time: a phase never came')
    assert.equal(xpath(xml, 'string(//testsuite/@failures)'), '2')
    assert.equal(xpath(xml, 'string(//testsuite/@skipped)'), '3')
    assert.equal(num(xml, 'count(//testcase)'), 2 + 6 + 1)
  })

  it('over the budget: the one failure is the budget case (exit 8 is not green either)', () => {
    const rep = report([round()], {maxRecoveryMs: 5000})
    const xml = drillJunit(rep)
    validate(xml)
    assert.equal(xpath(xml, 'string(//failure/@message)'), 'recovered in 6.2 s, over the 5.0 s budget')
    assert.equal(num(xml, 'count(//failure)'), 1)
  })

  it('an interrupted drill adds an `interrupted` case with an error; unreached phases are skipped, not failed', () => {
    const r = round({reached: 3})
    const xml = drillJunit(report([r], {interrupted: true, wanted: 3}))
    validate(xml)
    assert.equal(xpath(xml, 'string(//testcase[@name="interrupted"]/error/@message)'), 'the drill was interrupted after 1 of 3 rounds')
    assert.equal(xpath(xml, 'string(/testsuites/@errors)'), '1')
    assert.equal(num(xml, 'count(//testcase[starts-with(@name, "phase ")]/skipped)'), 3)
    const none = drillJunit(report([], {interrupted: true, wanted: 2}))
    validate(none)
    assert.equal(num(none, 'count(//testcase[@name="interrupted"]/error)'), 1, 'even with no round done')
    const short = drillJunit(report([round()], {wanted: 2}))
    validate(short)
    assert.equal(xpath(short, 'string(//testcase[@name="all 2 rounds ran"]/failure/@message)'), '1 of 2 rounds ran: the next round could not start (see the drill\'s output)')
  })

  it('hostile strings from remote hosts: still valid XML, read back as sent minus what XML 1.0 cannot carry', () => {
    const controls = Array.from({length: 32}, (_, i) => String.fromCharCode(i)).join('')
    const nasty = `a<b>&c"d'e ]]> f${controls}🦀 \uD800 \uFFFE end`
    const expected = nasty.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\uD800\uFFFE]/g, '\uFFFD')
    const r = round()
    r.target = {...r.target, host: nasty, label: `${nasty}:8081`}
    r.checks.push({name: `check ${nasty}`, ok: false, detail: nasty}, {name: controls.slice(0, 9), ok: true, detail: ''})
    r.explanation = [nasty, ']]>']
    r.ok = false
    const rep = report([r])
    rep.rounds[0]!.phases[0]!.detail = nasty
    const xml = drillJunit(rep, {hostname: nasty, name: nasty})
    validate(xml)
    assert.ok(!/[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(xml), 'no forbidden control character in the output')
    assert.ok(!xml.includes(']]>'), 'no CDATA end marker in text')
    assert.ok(xml.includes('🦀'), 'non-BMP characters kept as they are')
    assert.equal(xpath(xml, 'string(//testcase[starts-with(@name, "check ")]/failure/@message)'), expected, 'tabs, newlines and CR survive in the attribute')
    assert.equal(xpath(xml, 'string(//testcase[starts-with(@name, "check ")]/failure)'), `check ${expected}\n${expected}`)
    assert.equal(xpath(xml, 'string(//testsuite/@hostname)'), expected)
    assert.equal(xpath(xml, 'string(//property[@name="target"]/@value)'), `${expected}:8081`)
    assert.equal(xpath(xml, 'string(//system-out)'), `${expected}\n]]>`)
    assert.equal(num(xml, 'count(//testcase)'), 4 + 6)
    assert.equal(xpath(drillJunit(rep, {hostname: ' \t'}), 'string(//testsuite/@hostname)'), 'localhost', 'the schema wants a non-empty hostname')
  })

  it('fails wherever the exit code does, and only there', () => {
    const reps = [report([round()]), report([round()], {maxRecoveryMs: 1}), report([round({reached: 1, timedOut: true})]), report([round()], {interrupted: true, wanted: 2})]
    for (const rep of reps) {
      const xml = drillJunit(rep)
      assert.equal(num(xml, 'count(//failure|//error)') > 0, rep.exit !== 0, `exit ${rep.exit}`)
    }
  })
})
