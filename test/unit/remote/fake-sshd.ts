// A small sshd in this process (ssh2's Server) that runs exec requests with the local /bin/sh,
// as sshd does with the user's shell: enough to test SshHost without root or the test ground.
// It accepts one public key, honours "signal" requests by killing the command's process group
// (as OpenSSH's killpg does), and forwards direct-tcpip channels (so it can be a jump host).
import {type ChildProcess, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {type AddressInfo, connect as tcpConnect} from 'node:net'
import ssh2 from 'ssh2'
import type {Connection, ParsedKey} from 'ssh2'

export interface FakeSshd {
  port: number
  /** "ssh-ed25519 AAAA…" */
  hostKeyLine: string
  hostKeyBlob: Buffer
  /** TCP connections accepted so far. */
  connections: number
  /** Connections that finished authentication. */
  logins: number
  /** Connections not authenticated yet (what sshd's MaxStartups counts), now and at most so far. */
  pending: number
  maxPending: number
  commands: string[]
  signals: string[]
  forwards: string[]
  /** Pids of commands still running. */
  running: Set<number>
  /** Drops every connection (as a crashed or restarted sshd would). */
  dropAll(): void
  stop(): Promise<void>
}

export function keyPair(type: 'ed25519' | 'ecdsa' = 'ed25519'): {private: string; public: string} {
  // ssh2 now and then writes a key its own parser calls malformed (CI saw "Malformed OpenSSH
  // private key" once in many runs): a fixture key must parse, so draw again until it does
  for (let i = 0; ; i++) {
    const k = type === 'ecdsa' ? ssh2.utils.generateKeyPairSync('ecdsa', {bits: 256}) : ssh2.utils.generateKeyPairSync('ed25519')
    if (!(ssh2.utils.parseKey(k.private) instanceof Error) || i >= 20) return {private: k.private, public: k.public}
  }
}

/** ignoreSignals: refuse "signal" requests, as OpenSSH's sshd does for root logins. */
export async function startFakeSshd(opts: {authorizedKey: string; hostKey?: string; ignoreSignals?: boolean; authDelayMs?: number}): Promise<FakeSshd> {
  const hostKey = opts.hostKey ?? keyPair().private
  const parsedHost = ssh2.utils.parseKey(hostKey) as ParsedKey
  const allowed = ssh2.utils.parseKey(opts.authorizedKey) as ParsedKey
  const conns = new Set<Connection>()
  const state: FakeSshd = {
    port: 0,
    hostKeyBlob: parsedHost.getPublicSSH(),
    hostKeyLine: `${parsedHost.type} ${parsedHost.getPublicSSH().toString('base64')}`,
    connections: 0,
    logins: 0,
    pending: 0,
    maxPending: 0,
    commands: [],
    signals: [],
    forwards: [],
    running: new Set(),
    dropAll: () => {
      for (const c of conns) c.end()
    },
    stop: () => Promise.resolve(),
  }
  const server = new ssh2.Server({hostKeys: [hostKey]}, (client) => {
    state.connections++
    state.maxPending = Math.max(state.maxPending, ++state.pending)
    let settled = false
    const settle = () => {
      if (!settled) state.pending--
      settled = true
    }
    conns.add(client)
    client.on('close', () => {
      conns.delete(client)
      settle()
    })
    client.on('error', () => {})
    // ssh2's Server drops "signal" requests once exec has started (the session has become a plain
    // channel), so they are taken here, before its own handler; sshd would killpg() the command
    const byChannel = new Map<number, ChildProcess>()
    const proto = (client as unknown as {_protocol: {_handlers: Record<string, (...a: unknown[]) => unknown>}})._protocol
    const original = proto._handlers.CHANNEL_REQUEST!
    proto._handlers.CHANNEL_REQUEST = (p: unknown, recipient: unknown, type: unknown, wantReply: unknown, data: unknown) => {
      if (type !== 'signal') return original(p, recipient, type, wantReply, data)
      state.signals.push(String(data))
      if (opts.ignoreSignals) return undefined
      const child = byChannel.get(recipient as number)
      try {
        if (child?.pid) process.kill(-child.pid, `SIG${String(data)}` as NodeJS.Signals)
      } catch {}
      return undefined
    }
    client.on('authentication', (ctx) => {
      if (ctx.method === 'publickey' && ctx.key.algo === allowed.type && ctx.key.data.equals(allowed.getPublicSSH())) {
        if (ctx.signature && ctx.blob && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject()
        if (ctx.signature && opts.authDelayMs) return void setTimeout(() => ctx.accept(), opts.authDelayMs)
        return ctx.accept()
      }
      ctx.reject(['publickey'])
    })
    client.on('ready', () => {
      settle()
      state.logins++
      client.on('tcpip', (accept, reject, info) => {
        state.forwards.push(`${info.destIP}:${info.destPort}`)
        const sock = tcpConnect(info.destPort, info.destIP)
        sock.once('connect', () => {
          const ch = accept()
          ch.pipe(sock).pipe(ch)
          ch.on('error', () => sock.destroy())
        })
        sock.once('error', () => reject())
      })
      client.on('session', (acceptSession) => {
        const session = acceptSession()
        session.on('exec', (accept, _reject, info) => {
          state.commands.push(info.command)
          const stream = accept()
          // detached: the command leads its own process group, as sshd's setsid() makes it
          const c = spawn('/bin/sh', ['-c', info.command], {detached: true, stdio: ['pipe', 'pipe', 'pipe']})
          byChannel.set((stream as unknown as {incoming: {id: number}}).incoming.id, c)
          state.running.add(c.pid!)
          stream.pipe(c.stdin!)
          c.stdin!.on('error', () => {})
          c.stdout!.pipe(stream, {end: false})
          c.stderr!.pipe(stream.stderr, {end: false})
          c.on('close', (code, sig) => {
            state.running.delete(c.pid!)
            try {
              if (sig) stream.exit(sig.replace(/^SIG/, ''), false, '')
              else stream.exit(code ?? 0)
              stream.end()
            } catch {}
          })
        })
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  state.port = (server.address() as AddressInfo).port
  state.stop = () =>
    new Promise<void>((resolve) => {
      for (const c of conns) c.end()
      server.close(() => resolve())
    })
  return state
}

export const sha256Hex = (b: Buffer) => createHash('sha256').update(b).digest('hex')
