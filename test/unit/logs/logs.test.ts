/** Flink log files through LocalHost: listing, tails, and following files while they grow. */
import assert from 'node:assert/strict'
import {execFileSync, spawn} from 'node:child_process'
import {appendFileSync, chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {followLogs, listLogs, LogLineSplitter, logFileAt, parseLogName, redactLogLine, tailLogs, type LogFile} from '../../../src/lib/cluster/logs.ts'
import {REDACTED} from '../../../src/lib/conf/keys.ts'
import type {ExecOptions, ExecResult, Host} from '../../../src/lib/remote/host.ts'
import {LocalHost} from '../../../src/lib/remote/local.ts'

const root = mkdtempSync(join(tmpdir(), 'flinkctl-logs-'))
after(() => rmSync(root, {recursive: true, force: true}))
let seq = 0
const fresh = (label: string): string => {
  const d = join(root, `${label}-${seq++}`)
  mkdirSync(d, {recursive: true})
  return d
}
const me = execFileSync('uname', ['-n'], {encoding: 'utf8'}).trim()
const host = new LocalHost('w1')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function waitFor(what: string, cond: () => boolean, ms = 8000): Promise<void> {
  const until = Date.now() + ms
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await sleep(25)
  }
}
/** Processes whose command line mentions the dir (tail, sh): none may outlive a follow. */
const procsUsing = (dir: string): string => {
  try {
    return execFileSync('pgrep', ['-af', dir], {encoding: 'utf8'}).trim()
  } catch {
    return '' // pgrep exits 1 when nothing matches
  }
}

describe('parseLogName', () => {
  it('splits Flink names, with hyphens in ident and hostname', () => {
    assert.deepEqual(parseLogName('flink-alice-taskexecutor-1-ip-10-0-0-1.ec2.internal.log'),
      {ident: 'alice', daemon: 'taskexecutor', index: 1, fileHost: 'ip-10-0-0-1.ec2.internal', kind: 'log'})
    assert.deepEqual(parseLogName('flink-svc-flink-standalonesession-0-jm-1.log.3'),
      {ident: 'svc-flink', daemon: 'standalonesession', index: 0, fileHost: 'jm-1', kind: 'log', rotation: 3})
    assert.equal(parseLogName('flink-alice-zookeeper-2-zk1.out')!.kind, 'out')
    assert.equal(parseLogName('flink-alice-client-h1.log'), undefined)
    assert.equal(parseLogName('flink-alice-taskexecutor-x-h1.log'), undefined)
    assert.equal(parseLogName('flink-alice-taskexecutor-0-h1.txt'), undefined)
  })
})

describe('listLogs', () => {
  const dir = fresh('log')
  const mk = (name: string, content = 'x\n') => {
    writeFileSync(join(dir, name), content)
    utimesSync(join(dir, name), 1_700_000_000, 1_700_000_000)
  }
  mk(`flink-alice-standalonesession-0-${me}.log`, 'hello\n')
  mk(`flink-alice-standalonesession-0-${me}.out`, '')
  mk(`flink-alice-standalonesession-0-${me}.log.1`)
  mk(`flink-alice-standalonesession-0-${me}.log.2`)
  mk(`flink-alice-taskexecutor-1-${me}.log`)
  mk(`flink-alice-taskexecutor-0-${me}.log`)
  mk(`flink-alice-taskexecutor-0-${me}.out`)
  mk('flink-alice-taskexecutor-0-ip-10-0-0-9.log')
  mk(`flink-bob-taskexecutor-0-${me}.log`)
  mk(`flink-alice-client-${me}.log`)
  mk('notes.txt')
  mkdirSync(join(dir, `flink-alice-zookeeper-0-${me}.log`))

  it('finds the daemon logs with size and mtime, sorted, in one round trip', async () => {
    const files = await listLogs(host, {logDir: dir, ident: 'alice'})
    assert.deepEqual(files.map((f) => f.name), [
      `flink-alice-standalonesession-0-${me}.log`, `flink-alice-standalonesession-0-${me}.out`,
      'flink-alice-taskexecutor-0-ip-10-0-0-9.log', `flink-alice-taskexecutor-0-${me}.log`, `flink-alice-taskexecutor-0-${me}.out`,
      `flink-alice-taskexecutor-1-${me}.log`,
    ])
    const jm = files[0]!
    assert.deepEqual(jm, {
      host: 'w1', path: `${dir}/${jm.name}`, name: jm.name, ident: 'alice', daemon: 'standalonesession', index: 0, fileHost: me,
      kind: 'log', thisHost: true, size: 6, mtimeMs: 1_700_000_000_000,
    })
    assert.equal(files.find((f) => f.fileHost === 'ip-10-0-0-9')!.thisHost, false)
  })

  it('filters by daemon, includes rotated copies on request, and all idents without ident', async () => {
    const tms = await listLogs(host, {logDir: dir, ident: 'alice', daemons: ['taskexecutor']})
    assert.ok(tms.length === 4 && tms.every((f) => f.daemon === 'taskexecutor'))
    const rotated = await listLogs(host, {logDir: `${dir}/`, ident: 'alice', daemons: ['standalonesession'], rotated: true})
    assert.deepEqual(rotated.map((f) => [f.kind, f.rotation]), [['log', undefined], ['log', 1], ['log', 2], ['out', undefined]])
    const all = await listLogs(host, {logDir: dir})
    assert.deepEqual(new Set(all.map((f) => f.ident)), new Set(['alice', 'bob']))
  })

  it('treats a missing log dir as no logs', async () => {
    assert.deepEqual(await listLogs(host, {logDir: join(root, 'none')}), [])
  })

  it('does not expand glob characters in the ident', async () => {
    assert.deepEqual(await listLogs(host, {logDir: dir, ident: '*'}), [])
  })
})

