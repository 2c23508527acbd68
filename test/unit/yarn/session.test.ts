import assert from 'node:assert/strict'
import {createServer, type Server} from 'node:http'
import {chmodSync, existsSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {loadCluster} from '../../../src/lib/conf/load.ts'
import {rewriteYarnSessionArgv} from '../../../src/lib/output/yarn.ts'
import {
  clientArgs, optionsAsDynamic, parseClientOutput, startYarnSession, resolveSession, ResourceManager, resourceManagerUrl, sessionNameOf, sessionTag, stopYarnSession, type YarnApp,
} from '../../../src/lib/yarn/index.ts'
import {parseHadoopXml} from '../../../src/lib/validate/hadoop-xml.ts'
import {writeTree} from '../../helpers/fixtures.ts'

const conf = (yaml: string) => loadCluster({confDir: join(writeTree({'conf/config.yaml': yaml}), 'conf'), env: {}})

describe('yarn-session pieces', () => {
  it('reads yarn-session.sh\'s two-letter options as the long flags, leaving everything else alone', () => {
    assert.deepEqual(rewriteYarnSessionArgv(['-d', '-jm', '1024m', '-tm=2g', '-nm', 'smoke', '-qu', 'q', '-s', '2', '-id', 'x', '-D', 'a=b', '--', '-jm']),
      ['-d', '--jobManagerMemory', '1024m', '--taskManagerMemory=2g', '--name', 'smoke', '--queue', 'q', '-s', '2', '--applicationId', 'x', '-D', 'a=b', '--', '-jm'])
    assert.deepEqual(rewriteYarnSessionArgv(['-yd']), ['--detached'])
  })

  it('tags a session flinkctl + its name (YARN lower-cases tags), keeps the user\'s tags and refuses a name YARN cannot tag', () => {
    assert.equal(sessionTag('Smoke'), 'flinkctl-session:smoke')
    assert.throws(() => sessionTag('a,b'), /cannot be a YARN tag/)
    assert.throws(() => sessionTag('x'.repeat(90)), /cannot be a YARN tag/)
    assert.throws(() => sessionTag('sm\u00f6ke'), /cannot be a YARN tag/)
    const c = conf('high-availability.type: zookeeper\nhigh-availability.zookeeper.quorum: zk:2181\nyarn.tags: Team-A\n')
    const args = clientArgs(c, {name: 'Smoke', detached: true, jobManagerMemory: '1024m', slots: 2, queue: 'q', dynamic: ['a.b=c', 'yarn.tags=ignored']})
    assert.deepEqual(args, ['-d', '-jm', '1024m', '-s', '2', '-nm', 'Smoke', '-qu', 'q', '-D', 'a.b=c', '-D', 'yarn.tags=team-a,flinkctl,flinkctl-session:smoke'])
    assert.deepEqual(clientArgs(c, {name: 'x', detached: false, dynamic: []}, 'application_1_0001'), ['-id', 'application_1_0001'])
    const withId = conf('high-availability.type: zookeeper\nhigh-availability.zookeeper.quorum: zk:2181\nhigh-availability.cluster-id: /Mine\n')
    assert.match(clientArgs(withId, {name: 's', detached: true, dynamic: []}).at(-1)!, /,flinkctl-ha:\/mine$/)
    assert.equal(sessionNameOf({applicationTags: 'flinkctl,flinkctl-session:smoke'}), 'smoke')
  })

  it('reads the application id and the JobManager address from the client\'s output (Flink 2.3.0, detached)', () => {
    const text = [
      '2026-11-22 02:40:11,123 INFO  org.apache.hadoop.yarn.client.api.impl.YarnClientImpl        [] - Submitted application application_1795315041446_0001',
      "2026-11-22 02:40:19,456 INFO  org.apache.flink.yarn.YarnClusterDescriptor                  [] - Found Web Interface localhost:44259 of application 'application_1795315041446_0001'.",
      'JobManager Web Interface: http://127.0.0.1:44259',
      '2026-11-22 02:40:19,500 INFO  org.apache.flink.yarn.cli.FlinkYarnSessionCli                [] - The Flink YARN session cluster has been started in detached mode. In order to stop Flink gracefully, use the following command:',
      '$ echo "stop" | ./bin/yarn-session.sh -id application_1795315041446_0001',
      'If this should not be possible, then you can also kill Flink via YARN\'s web interface or via:',
      '$ yarn application -kill application_1795315041446_0001',
    ].join('\n')
    assert.deepEqual(parseClientOutput(text), {webInterface: 'http://127.0.0.1:44259', appId: 'application_1795315041446_0001'})
    const failed = parseClientOutput('2026-11-22 INFO x - Submitted application application_1_0002\nERROR org.apache.flink.yarn.cli.FlinkYarnSessionCli - Error while running the Flink session.\n\tat x.y(Z.java:1)')
    assert.equal(failed.appId, 'application_1_0002')
    assert.match(failed.error!, /Error while running the Flink session/)
  })

  it('turns -jm/-tm/-s/-qu into the keys Flink\'s client sets, a bare number being MB', () => {
    assert.deepEqual(optionsAsDynamic({jobManagerMemory: '1024', taskManagerMemory: '2g', slots: 3, queue: 'q'}),
      ['jobmanager.memory.process.size=1024m', 'taskmanager.memory.process.size=2g', 'taskmanager.numberOfTaskSlots=3', 'yarn.application.queue=q'])
  })

  it('finds the ResourceManager web address in yarn-site.xml, ${var} references and defaults included', () => {
    const site = (props: Record<string, string>) => parseHadoopXml(`<configuration>${Object.entries(props).map(([k, v]) => `<property><name>${k}</name><value>${v}</value></property>`).join('')}</configuration>`, 'yarn-site.xml')
    assert.equal(resourceManagerUrl(site({'yarn.resourcemanager.webapp.address': '127.0.0.1:18088'})), 'http://127.0.0.1:18088')
    assert.equal(resourceManagerUrl(site({'yarn.resourcemanager.hostname': 'rm1', 'yarn.resourcemanager.webapp.address': '${yarn.resourcemanager.hostname}:8088'})), 'http://rm1:8088')
    assert.equal(resourceManagerUrl(site({'yarn.resourcemanager.hostname': 'rm1'})), 'http://rm1:8088')
    assert.equal(resourceManagerUrl(site({'yarn.http.policy': 'HTTPS_ONLY', 'yarn.resourcemanager.webapp.https.address': 'rm1:8090'})), 'https://rm1:8090')
    assert.equal(resourceManagerUrl(site({'yarn.resourcemanager.webapp.address': '0.0.0.0:8088'})), 'http://localhost:8088')
    assert.equal(resourceManagerUrl(site({})), undefined)
  })
})

/** A ResourceManager and a session JobManager in one node:http server, answering as Hadoop 3 / Flink do. */
class FakeYarn {
  server!: Server
  url = ''
  apps: YarnApp[] = []
  seen: string[] = []
  /** What DELETE /cluster does: end the app FINISHED, answer 500, or accept and do nothing. */
  onDelete: 'finish' | 'fail' | 'ignore' = 'finish'
  async start() {
    this.server = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => { body += c })
      req.on('end', () => {
        const u = new URL(req.url!, 'http://x')
        this.seen.push(`${req.method} ${u.pathname}${u.search}`)
        const json = (code: number, v: unknown) => { res.writeHead(code, {'content-type': 'application/json'}); res.end(JSON.stringify(v)) }
        const m = /^\/ws\/v1\/cluster\/apps\/([^/]+)(\/state|\/appattempts)?$/.exec(u.pathname)
        if (u.pathname === '/ws/v1/cluster/info') return json(200, {clusterInfo: {state: 'STARTED', hadoopVersion: '3.5.0'}})
        if (u.pathname === '/ws/v1/cluster/apps') {
          const tags = u.searchParams.get('applicationTags')?.split(',')
          const states = u.searchParams.get('states')?.split(',')
          // like the RM: any of the tags matches
          const apps = this.apps.filter((a) => (!tags || tags.some((t) => (a.applicationTags ?? '').split(',').includes(t))) && (!states || states.includes(a.state)))
          return json(200, {apps: apps.length ? {app: apps} : null})
        }
        if (m) {
          const app = this.apps.find((a) => a.id === m[1])
          if (!app) return json(404, {RemoteException: {exception: 'NotFoundException', message: `app with id: ${m[1]} not found`}})
          if (m[2] === '/state' && req.method === 'PUT') { app.state = 'KILLED'; app.finalStatus = 'KILLED'; app.runningContainers = 0; return json(202, {state: 'KILLED'}) }
          if (m[2] === '/appattempts') return json(200, {appAttempts: {appAttempt: [{id: 1, appAttemptState: 'RUNNING', nodeId: 'nm:1'}]}})
          return json(200, {app})
        }
        // the RM's web proxy forwards GETs only, as Hadoop 3's does
        if (u.pathname.startsWith('/proxy/') && req.method !== 'GET') return json(405, {})
        json(404, {errors: ['Not found']})
      })
    })
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    this.url = `http://127.0.0.1:${(this.server.address() as {port: number}).port}`
  }
  jms: Server[] = []
  /** An application, and its JobManager's REST server at amRPCAddress (where Flink registers it). */
  async app(id: string, name: string, state = 'RUNNING'): Promise<YarnApp> {
    const a: YarnApp = {id, name, state, finalStatus: 'UNDEFINED', applicationTags: `flinkctl,flinkctl-session:${name}`, trackingUrl: `${this.url}/proxy/${id}/`, startedTime: Date.now(), runningContainers: 2}
    const jm = createServer((req, res) => {
      const json = (code: number, v: unknown) => { res.writeHead(code, {'content-type': 'application/json'}); res.end(JSON.stringify(v)) }
      this.seen.push(`JM ${id} ${req.method} ${req.url}`)
      if (req.url === '/config') return json(200, {'refresh-interval': 3000, 'flink-version': '2.3.0'})
      if (req.url === '/cluster' && req.method === 'DELETE') {
        if (this.onDelete === 'fail') return json(500, {errors: ['Internal server error.']})
        // like YARN: the application ends first, its containers are released a heartbeat later
        if (this.onDelete === 'finish') setTimeout(() => { a.state = 'FINISHED'; a.finalStatus = 'SUCCEEDED' }, 200)
        if (this.onDelete === 'finish') setTimeout(() => { a.runningContainers = -1 }, 900)
        return json(202, {})
      }
      json(404, {errors: ['Not found']})
    })
    await new Promise<void>((r) => jm.listen(0, '127.0.0.1', r))
    this.jms.push(jm)
    a.amRPCAddress = `127.0.0.1:${(jm.address() as {port: number}).port}`
    this.apps.push(a)
    return a
  }
  close() {
    this.server.close()
    for (const s of this.jms) s.close()
  }
}

