// The zsh completion script under a real zsh (installed by test/ground/prepare.sh): compinit and
// bashcompinit load, and the function answers as under bash, although zsh numbers arrays from 1.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {FLINKCTL_BIN} from '../helpers/flinkctl.ts'
import {writeTree} from '../helpers/fixtures.ts'

const zsh = ['/usr/bin/zsh', '/bin/zsh'].find((p) => existsSync(p))

describe('zsh completion', {skip: zsh ? false : 'no zsh (test/ground/prepare.sh installs it)'}, () => {
  const script = execFileSync(process.execPath, [FLINKCTL_BIN, 'autocomplete', 'zsh'], {encoding: 'utf8'})
  const home = writeTree({})
  const file = join(home, '_flinkctl')
  writeFileSync(file, script)
  const complete = (words: string[], env: Record<string, string> = {}): string[] => {
    // COMP_CWORD counts from 0 (flinkctl) as bashcompinit sets it; $2/$3 the current and previous word
    const out = execFileSync(zsh!, ['-f', '-c', `source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _flinkctl_complete flinkctl "\${@[-1]}" "\${@[-2]}"; print -rl -- $COMPREPLY`, file, 'flinkctl', ...words], {encoding: 'utf8', env: {PATH: process.env.PATH!, HOME: home, ...env}})
    return out.split('\n').filter(Boolean).sort()
  }

  it('loads through compinit and bashcompinit, and registers', () => {
    assert.match(script, /^#compdef flinkctl$/m)
    assert.match(script, /bashcompinit/)
    const r = execFileSync(zsh!, ['-f', '-c', `source "$0"; print -r -- \${_comps[flinkctl]}`, file], {encoding: 'utf8', env: {PATH: process.env.PATH!, HOME: home}})
    assert.match(r, /_bash_complete/)
  })

  it('commands, subcommands, flags and flag values', () => {
    assert.deepEqual(complete(['config', '']), ['diff', 'push'])
    assert.deepEqual(complete(['pre']), ['preflight'])
    assert.deepEqual(complete(['drill', '--target', 'zk-l']), ['zk-leader'])
    assert.ok(complete(['drill', '--']).includes('--verify'))
  })

  it('--host from the conf dir on the line; hostile lines neither offered nor run', () => {
    const dir = writeTree({workers: 'tm1\n$(touch CANARY)\n`touch CANARY`\n', masters: 'jm1:8081\n', 'zoo.cfg': 'server.1=zk1:2888:3888\n'})
    assert.deepEqual(complete(['logs', '--conf-dir', dir, '--host', '']), ['jm1', 'tm1', 'zk1'])
    assert.ok(!existsSync(join(dir, 'CANARY')) && !existsSync(join(home, 'CANARY')))
  })
})
