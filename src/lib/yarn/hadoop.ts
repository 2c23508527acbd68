// Finding Hadoop as yarn-session.sh does: the classes from HADOOP_CLASSPATH or `hadoop classpath`,
// the configuration from HADOOP_CONF_DIR / env.hadoop.conf.dir, and the ResourceManager's web
// address from its yarn-site.xml.
import {execa} from 'execa'
import {getValue} from '../conf/load.ts'
import type {ClusterConf} from '../conf/types.ts'
import {ExitCode} from '../errors.ts'
import {expandHadoopValue as expand, hadoopConfDir, readYarnSite, type HadoopConf} from '../validate/hadoop-xml.ts'
import {YarnError} from './rm.ts'

export interface HadoopConfDir {
  confDir: string | undefined
  yarnSite: HadoopConf | undefined
}

export interface HadoopSetup extends HadoopConfDir {
  classpath: string
  classpathFrom: 'HADOOP_CLASSPATH' | 'hadoop classpath'
}

/** Hadoop's configuration (all that talking to the ResourceManager needs): HADOOP_CONF_DIR, env.hadoop.conf.dir, HADOOP_HOME's. */
export function findHadoopConf(conf: ClusterConf | undefined, env: Readonly<Record<string, string | undefined>>): HadoopConfDir {
  const confDir = hadoopConfDir(env, conf ? getValue(conf, 'env.hadoop.conf.dir')?.value : undefined)
  return {confDir, yarnSite: confDir ? readYarnSite(confDir) : undefined}
}

/** Hadoop's classes and configuration for the YARN client; a YarnError (exit 3) saying what to set when there are none. */
export async function findHadoop(conf: ClusterConf, env: Readonly<Record<string, string | undefined>>): Promise<HadoopSetup> {
  const {confDir, yarnSite} = findHadoopConf(conf, env)
  if (env.HADOOP_CLASSPATH) return {classpath: env.HADOOP_CLASSPATH, classpathFrom: 'HADOOP_CLASSPATH', confDir, yarnSite}
  const r = await execa('hadoop', ['classpath'], {reject: false, env: {...env}, extendEnv: false, timeout: 60_000})
  if (r.exitCode === 0 && r.stdout.trim()) return {classpath: r.stdout.trim(), classpathFrom: 'hadoop classpath', confDir, yarnSite}
  throw new YarnError('Hadoop is not found: HADOOP_CLASSPATH is not set and `hadoop classpath` does not run', 'HADOOP_NOT_FOUND',
    'export HADOOP_CLASSPATH=$(hadoop classpath) on a Hadoop client host, or point HADOOP_CLASSPATH at the Hadoop client jars', ExitCode.ConfigInvalid)
}

/** The ResourceManager's REST base URL from yarn-site.xml (webapp address, https when the policy says so). */
export function resourceManagerUrl(site: HadoopConf | undefined): string | undefined {
  if (!site) return undefined
  const get = (k: string) => { const v = site.props.get(k)?.value; return v ? expand(site, v) : undefined }
  const https = get('yarn.http.policy') === 'HTTPS_ONLY'
  const host = get('yarn.resourcemanager.hostname')
  let addr = https ? get('yarn.resourcemanager.webapp.https.address') : get('yarn.resourcemanager.webapp.address')
  if (!addr && host) addr = `${host}:${https ? 8090 : 8088}`
  if (!addr) return undefined
  addr = addr.replace(/^0\.0\.0\.0:/, 'localhost:')
  return `${https ? 'https' : 'http'}://${addr}`
}
