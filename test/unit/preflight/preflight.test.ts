// preflight() end to end on this machine: a local cluster (localhost runs without SSH).
import assert from 'node:assert/strict'
import {chmodSync, existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {openSession} from '../../../src/lib/cluster/session.ts'
import {loadCluster} from '../../../src/lib/conf/load.ts'
import {ExitCode} from '../../../src/lib/errors.ts'
import {renderPreflight} from '../../../src/lib/output/preflight.ts'
import {preflight, PreflightFailed, startClusterChecked} from '../../../src/lib/preflight/index.ts'
import {Chalk} from 'chalk'
import {writeTree} from '../../helpers/fixtures.ts'

function cluster(restPort: number, javaHome?: string) {
  const home = writeTree({'lib/flink-dist-2.3.0.jar': 'dist', 'lib/log4j-core.jar': 'log4j', 'conf/config.yaml': `rest.port: ${restPort}\nenv.log.dir: /var/tmp/flinkctl-preflight-test/log\n`, 'conf/workers': 'localhost\n'})
  const env: Record<string, string | undefined> = {...process.env, JAVA_HOME: javaHome}
  if (!javaHome) delete env.JAVA_HOME
  return openSession(loadCluster({confDir: join(home, 'conf'), flinkHome: home, flinkVersion: '2.3.0', env}))
}

describe('preflight on localhost', () => {
  it('a clean local cluster passes every check (warnings allowed), nothing is created', async () => {
    const s = cluster(18081)
    try {
      const r = await preflight(s)
      assert.equal(r.hosts.length, 1)
      const h = r.hosts[0]!
      assert.deepEqual(h.roles, ['jobmanager', 'taskmanager'])
      for (const c of ['ssh', 'java', 'lib', 'ports', 'clock', 'names', 'disk', 'open-files']) assert.ok(h.checks.some((x) => x.check === c), `check ${c}`)
      assert.equal(r.errors, 0, JSON.stringify(h.checks))
      assert.equal(r.exit, ExitCode.Ok)
      assert.equal(r.libFiles, 2)
      assert.ok(Math.abs(h.clockOffsetMs!) < 1000)
      assert.ok(!existsSync('/var/tmp/flinkctl-preflight-test'), 'the log dir is checked, not made')
      assert.match(renderPreflight(r, new Chalk({level: 0})), /preflight: 1 hosts, Flink 2\.3\.0 .* no errors/)
    } finally {
      await s.pool.close()
    }
  })

  it('a wrong Java and a taken REST port are errors naming what and who; start-cluster --preflight starts nothing', async () => {
    const jdk = writeTree({})
    mkdirSync(join(jdk, 'bin'))
    writeFileSync(join(jdk, 'bin', 'java'), '#!/bin/sh\necho \'java version "1.8.0_392"\' >&2\n')
    chmodSync(join(jdk, 'bin', 'java'), 0o755)
    const server = createServer()
    await new Promise<void>((r) => server.listen(0, r))
    const port = (server.address() as {port: number}).port
    const s = cluster(port, jdk)
    try {
      const r = await preflight(s)
      const h = r.hosts[0]!
      assert.equal(r.exit, ExitCode.Failed, 'every host failed')
      const java = h.checks.find((c) => c.check === 'java')!
      assert.equal(java.level, 'error')
      assert.match(java.detail, /Java 1\.8\.0_392 is not supported by Flink 2\.3/)
      const ports = h.checks.find((c) => c.check === 'ports' && c.level === 'error')!
      assert.match(ports.detail, new RegExp(`${port} \\(rest\\.port, JobManager\\): taken \\(${port} by .*pid ${process.pid}\\b`))
      let failed: unknown
      await startClusterChecked(s, {preflight: true, push: true, wait: false, timeoutMs: 1000}).catch((e) => (failed = e))
      assert.ok(failed instanceof PreflightFailed, String(failed))
      assert.equal(failed.exit, ExitCode.Failed)
      assert.match(failed.message, /nothing was started/)
    } finally {
      server.close()
      await s.pool.close()
    }
  })
})
