// The completion script flinkctl prints, run by a real bash: its function is called as bash's
// programmable completion calls it (COMP_WORDS, COMP_CWORD; $1 command, $2 word, $3 previous).
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {FLINKCTL_BIN} from '../../helpers/flinkctl.ts'
import {writeTree} from '../../helpers/fixtures.ts'

const script = execFileSync(process.execPath, [FLINKCTL_BIN, 'autocomplete', 'bash'], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
const file = join(writeTree({}), 'flinkctl.bash')
writeFileSync(file, script)

/** What TAB offers for COMP_WORDS[at] of flinkctl ...words (default: the last word). */
export function complete(words: string[], env: Record<string, string> = {}, cwd?: string, at = words.length): string[] {
  const out = execFileSync('bash', ['-c', `source "$0"; COMP_WORDS=("$@"); COMP_CWORD=${at}; _flinkctl_complete flinkctl "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"; printf '%s\\n' "\${COMPREPLY[@]}"`, file, 'flinkctl', ...words], {encoding: 'utf8', env: {PATH: process.env.PATH!, HOME: process.env.HOME!, ...env}, cwd})
  return out.split('\n').filter(Boolean).sort()
}

describe('bash completion', () => {
  it('registers itself and parses', () => {
    assert.match(script, /^complete -o default -F _flinkctl_complete flinkctl$/m)
    execFileSync('bash', ['-n', file])
  })

  it('commands, topics and their subcommands', () => {
    assert.deepEqual(complete(['st']), ['start-cluster', 'start-zookeeper-quorum', 'status', 'stop-cluster', 'stop-zookeeper-quorum'])
    assert.ok(complete(['']).includes('preflight'))
    assert.deepEqual(complete(['config', '']), ['diff', 'push'])
    assert.deepEqual(complete(['job', 's']), ['submit'])
  })

  it("flags of the command on the line, and the values of flags that list them", () => {
    assert.deepEqual(complete(['drill', '--ta']), ['--target'])
    assert.ok(complete(['config', 'push', '--']).includes('--dry-run'))
    assert.ok(!complete(['config', 'diff', '--']).includes('--dry-run'), 'push has it, diff does not')
    const targets = complete(['drill', '--target', ''])
    for (const t of ['leader', 'standby', 'taskmanager', 'zk-peer', 'zk-leader', 'zk-quorum']) assert.ok(targets.includes(t), `${t} in ${targets.join(' ')}`)
    assert.deepEqual(complete(['drill', '--json', '--target', 'zk-l']), ['zk-leader'])
  })

  it('--host offers the hosts of the conf dir the line names, else FLINK_CONF_DIR; hostile lines are never offered nor run', () => {
    const dir = writeTree({
      masters: 'jm1:8081\njm2:8082  # standby\n',
      workers: `tm1\ntm1\n# a comment\n$(touch CANARY)\n\`touch CANARY\`\ntm2;touch CANARY\n`,
      'zoo.cfg': 'tickTime=2000\nserver.1=zk1:2888:3888\nserver.2 = zk2:2888:3888;2181\n',
    })
    const canary = join(dir, 'CANARY')
    assert.deepEqual(complete(['logs', '--conf-dir', dir, '--host', ''], {}, dir), ['jm1', 'jm2', 'tm1', 'zk1', 'zk2'])
    assert.deepEqual(complete(['logs', `--conf-dir=${dir}`, '--host', 'j'], {}, dir), ['jm1', 'jm2'])
    assert.deepEqual(complete(['config', 'push', '--host', 'z'], {FLINK_CONF_DIR: dir}, dir), ['zk1', 'zk2'])
    assert.deepEqual(complete(['drill', '--host', 't', '-c', dir], {}, dir, 3), ['tm1'], 'the cursor before the conf dir')
    assert.ok(!existsSync(canary), 'a workers line ran')
    assert.ok(!existsSync(join(process.cwd(), 'CANARY')))
  })

  it('--flag=value as bash splits it (COMP_WORDBREAKS has =), and the conf dir of --flink-home', () => {
    assert.deepEqual(complete(['drill', '--target', '=', 'zk-l']), ['zk-leader'])
    assert.ok(complete(['drill', '--target', '=']).includes('leader'), 'right after the =')
    const home = writeTree({'conf/workers': 'w1\nw2\n'})
    assert.deepEqual(complete(['logs', '--conf-dir', '=', join(home, 'conf'), '--host', '']), ['w1', 'w2'])
    assert.deepEqual(complete(['logs', '--flink-home', home, '--host', 'w'], {}, home), ['w1', 'w2'])
  })

  it('--conf-dir completes directories', () => {
    const dir = writeTree({'conf-a/workers': 'h1\n', 'conf-b/masters': 'h2\n', 'file.txt': 'x'})
    assert.deepEqual(complete(['status', '--conf-dir', 'conf-'], {}, dir), ['conf-a', 'conf-b'])
  })
})
