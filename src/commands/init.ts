import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Flags} from '@oclif/core'
import {renderInit, writeConfDir} from '../lib/conf/init.ts'
import {loadCluster} from '../lib/conf/load.ts'
import {ConfigError} from '../lib/errors.ts'
import {BaseCommand} from '../lib/output/base-command.ts'
import {displayPath, renderFindings} from '../lib/output/findings.ts'
import {validateCluster} from '../lib/validate/index.ts'

const list = (s: string | undefined) => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean)

export default class Init extends BaseCommand<typeof Init> {
  static override summary = 'Write a new, valid ZooKeeper-HA conf dir (config file, masters, workers, zoo.cfg, log4j) from templates.'
  static override description = 'The result is validated before it is written; a conf dir that would not pass `flinkctl validate` is never created. A host given several times to --zookeeper gets distinct ports, so a whole quorum can run on one machine.'
  static override examples = [
    {command: '<%= config.bin %> init --dir /etc/flink/prod --masters jm1:8081,jm2:8081 --workers tm1,tm2,tm3 --zookeeper zk1,zk2,zk3 --storage-dir hdfs:///flink/ha --cluster-id /prod', description: 'A three-host quorum, two masters, three workers.'},
    {command: '<%= config.bin %> init --dir ./local --masters localhost:8081,localhost:8082 --workers localhost,localhost --zookeeper localhost,localhost,localhost --storage-dir file:///var/lib/flink/ha --format flink-conf.yaml', description: 'Everything on this machine, legacy config format.'},
  ]
  static override flags = {
    dir: Flags.string({char: 'd', description: 'Conf dir to create.', required: true}),
    masters: Flags.string({description: 'Comma-separated JobManager host[:webui-port] list.', required: true}),
    workers: Flags.string({description: 'Comma-separated TaskManager hosts (repeat a host for several).', required: true}),
    zookeeper: Flags.string({description: 'Comma-separated ZooKeeper hosts (host or host:clientPort).', required: true}),
    'storage-dir': Flags.string({description: 'high-availability.storageDir: shared storage every master can read.', required: true}),
    'cluster-id': Flags.string({description: 'high-availability.cluster-id (default: /<dir name>).'}),
    format: Flags.option({description: 'Config file format.', options: ['config.yaml', 'flink-conf.yaml'] as const, default: 'config.yaml'})(),
    'zk-data-dir': Flags.string({description: 'ZooKeeper dataDir.', default: '/var/lib/flink/zookeeper'}),
    'jobmanager-memory': Flags.string({description: 'jobmanager.memory.process.size.', default: '1600m'}),
    'taskmanager-memory': Flags.string({description: 'taskmanager.memory.process.size.', default: '1728m'}),
    slots: Flags.integer({description: 'taskmanager.numberOfTaskSlots.', default: 1, min: 1}),
    'session-timeout': Flags.integer({description: 'ZooKeeper session timeout in ms (bounds failover time after a hard kill).', default: 20000, min: 4000, max: 40000}),
    'flink-version': Flags.string({description: 'Flink version the conf is for (rules differ by version).'}),
    force: Flags.boolean({description: 'Replace an existing non-empty dir (kept as <dir>.bak).'}),
  }

  async run() {
    const {flags} = this
    const templatesDir = fileURLToPath(new URL('../../templates/', import.meta.url))
    const {files, quorum} = renderInit({
      dir: flags.dir,
      masters: list(flags.masters),
      workers: list(flags.workers),
      zookeeper: list(flags.zookeeper),
      storageDir: flags['storage-dir'],
      clusterId: flags['cluster-id'],
      format: flags.format,
      zkDataDir: flags['zk-data-dir'],
      jmProcessSize: flags['jobmanager-memory'],
      tmProcessSize: flags['taskmanager-memory'],
      slots: flags.slots,
      sessionTimeoutMs: flags['session-timeout'],
      templatesDir,
    })
    // Validate the rendered files before anything lands in the target dir.
    const scratch = mkdtempSync(join(tmpdir(), 'flinkctl-init-'))
    try {
      writeConfDir(join(scratch, 'conf'), files)
      const conf = loadCluster({confDir: join(scratch, 'conf'), flinkVersion: flags['flink-version'], env: {}})
      const report = validateCluster(conf)
      if (report.errors > 0) {
        // point at the files as they would have been named in the target dir
        const errors = report.findings.filter((f) => f.severity === 'error').map((f) => ({...f, file: f.file?.replace(join(scratch, 'conf'), flags.dir)}))
        this.progress(renderFindings(errors, this.err))
        throw new ConfigError('the requested settings do not make a valid HA configuration', {code: 'INIT_INVALID', hint: 'fix the flags named above', details: {findings: errors}})
      }
    } finally {
      rmSync(scratch, {recursive: true, force: true})
    }
    const written = writeConfDir(flags.dir, files, flags.force)
    this.say(`wrote ${written.length} files to ${displayPath(flags.dir)} (quorum ${quorum})`)
    for (const f of written) this.say(`  ${displayPath(f)}`)
    this.say(`next: flinkctl validate --conf-dir ${displayPath(flags.dir)}`)
    return {dir: displayPath(flags.dir), files: written.map((f) => displayPath(f)), quorum}
  }
}
