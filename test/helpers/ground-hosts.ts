// Real SSH hosts for tests: drives test/ground/hosts/hosts.sh (network + UTS + mount + PID
// namespaces per host, one bridge, a real OpenSSH sshd on each). Needs root; see skipUnlessRoot.
import {execFile} from 'node:child_process'
import {readFile} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'

export const HOSTS_SCRIPT = fileURLToPath(new URL('../ground/hosts/hosts.sh', import.meta.url))

export interface GroundHost {
  /** State folder of the host (sshd_config, logs, and fs/<path> behind each private path). */
  dir: string
  /** OpenSSH public key line, "ssh-ed25519 AAAA…". */
  hostKey: string
  /** Hex SHA-256 of the host key blob (what ssh2's hostVerifier receives with hostHash 'sha256'). */
  hostKeySha256: string
  ip: string
  name: string
  netns: string
}

export interface ExecResult {
  code: number
  stderr: string
  stdout: string
}

export interface Ground {
  bastionIp: string
  bridge: string
  /** Stops everything on the hosts and removes namespaces, bridge and state. Idempotent. */
  down(): Promise<void>
  hosts: GroundHost[]
  identityFile: string
  /** Copies each host's sshd/init logs and private log folders to dir/hN/<path>. */
  keepLogs(dir: string): Promise<void>
  knownHosts: string
  private: {mode: 'empty' | 'seed'; path: string}[]
  /** Runs a remote shell command through the generated ssh_config; never throws on a non-zero exit. */
  ssh(host: string, command: string): Promise<ExecResult>
  sshConfig: string
  stateDir: string
}

export interface GroundOptions {
  /** Extra environment for hosts.sh (FLINKCTL_GROUND_DIR, FLINKCTL_GROUND_NET, …). */
  env?: NodeJS.ProcessEnv
  hosts: number
  /** Per-host folders seeded with a copy of the shared one (/tmp and /var/tmp always start empty). */
  private?: string[]
  /** Per-host folders that start empty (logs, ZooKeeper data). */
  privateEmpty?: string[]
}

export function isRoot(): boolean {
  return process.platform === 'linux' && process.getuid?.() === 0
}

/** For `describe(name, {skip: skipUnlessRoot()}, …)`: node:test then prints one line with the reason. */
export function skipUnlessRoot(): false | string {
  return isRoot() ? false : 'needs root on Linux (network and mount namespaces); run as root to use the SSH test ground'
}

export function run(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(file, args, {env: {...process.env, ...env}, maxBuffer: 64 * 1024 * 1024}, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
      resolve({code, stderr: String(stderr), stdout: String(stdout)})
    })
  })
}

export class HostsScriptError extends Error {
  readonly code: number
  constructor(args: string[], r: ExecResult) {
    super(`hosts.sh ${args.join(' ')} exited with ${r.code}\n${r.stderr}${r.stdout}`)
    this.code = r.code
  }
}

export async function hostsScript(args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await run(HOSTS_SCRIPT, args, env)
  if (r.code !== 0) throw new HostsScriptError(args, r)
  return r.stdout
}

/** hosts.sh exit code when another live process owns the ground (parallel test files). */
const OWNED_ELSEWHERE = 3

/** Installs what the ground needs (quiet and fast when everything is present). */
export async function groundInstall(): Promise<void> {
  await hostsScript(['install'])
}

export async function groundUp(opts: GroundOptions): Promise<Ground> {
  const args = ['up', String(opts.hosts), '--owner', String(process.pid)]
  for (const p of opts.private ?? []) args.push('--private', p)
  for (const p of opts.privateEmpty ?? []) args.push('--private-empty', p)
  try {
    await hostsScript(args, opts.env)
  } catch (error) {
    // The error already carries the failing hosts' log tails; never leave half a ground behind,
    // but never tear down a ground that another live test process owns.
    if (!(error instanceof HostsScriptError && error.code === OWNED_ELSEWHERE)) {
      await hostsScript(['down', '--owner', String(process.pid)], opts.env).catch(() => {})
    }
    throw error
  }
  const stateDir = `${opts.env?.FLINKCTL_GROUND_DIR ?? process.env.FLINKCTL_GROUND_DIR ?? '/var/tmp/flinkctl-ground'}/hosts`
  const info = JSON.parse(await readFile(`${stateDir}/hosts.json`, 'utf8')) as Omit<Ground, 'down' | 'keepLogs' | 'ssh'>
  return {
    ...info,
    async down() {
      await hostsScript(['down', '--owner', String(process.pid)], opts.env)
    },
    async keepLogs(dir: string) {
      await hostsScript(['keep-logs', dir], opts.env)
    },
    ssh: (host, command) => run('ssh', ['-F', info.sshConfig, host, command]),
  }
}
