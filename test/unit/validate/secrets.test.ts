// Issue 14: credentials in the config file. Flink does not expand ${VAR} in flink-conf.yaml/config.yaml (the
// official Docker image's entrypoint does, docker-flink/docker-flink#91); the S3 plugins fall back to the AWS
// default chain (AWS_ACCESS_KEY_ID, instance roles) when s3.access-key is unset; Flink's S3 docs call keys in the
// file "discouraged" next to IAM roles.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {only, show, validate} from './kit.ts'

const AKID = 'AKIAIOSFODNN7EXAMPLE'
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
// shaped like the S3 section people copy from Flink's S3 page into flink-conf.yaml
const S3 = `state.checkpoints.dir: s3://flink-state/checkpoints\ns3.access-key: ${AKID}\ns3.secret-key: ${SECRET}\ns3.endpoint: https://s3.eu-west-1.amazonaws.com\n`

describe('CONF-PLAIN-SECRET', () => {
  it('S3 keys: one info per key at its line, pointing at IAM roles and AWS_ACCESS_KEY_ID, never the value', () => {
    const {findings} = validate({'conf/flink-conf.yaml': S3}, {version: '1.20.0', mode: 0o600})
    const f = only(findings, 'CONF-PLAIN-SECRET')
    assert.deepEqual(f.map((x) => [x.key, x.line, x.severity]), [['s3.access-key', 2, 'info'], ['s3.secret-key', 3, 'info']], show(f))
    assert.match(f[0]!.hint, /IAM role.*AWS_ACCESS_KEY_ID/)
    for (const x of findings) assert.ok(!`${x.message} ${x.hint} ${x.key}`.includes(AKID) && !`${x.message} ${x.hint}`.includes(SECRET), x.message)
  })
  it('a group- or world-readable file with secrets: a warning with chmod 600 <file>; mode 600 is quiet', () => {
    const {root, findings} = validate({'conf/flink-conf.yaml': S3}, {version: '1.20.0', mode: 0o644})
    const w = only(findings, 'CONF-PLAIN-SECRET').filter((x) => x.severity === 'warning')
    assert.equal(w.length, 1, show(findings))
    assert.equal(w[0]!.hint, `chmod 600 ${root}/conf/flink-conf.yaml`)
    assert.match(w[0]!.message, /readable by its group and every user \(mode 0644\)/)
    assert.ok(!w[0]!.message.includes(SECRET))
    const quiet = validate({'conf/flink-conf.yaml': S3}, {version: '1.20.0', mode: 0o600}).findings
    assert.deepEqual(only(quiet, 'CONF-PLAIN-SECRET').filter((x) => x.severity === 'warning'), [])
  })
  it('Azure account keys, SSL and reporter passwords in a 2.3 config.yaml', () => {
    const {findings} = validate({'conf/config.yaml': [
      'fs.azure.account.key.flinkstate.blob.core.windows.net: c2VjcmV0LWtleS1iYXNlNjQ=',
      'security.ssl.internal.keystore: /etc/flink/internal.keystore',
      'security.ssl.internal.keystore-password: changeit1',
      'security.ssl.internal.key-password: changeit2',
      'metrics.reporter.influxdb.password: hunter2',
    ].join('\n') + '\n'}, {version: '2.3.0', mode: 0o600})
    const f = only(findings, 'CONF-PLAIN-SECRET')
    assert.deepEqual(f.map((x) => x.key), ['fs.azure.account.key.flinkstate.blob.core.windows.net', 'security.ssl.internal.keystore-password', 'security.ssl.internal.key-password', 'metrics.reporter.influxdb.password'], show(f))
    assert.match(f[0]!.hint, /managed identity/)
    assert.match(f[1]!.hint, /chmod 600/)
  })
  it('providers, paths, flags, references and -D values are not plain secrets in the file', () => {
    const {findings} = validate({'conf/flink-conf.yaml': [
      'fs.s3a.aws.credentials.provider: org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider,com.amazonaws.auth.InstanceProfileCredentialsProvider',
      'security.ssl.rest.truststore: /etc/flink/rest.truststore',
      'kubernetes.secrets: s3creds:/opt/flink/creds',
      'security.delegation.tokens.enabled: true',
      's3.access-key: ${AWS_ACCESS_KEY_ID}',
      'fs.azure.account.keyprovider.flinkstate.blob.core.windows.net: org.apache.hadoop.fs.azure.ShellDecryptionKeyProvider',
    ].join('\n') + '\n'}, {version: '1.20.0', dynamic: [`s3.secret-key=${SECRET}`]})
    assert.deepEqual(only(findings, 'CONF-PLAIN-SECRET'), [], show(findings))
  })
})
