import {hostNameProblem, printable, userNameProblem} from '../conf/names.ts'
import {ExitCode} from '../errors.ts'
import {HostError} from './host.ts'

/**
 * Refuses a host or user name a shell would read as code, as ssh does before it expands %h/%r
 * (the validator reports the same names with their file and line; this catches every other way
 * in: --host, ssh_config HostName/User, ProxyJump hops).
 */
export function assertSafeNames(label: string, names: {host?: string; user?: string; what: string}): void {
  const problem = names.host !== undefined ? hostNameProblem(names.host) : undefined
  if (problem) {
    throw new HostError(label, `${names.what ? `${names.what}: ` : ''}'${printable(names.host!)}' is not a host name: ${problem}; refusing to connect`, {
      code: 'HOST_NAME', exit: ExitCode.ConfigInvalid,
      hint: 'write a plain host name or address (letters, digits, . - _ :, or [IPv6]); run flinkctl validate to see where it comes from',
    })
  }
  const userProblem = names.user !== undefined ? userNameProblem(names.user) : undefined
  if (userProblem) {
    throw new HostError(label, `${names.what ? `${names.what}: ` : ''}'${printable(names.user!)}' is not a user name: ${userProblem}; refusing to connect`, {
      code: 'HOST_NAME', exit: ExitCode.ConfigInvalid,
      hint: 'write a plain user name (User in ssh_config, -l in env.ssh.opts, or user@host)',
    })
  }
}
