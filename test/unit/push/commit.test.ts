/**
 * The commit step of config push (staging, journal, renames, recovery) on real directories
 * through LocalHost. Interruptions are real: the host-side sh is SIGKILLed at a chosen point
 * (a `kill -9 $$` spliced into the script), which is harsher than anything a dying bastion
 * can do to it (that only closes its stdout).
 */
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {pushConf, type LocalFile} from '../../../src/lib/cluster/push.ts'
import type {ExecOptions, ExecResult} from '../../../src/lib/remote/host.ts'
import {LocalHost} from '../../../src/lib/remote/local.ts'

const root = mkdtempSync(join(tmpdir(), 'flinkctl-commit-'))
after(() => rmSync(root, {recursive: true, force: true}))
let seq = 0
const fresh = (): string => {
  const d = join(root, `host-${seq++}`)
  mkdirSync(d, {recursive: true})
  return d
}

const file = (name: string, text: string, mode = 0o644): LocalFile => ({name, content: Buffer.from(text), sha256: createHash('sha256').update(text).digest('hex'), mode})
const OLD = [file('config.yaml', 'a: 1\n'), file('workers', 'w1\n'), file('gone.properties', 'x=1\n'), file('same', 'same\n')]
const NEW = [file('config.yaml', 'a: 2\n'), file('workers', 'w1\nw2\n'), file('added.properties', 'y=2\n'), file('same', 'same\n')]

/** name -> content of the conf dir's top level (regular files), and its other entries. */
function read(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const n of readdirSync(dir).sort()) if (n !== '.flinkctl') out[n] = readFileSync(join(dir, n), 'utf8')
  return out
}
const asSet = (files: readonly LocalFile[]) => Object.fromEntries(files.map((f) => [f.name, f.content.toString()]).sort(([a], [b]) => a!.localeCompare(b!)))

/** Kills its own sh with SIGKILL right after the commit script (or with `all`, any script) reaches `marker`. */
class DyingHost extends LocalHost {
  readonly marker: string
  readonly all: boolean
  constructor(marker: string, all = false) {
    super('w1')
    this.marker = marker
    this.all = all
  }
  override sh(script: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.all ? script.includes(this.marker) : script.includes('journal.new')) {
      assert.ok(script.includes(this.marker), `marker ${this.marker} not in the commit script`)
      script = script.replace(this.marker, () => `${this.marker}; kill -9 $$`)
    }
    return super.sh(script, args, opts)
  }
}

describe('config push commit step', () => {
  const host = new LocalHost('w1')

  it('removes the files an earlier push wrote that the bastion no longer has (kept in prev/), never others', async () => {
    const dir = fresh()
    await pushConf(host, dir, OLD)
    writeFileSync(join(dir, 'operator-notes'), 'mine\n')
    const r = await pushConf(host, dir, NEW)
    assert.deepEqual(r.removed, ['gone.properties'])
    assert.deepEqual(r.created, ['added.properties'])
    assert.deepEqual(r.updated, ['config.yaml', 'workers'])
    assert.deepEqual(read(dir), {...asSet(NEW), 'operator-notes': 'mine\n'})
    assert.equal(readFileSync(join(dir, '.flinkctl/prev/gone.properties'), 'utf8'), 'x=1\n')
    assert.equal(readFileSync(join(dir, '.flinkctl/prev/config.yaml'), 'utf8'), 'a: 1\n')
    assert.deepEqual(readdirSync(join(dir, '.flinkctl')).sort(), ['manifest', 'prev'])
  })

  it('a commit SIGKILLed between two renames leaves a journal; the next push completes that set first', async () => {
    const dir = fresh()
    await pushConf(host, dir, OLD)
    // the first rename of the loop done, then the host-side sh dies
    await assert.rejects(pushConf(new DyingHost('mv -f -- "$fc_js/$2" "$fc_t" || return 1'), dir, NEW))
    const mixed = read(dir)
    assert.notDeepEqual(mixed, asSet(OLD), 'the kill really landed inside the rename loop')
    assert.notDeepEqual(mixed, asSet(NEW))
    assert.ok(readdirSync(join(dir, '.flinkctl')).includes('journal'))
    // the next push (any bastion content) first replays the journal, then plans from the completed set
    const r = await pushConf(host, dir, NEW)
    assert.deepEqual([r.created, r.updated, r.removed], [[], [], []], 'the replay already made the new set')
    assert.deepEqual(read(dir), asSet(NEW))
    assert.deepEqual(readdirSync(join(dir, '.flinkctl')).sort(), ['manifest', 'prev'])
    assert.equal(readFileSync(join(dir, '.flinkctl/prev/config.yaml'), 'utf8'), 'a: 1\n', 'the replaced version is kept once, not overwritten by the replay')
  })

  it('a commit SIGKILLed before its journal exists changes nothing; its staging dir is removed by the next push', async () => {
    const dir = fresh()
    await pushConf(host, dir, OLD)
    await assert.rejects(pushConf(new DyingHost('rm -f -- "$bundle"'), dir, NEW))
    assert.deepEqual(read(dir), asSet(OLD))
    assert.ok(readdirSync(join(dir, '.flinkctl')).some((n) => n.startsWith('stage.')), 'staged files stay in .flinkctl, outside the conf dir')
    await pushConf(host, dir, NEW)
    assert.deepEqual(read(dir), asSet(NEW))
    assert.deepEqual(readdirSync(join(dir, '.flinkctl')).sort(), ['manifest', 'prev'])
  })

  it('a replay killed again, and again, still converges (every step can run twice)', async () => {
    const dir = fresh()
    await pushConf(host, dir, OLD)
    await assert.rejects(pushConf(new DyingHost('mv -f -- "$fc_js/$2" "$fc_t" || return 1'), dir, NEW))
    // the next push's recovery (in its inspection) dies too, after one more rename
    await assert.rejects(pushConf(new DyingHost('mv -f -- "$fc_js/$2" "$fc_t" || return 1', true), dir, [...NEW, file('later', 'l\n')]))
    assert.ok(readdirSync(join(dir, '.flinkctl')).includes('journal'))
    await pushConf(host, dir, NEW)
    assert.deepEqual(read(dir), asSet(NEW))
  })

  it('refuses to commit over a file another push changed since the inspection', async () => {
    const dir = fresh()
    await pushConf(host, dir, OLD)
    class Racing extends LocalHost {
      override async sh(script: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
        if (script.includes('journal.new')) writeFileSync(join(dir, 'same'), 'changed meanwhile\n')
        return super.sh(script, args, opts)
      }
    }
    await assert.rejects(pushConf(new Racing('w1'), dir, NEW), /same changed on the host since it was inspected.*nothing was changed|nothing was changed.*same changed/s)
    assert.deepEqual(read(dir), {...asSet(OLD), same: 'changed meanwhile\n'})
  })
})