describe('tailLogs', () => {
  it('returns the last lines of each file in one round trip, redacted, with per-file errors', async () => {
    const dir = fresh('log')
    const a = join(dir, 'flink-u-taskexecutor-0-h.log')
    const b = join(dir, 'flink-u-taskexecutor-0-h.out')
    const c = join(dir, 'empty.log')
    writeFileSync(a, Array.from({length: 10}, (_, i) => `line ${i + 1}`).join('\n') + '\nLoading configuration property: s3.secret-key, sup3r\n')
    writeFileSync(b, 'no newline at end')
    writeFileSync(c, '')
    let calls = 0
    const counting: Host = {name: 'w1', local: true, user: 'root', run: (x, o) => host.run(x, o), close: async () => {},
      sh: (s, x, o) => { calls++; return host.sh(s, x, o) }}
    const out = await tailLogs(counting, [a, b, c, join(dir, 'missing.log')], {lines: 3})
    assert.equal(calls, 1)
    assert.deepEqual(out.map((t) => t.lines), [['line 9', 'line 10', `Loading configuration property: s3.secret-key, ${REDACTED}`], ['no newline at end'], [], []])
    assert.equal(out[0]!.file.daemon, 'taskexecutor')
    assert.equal(out[1]!.file.kind, 'out')
    assert.equal(out[2]!.error, undefined)
    assert.match(out[3]!.error!, /cannot read/)
    const raw = await tailLogs(host, [a], {lines: 1, redact: false})
    assert.deepEqual(raw[0]!.lines, ['Loading configuration property: s3.secret-key, sup3r'])
  })
})

describe('redactLogLine', () => {
  it('hides secret values Flink itself does not', () => {
    assert.equal(redactLogLine('INFO  GlobalConfiguration - Loading configuration property: fs.s3a.access.key, AKIA'), `INFO  GlobalConfiguration - Loading configuration property: fs.s3a.access.key, ${REDACTED}`)
    assert.equal(redactLogLine('Loading configuration property: taskmanager.numberOfTaskSlots, 4'), 'Loading configuration property: taskmanager.numberOfTaskSlots, 4')
    assert.equal(redactLogLine('    -Djavax.net.ssl.trustStorePassword=changeit'), `    -Djavax.net.ssl.trustStorePassword=${REDACTED}`)
  })
})

describe('LogLineSplitter', () => {
  const files = [logFileAt('w1', '/l/a.log'), logFileAt('w1', '/l/b.log')]
  const run = (chunks: string[], fs: LogFile[] = files): string[] => {
    const out: string[] = []
    const s = new LogLineSplitter(fs, (f, l) => out.push(`${f.name}|${l}`))
    for (const c of chunks) s.push(c)
    s.end()
    return out
  }
  it('joins lines split across chunks at any point, with tail headers removed', () => {
    const stream = '==> /l/a.log <==\na1\n\na2\r\n\n==> /l/b.log <==\nb1\n\n\n==> /l/a.log <==\na3\npart'
    const expected = ['a.log|a1', 'a.log|', 'a.log|a2', 'b.log|b1', 'b.log|', 'a.log|a3', 'a.log|part']
    assert.deepEqual(run([stream]), expected)
    for (let cut = 1; cut < stream.length; cut++) assert.deepEqual(run([stream.slice(0, cut), stream.slice(cut)]), expected, `cut at ${cut}`)
    assert.deepEqual(run([...stream]), expected)
  })
  it('does not treat header-looking lines as headers with a single file', () => {
    assert.deepEqual(run(['==> /l/a.log <==\nx\n'], [files[0]!]), ['a.log|==> /l/a.log <==', 'a.log|x'])
  })
})