describe('finding and stopping sessions through the ResourceManager', () => {
  const yarn = new FakeYarn()
  before(() => yarn.start())
  after(() => yarn.close())
  const ctx = () => ({rm: new ResourceManager(yarn.url), hadoop: {confDir: undefined, yarnSite: undefined}})

  it('resolves a name by its tag (an active session first), an application id as is, and refuses to guess between two', async () => {
    await yarn.app('application_1_0001', 'old', 'FINISHED')
    await yarn.app('application_1_0002', 'smoke')
    assert.equal((await resolveSession(ctx().rm, 'smoke')).id, 'application_1_0002')
    assert.equal((await resolveSession(ctx().rm, 'SMOKE')).id, 'application_1_0002', 'names are tags: lower-cased')
    assert.equal((await resolveSession(ctx().rm, 'old')).id, 'application_1_0001', 'an ended one when none is active')
    assert.equal((await resolveSession(ctx().rm, 'application_1_0001')).state, 'FINISHED')
    await assert.rejects(resolveSession(ctx().rm, 'application_9_0009'), /YARN knows no application/)
    await assert.rejects(resolveSession(ctx().rm, 'nope'), /no session named 'nope'/)
    await yarn.app('application_1_0003', 'twin')
    await yarn.app('application_1_0004', 'twin')
    await assert.rejects(resolveSession(ctx().rm, 'twin'), /2 active sessions are named 'twin'/)
  })

  it('refuses to start a session whose name, or hand-set HA cluster-id, an active session already has, before launching anything', async () => {
    const a = await yarn.app('application_3_0001', 'taken')
    const root = writeTree({'lib/flink-dist-2.3.0.jar': '', 'conf/config.yaml': 'jobmanager.memory.process.size: 1g\ntaskmanager.memory.process.size: 1g\nhigh-availability.type: zookeeper\nhigh-availability.zookeeper.quorum: zk:2181\nhigh-availability.storageDir: hdfs:///ha\n'})
    const env = {HADOOP_CLASSPATH: '/nonexistent/*', PATH: '/nonexistent'}
    const c = loadCluster({confDir: join(root, 'conf'), flinkHome: root, env})
    const opts = {name: 'taken', detached: true, dynamic: [], timeoutMs: 5000, env, rmUrl: yarn.url}
    await assert.rejects(startYarnSession(c, opts, () => {}), (e: Error & {code?: string}) => e.code === 'YARN_SESSION_EXISTS' && /application_3_0001/.test(e.message))
    a.applicationTags += ',flinkctl-ha:/shared'
    const withId = loadCluster({confDir: join(root, 'conf'), flinkHome: root, env, dynamic: ['high-availability.cluster-id=/shared']})
    await assert.rejects(startYarnSession(withId, {...opts, name: 'other'}, () => {}), (e: Error & {code?: string}) => e.code === 'YARN_CLUSTER_ID_IN_USE')
    assert.ok(!existsSync(join(root, 'log')), 'no client was launched (it would have written its log)')
  })

  it('stops through Flink (DELETE /cluster) and says so; kills through YARN only when Flink fails, and says why', async () => {
    const a = await yarn.app('application_2_0001', 'clean')
    const r = await stopYarnSession(ctx(), 'clean', {graceMs: 5000, timeoutMs: 5000}, () => {})
    assert.equal(r.method, 'rest')
    assert.equal(r.state, 'FINISHED')
    assert.equal(r.runningContainers, 0, 'stop waits until YARN released the containers')
    assert.equal(a.state, 'FINISHED')
    assert.ok(yarn.seen.includes('JM application_2_0001 DELETE /cluster'), 'asked the JobManager itself: the proxy refuses DELETE')
    assert.ok(!yarn.seen.includes('PUT /ws/v1/cluster/apps/application_2_0001/state'), 'YARN was not asked to kill')

    yarn.onDelete = 'fail'
    await yarn.app('application_2_0002', 'broken')
    const k = await stopYarnSession(ctx(), 'application_2_0002', {graceMs: 5000, timeoutMs: 5000}, () => {})
    assert.equal(k.method, 'yarn-kill')
    assert.equal(k.state, 'KILLED')
    assert.match(k.restProblem!, /DELETE \/cluster failed: .*500/)

    yarn.onDelete = 'ignore'
    await yarn.app('application_2_0003', 'stuck')
    const s = await stopYarnSession(ctx(), 'stuck', {graceMs: 600, timeoutMs: 5000}, () => {})
    assert.equal(s.method, 'yarn-kill')
    assert.match(s.restProblem!, /did not end within 1 s of DELETE \/cluster/)

    const again = await stopYarnSession(ctx(), 'application_2_0003', {graceMs: 600, timeoutMs: 5000}, () => {})
    assert.equal(again.method, 'none', 'an ended session is left alone')
  })
})

