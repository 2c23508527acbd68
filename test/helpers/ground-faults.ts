// Faults on the SSH test ground, done from the bastion (root namespace) without going through
// the host's sshd: link down/up, sshd killed, stopped or restarted, mounts in a host's own mount
// namespace. Every fault has its undo; `restoreHost` undoes whatever is left.
//
// Pids: a host's sshd.pid (and anything its processes print) is a pid of the host's own PID
// namespace. Signalling it from the bastion would hit an unrelated process, so processes are
// found through `ip netns pids` and matched on the last NSpid of /proc/<pid>/status.
import {readFileSync} from 'node:fs'
import {connect} from 'node:net'
import {run, type Ground, type GroundHost} from './ground-hosts.ts'

export interface HostProc {
  /** The pid in the bastion's namespace: the one to signal. */
  pid: number
  /** The pid inside the host's PID namespace (1 is the host's init). */
  nspid: number
  comm: string
  cmdline: string
}

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/** Every process of the host (its network namespace), with both pids. */
export async function hostProcs(h: GroundHost): Promise<HostProc[]> {
  const r = await run('ip', ['netns', 'pids', h.netns])
  const out: HostProc[] = []
  for (const pid of r.stdout.split('\n').filter(Boolean).map(Number)) {
    const status = read(`/proc/${pid}/status`)
    const nspids = /^NSpid:\s*(.*)$/m.exec(status ?? '')?.[1]?.trim().split(/\s+/).map(Number)
    if (!nspids) continue
    out.push({pid, nspid: nspids.at(-1)!, comm: (read(`/proc/${pid}/comm`) ?? '').trim(), cmdline: (read(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ').trim()})
  }
  return out
}

/** The bastion pid of the host's init (pid 1 of its PID namespace): the way into its mount namespace. */
export async function initPid(h: GroundHost): Promise<number> {
  const init = (await hostProcs(h)).find((p) => p.nspid === 1 && p.pid !== 1)
  if (!init) throw new Error(`${h.name}: no init process found in netns ${h.netns}`)
  return init.pid
}

/** The sshd listener (the pid its PidFile names) and every per-connection sshd/sshd-session. */
export async function sshdProcs(h: GroundHost): Promise<{listener?: HostProc; all: HostProc[]}> {
  const procs = (await hostProcs(h)).filter((p) => p.comm.startsWith('sshd'))
  const nspid = Number(read(`${h.dir}/sshd.pid`)?.trim())
  return {listener: procs.find((p) => p.nspid === nspid), all: procs}
}

const signal = (procs: readonly HostProc[], sig: NodeJS.Signals) => {
  for (const p of procs) {
    try {
      process.kill(p.pid, sig)
    } catch {}
  }
}

/** Kills the listening sshd (new connections are refused; open ones stay). */
export async function killSshdListener(h: GroundHost): Promise<void> {
  const {listener} = await sshdProcs(h)
  if (!listener) throw new Error(`${h.name}: no sshd listener to kill`)
  signal([listener], 'SIGKILL')
  await waitUntil(`${h.name}: sshd listener gone`, async () => !(await sshdProcs(h)).listener)
}

/** Kills every sshd of the host: open connections are cut (the client sees the TCP connection close). */
export async function killAllSshd(h: GroundHost): Promise<void> {
  signal((await sshdProcs(h)).all, 'SIGKILL')
  await waitUntil(`${h.name}: every sshd gone`, async () => (await sshdProcs(h)).all.length === 0)
}

/** SIGSTOP (stall) or SIGCONT every sshd of the host. Returns the processes signalled. */
export async function signalAllSshd(h: GroundHost, sig: 'SIGSTOP' | 'SIGCONT'): Promise<HostProc[]> {
  const {all} = await sshdProcs(h)
  signal(all, sig)
  return all
}

/** True when the host's sshd sends its banner on port 22. */
export function sshdAnswers(h: GroundHost, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({host: h.ip, port: 22, timeout: timeoutMs})
    let data = ''
    const done = (v: boolean) => {
      sock.destroy()
      resolve(v)
    }
    sock.on('data', (d) => {
      data += d
      if (data.startsWith('SSH-')) done(true)
    })
    sock.on('error', () => done(false))
    sock.on('timeout', () => done(false))
    sock.on('close', () => done(data.startsWith('SSH-')))
  })
}

/** Starts the host's sshd again (inside all of its namespaces, as `hosts.sh up` did) unless it listens. */
export async function restartSshd(h: GroundHost): Promise<void> {
  const {all, listener} = await sshdProcs(h)
  signal(all, 'SIGCONT')
  if (!listener) {
    const r = await run('nsenter', ['-t', String(await initPid(h)), '-a', '--', '/usr/sbin/sshd', '-f', `${h.dir}/sshd_config`, '-E', `${h.dir}/sshd.log`])
    if (r.code !== 0) throw new Error(`${h.name}: sshd did not start again: ${r.stderr}`)
  }
  await waitUntil(`${h.name}: sshd answers`, () => sshdAnswers(h))
}

/** The bastion-side end of the host's veth pair (its eth0's peer). */
export async function bastionLink(h: GroundHost): Promise<string> {
  const inside = await run('ip', ['-n', h.netns, '-o', 'link', 'show', 'eth0'])
  const peer = /eth0@if(\d+)/.exec(inside.stdout)?.[1]
  if (!peer) throw new Error(`${h.name}: no eth0 peer in ${h.netns}: ${inside.stdout}${inside.stderr}`)
  const all = await run('ip', ['-o', 'link', 'show'])
  const name = new RegExp(`^${peer}: ([^:@]+)`, 'm').exec(all.stdout)?.[1]
  if (!name) throw new Error(`${h.name}: no link with index ${peer}`)
  return name
}

/**
 * Host down: its link on the bridge is set down, so packets to it vanish and a connect times out.
 * The bastion's neighbour entry for it is pinned meanwhile: once a stale entry's ARP probes fail,
 * the kernel would answer EHOSTUNREACH within ~3 s instead (what a host down on the same
 * segment looks like); pinned, it is what a host down behind a router looks like, every time.
 */
export async function linkDown(h: GroundHost, bridge: string): Promise<void> {
  const mac = /link\/ether (\S+)/.exec((await run('ip', ['-n', h.netns, 'link', 'show', 'eth0'])).stdout)?.[1]
  if (!mac) throw new Error(`${h.name}: no MAC address of eth0`)
  const pin = await run('ip', ['neigh', 'replace', h.ip, 'lladdr', mac, 'dev', bridge, 'nud', 'permanent'])
  if (pin.code !== 0) throw new Error(`${h.name}: pin neighbour: ${pin.stderr}`)
  const r = await run('ip', ['link', 'set', await bastionLink(h), 'down'])
  if (r.code !== 0) throw new Error(`${h.name}: link down: ${r.stderr}`)
}

export async function linkUp(h: GroundHost, bridge: string): Promise<void> {
  const r = await run('ip', ['link', 'set', await bastionLink(h), 'up'])
  if (r.code !== 0) throw new Error(`${h.name}: link up: ${r.stderr}`)
  await run('ip', ['neigh', 'del', h.ip, 'dev', bridge])
  await waitUntil(`${h.name}: sshd answers after link up`, () => sshdAnswers(h))
}

/** Runs a command in the host's mount namespace only (mount, umount, cat), as root of the bastion. */
export async function inMountNs(h: GroundHost, argv: string[]): Promise<{code: number; stdout: string; stderr: string}> {
  return run('nsenter', ['-t', String(await initPid(h)), '-m', '--', ...argv])
}

/** Undoes every fault on the host: link up, sshd running and not stopped, extra mounts at `paths` gone. */
export async function restoreHost(h: GroundHost, bridge: string, opts: {unmount?: string[]} = {}): Promise<void> {
  await run('ip', ['link', 'set', await bastionLink(h), 'up'])
  if ((await run('ip', ['neigh', 'show', h.ip, 'dev', bridge])).stdout.includes('PERMANENT')) await run('ip', ['neigh', 'del', h.ip, 'dev', bridge])
  for (const p of opts.unmount ?? []) await unmountAll(h, p)
  await restartSshd(h)
}

/** The source name of the mounts faults make (so that undoing them never touches the ground's own). */
export const FAULT_MOUNT = 'flinkctl-fault'

/** A small tmpfs over `path` in the host only: "disk full" once `sizeKb` is used. */
export async function mountSmallFs(h: GroundHost, path: string, sizeKb: number): Promise<void> {
  const r = await inMountNs(h, ['mount', '-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0755`, FAULT_MOUNT, path])
  if (r.code !== 0) throw new Error(`${h.name}: mount tmpfs on ${path}: ${r.stderr}`)
}

/** Unmounts what mountSmallFs put over `path` (the ground's own bind mount stays). */
export async function unmountAll(h: GroundHost, path: string): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const top = await inMountNs(h, ['findmnt', '-n', '-o', 'SOURCE', '--mountpoint', path])
    if (!top.stdout.trim().split('\n').includes(FAULT_MOUNT)) return
    await inMountNs(h, ['umount', path])
  }
}

export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await probe()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

/** The ground host by name. */
export const hostOf = (ground: Ground, name: string): GroundHost => {
  const h = ground.hosts.find((x) => x.name === name)
  if (!h) throw new Error(`no ground host ${name}`)
  return h
}
