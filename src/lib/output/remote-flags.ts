import {Flags} from '@oclif/core'
import type {ReachOptions} from '../cluster/session.ts'
import {parseDuration} from '../conf/sizes.ts'
import {UsageError} from '../errors.ts'

/** Flags of every command that reaches hosts. */
export const reachFlags = {
  parallel: Flags.integer({description: 'Hosts worked on at once (default 32).', min: 1, helpGroup: 'SSH'}),
  'ssh-config': Flags.file({description: 'OpenSSH client config to read (default: -F of env.ssh.opts, else ~/.ssh/config).', helpGroup: 'SSH'}),
  'accept-new-host-keys': Flags.boolean({description: 'Trust the key of a host seen for the first time and record it in known_hosts; a changed key is still refused.', helpGroup: 'SSH'}),
  'connect-timeout': Flags.string({description: 'Give up connecting to a host after this long (default 10s).', helpGroup: 'SSH'}),
  'command-timeout': Flags.string({description: 'Give up on a command on a host that does not answer after this long (default 120s; starting and stopping daemons wait as long as their own --timeout/--grace need).', helpGroup: 'SSH'}),
}

/** Flags of the start commands: readiness and config push. */
export const startFlags = {
  wait: Flags.boolean({description: 'Wait until the daemons are ready (--no-wait returns once they are launched).', default: true, allowNo: true}),
  timeout: Flags.string({description: 'How long to wait until ready, e.g. 180s or 5min (a bare number is seconds).', default: '180s'}),
  push: Flags.boolean({description: 'Push the conf dir to the hosts first (--no-push to skip).', default: true, allowNo: true}),
  'dry-run': Flags.boolean({description: 'Print the plan per host; touch nothing.'}),
}

/** A duration flag in milliseconds: Flink's units (ms, s, min, h); a bare number is seconds. */
export function durationFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  if (/^\s*\d+(\.\d+)?\s*$/.test(text)) return Math.round(Number(text) * 1000)
  const parsed = parseDuration(text)
  if (!parsed.ok) throw new UsageError(`--${name} ${text}: ${parsed.reason}`, 'write a duration such as 30s, 500ms or 5min')
  return parsed.value
}

export function reachOptions(flags: {parallel?: number; 'ssh-config'?: string; 'accept-new-host-keys'?: boolean; 'connect-timeout'?: string; 'command-timeout'?: string}): ReachOptions {
  return {
    parallel: flags.parallel,
    sshConfigFile: flags['ssh-config'],
    acceptNewHostKeys: flags['accept-new-host-keys'],
    connectTimeoutMs: durationFlag('connect-timeout', flags['connect-timeout']),
    commandTimeoutMs: durationFlag('command-timeout', flags['command-timeout']),
  }
}

/** Flags of the stop commands. */
export const stopFlags = {
  ...reachFlags,
  grace: Flags.string({description: 'Wait this long after SIGTERM before SIGKILL (default 10s, as Flink).'}),
  user: Flags.string({description: 'User the daemons run as (FLINK_IDENT_STRING; default: the SSH user).'}),
}

/** Where the YARN ResourceManager's REST API is, when yarn-site.xml does not say. */
export const rmUrlFlag = {
  'rm-url': Flags.string({description: 'The ResourceManager web address, e.g. http://rm:8088 (default: from yarn-site.xml in HADOOP_CONF_DIR).', helpGroup: 'YARN'}),
}

/** The job commands' way to a YARN session instead of the configured cluster. */
export const yarnSessionFlags = {
  'yarn-session': Flags.string({description: 'Talk to this YARN session (application id or flinkctl session name) instead of the cluster the configuration describes.', helpGroup: 'YARN'}),
  ...rmUrlFlag,
}