describe('finding Hadoop as yarn-session.sh does', () => {
  const c = conf('rest.port: 8081\n')
  it('takes HADOOP_CLASSPATH first, else what `hadoop classpath` prints, else says what to set (exit 3)', async () => {
    const {findHadoop} = await import('../../../src/lib/yarn/hadoop.ts')
    const bin = join(writeTree({'bin/hadoop': '#!/bin/sh\n[ "$1" = classpath ] && echo "/opt/hadoop/etc/hadoop:/opt/hadoop/share/hadoop/common/*"\n'}), 'bin')
    chmodSync(join(bin, 'hadoop'), 0o755)
    assert.deepEqual(await findHadoop(c, {HADOOP_CLASSPATH: '/x/*', PATH: bin}).then((h) => [h.classpath, h.classpathFrom]), ['/x/*', 'HADOOP_CLASSPATH'])
    assert.deepEqual(await findHadoop(c, {PATH: bin}).then((h) => [h.classpath, h.classpathFrom]), ['/opt/hadoop/etc/hadoop:/opt/hadoop/share/hadoop/common/*', 'hadoop classpath'])
    await assert.rejects(findHadoop(c, {PATH: '/nonexistent'}), (err: Error & {exit?: number; code?: string}) => err.code === 'HADOOP_NOT_FOUND' && err.exit === 3 && /HADOOP_CLASSPATH is not set/.test(err.message))
  })
})