describe('followLogs', () => {
  it('streams history and appended lines per file, and abort ends the remote tail', async () => {
    const dir = fresh('follow')
    const a = join(dir, 'flink-u-standalonesession-0-h.log')
    const b = join(dir, 'flink-u-taskexecutor-0-h.log')
    writeFileSync(a, 'old1\nold2\nold3\n\n')
    writeFileSync(b, 'tm1\ntm2\n')
    const got: string[] = []
    const ac = new AbortController()
    const p = followLogs(host, [logFileAt(host, a), logFileAt(host, b)], {
      lines: 2, signal: ac.signal, onLine: (h, f, line) => got.push(`${h}|${f.daemon}|${line}`),
    })
    await waitFor('history', () => got.length >= 4)
    assert.deepEqual(got, ['w1|standalonesession|old3', 'w1|standalonesession|', 'w1|taskexecutor|tm1', 'w1|taskexecutor|tm2'])
    appendFileSync(a, 'new-a1\n')
    await waitFor('new-a1', () => got.includes('w1|standalonesession|new-a1'))
    appendFileSync(b, 'new-b1\npassword=hunter2\n')
    await waitFor('new-b1', () => got.length >= 7)
    appendFileSync(a, 'half-')
    await sleep(400)
    appendFileSync(a, 'and-half\n')
    await waitFor('joined line', () => got.some((l) => l.includes('and-half')))
    ac.abort()
    const r = await p
    assert.equal(r.aborted, true)
    assert.deepEqual(got.slice(4), [
      'w1|standalonesession|new-a1', 'w1|taskexecutor|new-b1', `w1|taskexecutor|password=${REDACTED}`, 'w1|standalonesession|half-and-half',
    ])
    assert.equal(procsUsing(dir), '', 'no tail left running')
  })

  it('falls back to tail -f where -F is refused', async () => {
    const dir = fresh('follow')
    const bin = fresh('bin')
    writeFileSync(join(bin, 'tail'), '#!/bin/sh\nfor a in "$@"; do [ "$a" = -F ] && { echo "tail: illegal option -- F" >&2; exit 2; }; done\nexec /usr/bin/tail "$@"\n')
    chmodSync(join(bin, 'tail'), 0o755)
    for (const t of ['sh', 'kill', 'sleep', 'printf']) try { symlinkSync(execFileSync('sh', ['-c', `command -v ${t}`], {encoding: 'utf8'}).trim(), join(bin, t)) } catch {}
    const shimmed: Host = {name: 'w1', local: true, user: 'root', run: (x, o) => host.run(x, o), close: async () => {},
      sh: (s, x, o) => host.sh(`PATH=${bin}:$PATH; export PATH\n${s}`, x, o)}
    const f = join(dir, 'x.log')
    writeFileSync(f, 'one\n')
    const got: string[] = []
    const notices: string[] = []
    const ac = new AbortController()
    const p = followLogs(shimmed, [f], {lines: 5, signal: ac.signal, onLine: (_h, _f, l) => got.push(l), onNotice: (_h, m) => notices.push(m)})
    await waitFor('history', () => got.length === 1)
    appendFileSync(f, 'two\n')
    await waitFor('two', () => got.length === 2)
    ac.abort()
    await p
    assert.deepEqual(got, ['one', 'two'])
    assert.ok(notices.some((n) => n.includes('illegal option')), 'the refusal was reported as a notice')
    assert.equal(procsUsing(dir), '')
  })

  it('stops the remote tail when the reader goes away without a signal (an SSH channel closing)', async () => {
    const dir = fresh('follow')
    const f = join(dir, 'quiet.log')
    writeFileSync(f, 'only line\n')
    // Runs the script like an sshd would: when the channel closes the pipes close, nobody is killed.
    const closing: Host = {
      name: 'w1', local: false, user: 'root', run: (x, o) => host.run(x, o), close: async () => {},
      sh: (script, args = [], opts: ExecOptions = {}) => new Promise<ExecResult>((resolve) => {
        const child = spawn('/bin/sh', ['-c', script, 'sh', ...args], {stdio: ['ignore', 'pipe', 'pipe']})
        child.stdout.setEncoding('utf8').on('data', (c: string) => opts.onStdout?.(c))
        child.stderr.setEncoding('utf8').on('data', (c: string) => opts.onStderr?.(c))
        opts.signal?.addEventListener('abort', () => {
          child.stdout.destroy()
          child.stderr.destroy()
          resolve({code: null, stdout: '', stderr: '', durationMs: 0, timedOut: false})
        }, {once: true})
      }),
    }
    const got: string[] = []
    const ac = new AbortController()
    const p = followLogs(closing, [f], {lines: 1, signal: ac.signal, onLine: (_h, _f, l) => got.push(l)})
    await waitFor('history', () => got.length === 1)
    assert.notEqual(procsUsing(dir), '', 'tail runs while followed')
    ac.abort()
    assert.equal((await p).aborted, true)
    await waitFor('the heartbeat to notice', () => procsUsing(dir) === '', 8000)
  })

  it('returns at once for an already aborted signal', async () => {
    const r = await followLogs(host, ['/nonexistent.log'], {lines: 1, signal: AbortSignal.abort(), onLine: () => assert.fail('no lines')})
    assert.deepEqual(r, {host: 'w1', aborted: true, code: null})
  })
})
