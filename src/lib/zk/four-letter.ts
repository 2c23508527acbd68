import {connect} from 'node:net'
import {ZkError} from './errors.ts'

export interface FourLetterOptions {
  /** Whole exchange: connect, send, read until the server closes. Default 3000. */
  timeoutMs?: number
  signal?: AbortSignal
}

/**
 * Sends a ZooKeeper four-letter word (srvr, stat, ruok, mntr, …) over plain TCP and returns the
 * answer text. Throws ZkError ZK_UNREACHABLE when the TCP connection fails and ZK_NO_ANSWER when
 * the port is open but nothing comes back (e.g. a server that closes unanswered connections);
 * callers use that difference to decide whether a client connection is worth trying.
 */
export function fourLetterWord(host: string, port: number, word: string, opts: FourLetterOptions = {}): Promise<string> {
  if (!/^[a-z]{4}$/.test(word)) return Promise.reject(new ZkError(`'${word}' is not a four-letter word`, {code: 'ZK_BAD_WORD'}))
  const timeoutMs = opts.timeoutMs ?? 3000
  const where = `${host}:${port}`
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let connected = false
    let done = false
    const socket = connect({host, port})
    const finish = (err?: ZkError) => {
      if (done) return
      done = true
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
      socket.destroy()
      if (err) return reject(err)
      const text = Buffer.concat(chunks).toString('utf8')
      if (text === '') return reject(new ZkError(`${where} closed the connection without answering '${word}'`, {code: 'ZK_NO_ANSWER'}))
      resolve(text)
    }
    const noAnswer = (why: string) => new ZkError(`${where} accepted the connection but ${why}`, {code: 'ZK_NO_ANSWER'})
    const onAbort = () => finish(new ZkError(`'${word}' to ${where} aborted`, {code: connected ? 'ZK_NO_ANSWER' : 'ZK_UNREACHABLE', cause: opts.signal?.reason}))
    const timer = setTimeout(() => {
      if (!connected) return finish(new ZkError(`no TCP connection to ${where} within ${timeoutMs} ms`, {code: 'ZK_UNREACHABLE'}))
      // Part of an answer is still an answer; the server just did not close in time.
      if (chunks.length > 0) return finish()
      finish(noAnswer(`did not answer '${word}' within ${timeoutMs} ms`))
    }, timeoutMs)
    if (opts.signal?.aborted) return onAbort()
    opts.signal?.addEventListener('abort', onAbort, {once: true})
    socket.on('connect', () => {
      connected = true
      socket.write(word)
    })
    socket.on('data', (d: Buffer) => chunks.push(d))
    socket.on('end', () => finish())
    socket.on('close', () => finish())
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (connected) {
        // A reset after the answer arrived is how some servers hang up.
        if (chunks.length > 0) return finish()
        return finish(noAnswer(`reset it (${err.code ?? err.message})`))
      }
      finish(new ZkError(`cannot reach ZooKeeper at ${where}: ${err.code ?? err.message}`, {code: 'ZK_UNREACHABLE', cause: err}))
    })
  })
}

export type ZkMode = 'leader' | 'follower' | 'standalone' | 'observer' | 'read-only' | (string & {})

export type SrvrResult =
  | {
    status: 'ok'
    /** e.g. `3.7.1-a2fb57c…, built on 2022-05-07 06:45 UTC` as printed; `versionNumber` is the x.y.z part. */
    version: string
    versionNumber?: string
    mode: ZkMode
    /** Hex as printed, e.g. `0x100000002`. */
    zxid: string
    nodeCount: number
    latency: {min: number; avg: number; max: number}
    connections?: number
    outstanding?: number
    received?: number
    sent?: number
  }
  /** The server runs but the word is not in 4lw.commands.whitelist (ZooKeeper 3.4.10+). */
  | {status: 'disabled'; word: string; message: string}
  /** The server process runs but does not serve (a quorum member without a quorum). */
  | {status: 'not-serving'; message: string}
  | {status: 'unrecognised'; message: string}

const NUM = (s: string | undefined): number | undefined => (s === undefined || s.trim() === '' || Number.isNaN(Number(s)) ? undefined : Number(s))

/** Parses the answer to `srvr` (or `stat`, which prints the same fields plus a client list). */
export function parseSrvr(text: string): SrvrResult {
  const message = text.trim()
  const disabled = /^(\w{4}) is not executed because it is not in the whitelist/i.exec(message)
  if (disabled || /not in the whitelist/i.test(message)) return {status: 'disabled', word: disabled?.[1] ?? '', message}
  if (/not currently serving requests/i.test(message)) return {status: 'not-serving', message}

  const fields = new Map<string, string>()
  for (const line of message.split(/\r?\n/)) {
    const m = /^([A-Za-z][A-Za-z /]*?):\s*(.*)$/.exec(line)
    if (m) fields.set(m[1]!.toLowerCase(), m[2]!.trim())
  }
  const version = fields.get('zookeeper version')
  const mode = fields.get('mode')
  const zxid = fields.get('zxid')
  const nodeCount = NUM(fields.get('node count'))
  const lat = fields.get('latency min/avg/max')?.split('/').map((x) => NUM(x))
  if (version === undefined || mode === undefined || zxid === undefined || nodeCount === undefined || !lat || lat.length !== 3 || lat.some((x) => x === undefined)) {
    return {status: 'unrecognised', message}
  }
  const result: SrvrResult = {
    status: 'ok',
    version,
    mode,
    zxid,
    nodeCount,
    latency: {min: lat[0]!, avg: lat[1]!, max: lat[2]!},
  }
  const versionNumber = /^(\d+\.\d+\.\d+)/.exec(version)?.[1]
  if (versionNumber) result.versionNumber = versionNumber
  const optional = {connections: 'connections', outstanding: 'outstanding', received: 'received', sent: 'sent'} as const
  for (const [key, field] of Object.entries(optional) as Array<[keyof typeof optional, string]>) {
    const n = NUM(fields.get(field))
    if (n !== undefined) result[key] = n
  }
  return result
}
