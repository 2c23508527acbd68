// preflight on the SSH test ground, per Flink home: 4 hosts (JobManagers h1, h2; TaskManagers
// h3, h4; peers h1-h3). Clean, then with a fault planted per host the way hosts really differ: a
// port taken on h1, a wrong Java and a different jar on h2, a clock 30 s ahead (a faked `date`)
// and a name resolving elsewhere on h3, h4 untouched; start-cluster --preflight refuses and
// touches nothing; once the faults are gone it starts, and preflight passes on the running cluster.
import assert from 'node:assert/strict'
import {chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {explain, flinkctl} from '../helpers/flinkctl.ts'
import {assertHomeBuilt, groundFlinkHomes} from '../helpers/ground-flink.ts'
import {skipUnlessRoot} from '../helpers/ground-hosts.ts'
import {haClusterGround, type HaCluster} from '../helpers/ha-cluster.ts'

/** A Flink home whose lib/ is symlinks to the real one's jars: a per-host copy costs nothing. */
function linkedHome(real: string, at: string): string {
  rmSync(at, {recursive: true, force: true})
  mkdirSync(join(at, 'lib'), {recursive: true})
  for (const e of readdirSync(real)) if (e !== 'lib' && e !== 'log') symlinkSync(join(real, e), join(at, e))
  mkdirSync(join(at, 'log'))
  for (const j of readdirSync(join(real, 'lib'))) symlinkSync(join(real, 'lib', j), join(at, 'lib', j))
  return at
}

const script = (path: string, text: string) => {
  writeFileSync(path, text)
  chmodSync(path, 0o755)
}

for (const {version, home: realHome} of groundFlinkHomes()) {
  const major = Number(version.split('.')[0])
  const base = `/var/tmp/flinkctl-e2e/preflight-${version}`
  const home = `/var/tmp/flinkctl-e2e/preflight-home-${version}`
  // a JDK this Flink line does not run on
  const wrongJava = major >= 2 ? '1.8.0_392' : '22.0.1'

  describe(`preflight on the SSH ground, Flink ${version}`, {skip: skipUnlessRoot(), timeout: 600_000}, () => {
    let g: HaCluster | undefined
    let failed = false
    const cli = (...args: string[]) => flinkctl([...args, '--conf-dir', g!.confDir, '--flink-home', home], {env: {JAVA_HOME: undefined}})
    const fs = (host: string, path: string) => join(g!.ground.stateDir, host, `fs${path}`)
    const hosts = (result: any) => new Map<string, any>(result.hosts.map((h: any) => [h.host, h]))
    const errorsOf = (h: any) => h.checks.filter((c: any) => c.level === 'error')

    before(async () => {
      assertHomeBuilt({version, home: realHome})
      linkedHome(realHome, home)
      g = await haClusterGround(base, home, {private: [`${home}/lib`], privateEmpty: ['/usr/local/bin']})
    })

    after(async () => {
      if (!g) return
      if (failed) await g.ground.keepLogs(join(base, 'failed-logs'))
      await cli('stop-cluster').catch(() => {})
      await cli('stop-zookeeper-quorum').catch(() => {})
      if (!process.env.FLINKCTL_GROUND_KEEP_UP) await g.ground.down()
      rmSync(home, {recursive: true, force: true})
    })

    it('clean hosts pass every check, each host with the ports of its own daemons', async (t) => {
      t.after(() => void (failed ||= !t.passed))
      const r = await cli('preflight', '--json')
      assert.equal(r.code, 0, explain(['preflight'], r))
      const by = hosts(r.json!.result)
      assert.deepEqual([...by.keys()].sort(), ['h1', 'h2', 'h3', 'h4'])
      assert.deepEqual(by.get('h1').roles, ['jobmanager', 'zookeeper'])
      assert.deepEqual(by.get('h3').roles, ['taskmanager', 'zookeeper'])
      for (const h of by.values()) {
        assert.deepEqual(errorsOf(h), [], h.host)
        for (const c of ['ssh', 'java', 'lib', 'ports', 'clock', 'names', 'disk', 'open-files']) assert.ok(h.checks.some((x: any) => x.check === c), `${h.host}: ${c}`)
        assert.ok(Math.abs(h.clockOffsetMs) < 500, `${h.host} clock ${h.clockOffsetMs}`)
      }
      assert.match(by.get('h1').checks.find((c: any) => c.check === 'ports').detail, /8081.*2181.*2888.*3888/)
      assert.doesNotMatch(by.get('h4').checks.find((c: any) => c.check === 'ports').detail, /2181/)
      assert.equal(r.json!.result.libFiles, readdirSync(join(realHome, 'lib')).length)
      const text = await cli('preflight')
      assert.match(text.stdout, /HOST\s+ROLES\s+CHECK\s+RESULT\s+DETAIL/)
      assert.match(text.stdout, /preflight: 4 hosts, Flink .* no errors/)
    })

    it('finds the planted port, Java, jar, clock and name on their hosts only; start-cluster --preflight starts nothing', async (t) => {
      t.after(() => void (failed ||= !t.passed))
      // h1: something else holds the JobManager's web UI port
      const held = await g!.ground.ssh('h1', `nohup python3 -c 'import socket,time; s=socket.socket(); s.bind(("0.0.0.0", 8081)); s.listen(); time.sleep(600)' >/dev/null 2>&1 & echo $!`)
      assert.equal(held.code, 0, held.stderr)
      // h2: a JDK Flink does not run on, first on PATH; a jar of another build
      script(fs('h2', '/usr/local/bin/java'), `#!/bin/sh\necho 'openjdk version "${wrongJava}" 2024-01-16' >&2\n`)
      const jar = readdirSync(join(home, 'lib')).find((j) => j.startsWith('flink-csv') || j.startsWith('flink-json'))!
      const h2jar = join(fs('h2', `${home}/lib`), jar)
      const bytes = readFileSync(h2jar)
      unlinkSync(h2jar)
      writeFileSync(h2jar, Buffer.concat([bytes, Buffer.from('other build')]))
      // h3: a clock 30 s ahead, and h1 resolving to another address there
      script(fs('h3', '/usr/local/bin/date'), '#!/bin/sh\nexec /bin/date -d "@$(( $(/bin/date +%s) + 30 ))" "$@"\n')
      const etcHosts = join(g!.ground.stateDir, 'h3', 'hosts')
      const original = readFileSync(etcHosts, 'utf8')
      // in place: the file is bind-mounted on the host's /etc/hosts
      writeFileSync(etcHosts, original.replace(/^\S+(\s+h1)$/m, '10.213.0.99$1'))
      try {
        const r = await cli('preflight', '--json')
        assert.equal(r.code, 4, explain(['preflight'], r))
        assert.equal(r.json!.error!.code, 'PARTIAL_FAILURE')
        const by = hosts(r.json!.result)
        const errs = (h: string) => errorsOf(by.get(h)).map((c: any) => c.check).sort()
        assert.deepEqual(errs('h1'), ['ports'])
        assert.match(errorsOf(by.get('h1'))[0].detail, /8081 \(masters \(web UI port\), JobManager\): taken \(8081 by python3 \(pid \d+\)\)/)
        assert.deepEqual(errs('h2'), ['java', 'lib'])
        assert.match(errorsOf(by.get('h2')).find((c: any) => c.check === 'java').detail, new RegExp(`Java ${wrongJava.replace(/\./g, '\\.')} is not supported by Flink ${major}\\.`))
        assert.match(errorsOf(by.get('h2')).find((c: any) => c.check === 'lib').detail, new RegExp(`different: ${jar.replace(/\./g, '\\.')}`))
        assert.deepEqual(errs('h3'), ['clock', 'names'])
        assert.match(errorsOf(by.get('h3')).find((c: any) => c.check === 'clock').detail, /^\+(29|30|31)\.\d s from this machine/)
        assert.match(errorsOf(by.get('h3')).find((c: any) => c.check === 'names').detail, /h1 → 10\.213\.0\.99 here, 10\.213\.0\.11 on h1, h2, h4/)
        assert.deepEqual(errs('h4'), [])
        assert.ok(by.get('h3').clockOffsetMs > 25_000)

        const start = await cli('start-cluster', '--preflight', '--json')
        assert.equal(start.code, 4, explain(['start-cluster', '--preflight'], start))
        assert.equal(start.json!.error!.code, 'PREFLIGHT_FAILED')
        assert.match(start.json!.error!.message, /nothing was started/)
        for (const h of ['h1', 'h2', 'h3', 'h4']) {
          const ps = await g!.ground.ssh(h, `pgrep -f '[o]rg.apache.flink.runtime' >/dev/null && echo running; ls -A ${g!.confDir}`)
          assert.equal(ps.stdout.trim(), '', `${h}: no daemon, and the conf was not pushed`)
        }
      } finally {
        await g!.ground.ssh('h1', `kill ${held.stdout.trim()}`)
        rmSync(fs('h2', '/usr/local/bin/java'))
        rmSync(h2jar)
        symlinkSync(join(realHome, 'lib', jar), h2jar)
        rmSync(fs('h3', '/usr/local/bin/date'))
        writeFileSync(etcHosts, original)
      }
    })

    it('with the faults gone, start-cluster --preflight starts the cluster; preflight passes on it running', async (t) => {
      t.after(() => void (failed ||= !t.passed))
      const zk = await cli('start-zookeeper-quorum', '--json')
      assert.equal(zk.code, 0, explain(['start-zookeeper-quorum'], zk))
      const start = await cli('start-cluster', '--preflight', '--json')
      assert.equal(start.code, 0, explain(['start-cluster', '--preflight'], start))
      assert.equal(start.json!.result.ready.ok, true)
      assert.equal(start.json!.result.preflight.errors, 0)
      const r = await cli('preflight', '--json')
      assert.equal(r.code, 0, explain(['preflight'], r))
      const ports = hosts(r.json!.result).get('h1').checks.find((c: any) => c.check === 'ports').detail
      assert.match(ports, /held by the daemon already running: .*8081.*2181/)
    })
  })
}
