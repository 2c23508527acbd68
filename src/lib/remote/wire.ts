// How flinkctl's SSH connections use the machine and the network when there are many hosts:
// writes coalesced per tick, handshakes paced per sshd, file descriptors budgeted.
import {readFileSync} from 'node:fs'
import type {Writable} from 'node:stream'

/**
 * ssh2 without its native crypto binding writes each packet in 3-4 pieces (length, ciphertext,
 * MAC/tag), and with TCP_NODELAY each piece is its own syscall and TCP segment, which the server
 * then reads piece by piece. Corking the stream for the rest of the tick sends everything
 * written in one tick as one writev: one segment per burst, and no Nagle delay.
 */
export function coalesceWrites(stream: Writable | undefined): void {
  if (!stream || typeof stream.cork !== 'function' || (stream as {flinkctlCoalesced?: boolean}).flinkctlCoalesced) return
  ;(stream as {flinkctlCoalesced?: boolean}).flinkctlCoalesced = true
  const write = stream.write
  let corked = false
  const uncork = () => {
    corked = false
    stream.uncork()
  }
  stream.write = function (this: Writable, ...args: Parameters<Writable['write']>) {
    if (!corked && !stream.writableEnded && !stream.destroyed) {
      corked = true
      stream.cork()
      process.nextTick(uncork)
    }
    return write.apply(this, args)
  } as Writable['write']
}

/**
 * Handshakes in flight at once to one sshd. sshd refuses unauthenticated connections beyond
 * MaxStartups (default 10:30:100: at random from 10 on); several conf names can be one machine,
 * and every connection through one ProxyCommand (`ssh -W %h:%p bastion`) is also one to the
 * bastion. So flinkctl keeps at most this many handshakes per destination before authentication,
 * independent of --parallel (hosts being worked on); distinct hosts are not slowed down.
 */
export const DEFAULT_MAX_STARTUPS = 10

/** A counting semaphore: acquire() resolves with a release function, in FIFO order. */
export class Pacer {
  readonly limit: number
  #inFlight = 0
  #waiting: (() => void)[] = []

  constructor(limit: number) {
    this.limit = Math.max(1, Math.floor(limit) || 1)
  }

  /** Slots taken, counting the ones promised to waiters. */
  get inFlight(): number {
    return this.#inFlight
  }

  get waiting(): number {
    return this.#waiting.length
  }

  async acquire(): Promise<() => void> {
    if (this.#inFlight >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve))
    else this.#inFlight++
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.#waiting.shift()
      // the slot passes straight to the next in line
      if (next) next()
      else this.#inFlight--
    }
  }

  /** Runs fn holding a slot; the slot is given back however fn ends. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire()
    try {
      return await fn()
    } finally {
      release()
    }
  }
}

/** One Pacer per destination (an sshd address, a ProxyCommand, a jump chain), made on demand. */
export class HandshakePacer {
  readonly limit: number
  readonly #byKey = new Map<string, Pacer>()

  constructor(limit: number = DEFAULT_MAX_STARTUPS) {
    this.limit = limit
  }

  async acquire(key: string): Promise<() => void> {
    let pacer = this.#byKey.get(key)
    if (!pacer) {
      pacer = new Pacer(this.limit)
      this.#byKey.set(key, pacer)
    }
    const release = await pacer.acquire()
    const p = pacer
    return () => {
      release()
      if (p.inFlight === 0 && p.waiting === 0 && this.#byKey.get(key) === p) this.#byKey.delete(key)
    }
  }

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(key)
    try {
      return await fn()
    } finally {
      release()
    }
  }

  /** Destinations with a handshake in flight or waiting. */
  get destinations(): number {
    return this.#byKey.size
  }
}

/**
 * The soft RLIMIT_NOFILE of this process (Node raises it to the hard limit at start-up), or
 * undefined where /proc does not tell (then nothing is budgeted).
 */
export function openFileLimit(limitsText?: string): number | undefined {
  let text = limitsText
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8')
    } catch {
      return undefined
    }
  }
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(text)
  if (!m) return undefined
  return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1])
}

/** File descriptors kept for everything else (stdio, files read, ProxyCommand pipes, REST, ZooKeeper). */
export const FD_RESERVE = 64
/** A connection costs one socket, and up to three pipes with a ProxyCommand. */
export const FDS_PER_CONNECTION = 4

/** How many SSH connections may be open at once within a file-descriptor limit. */
export function connectionBudget(limit: number | undefined): number {
  if (limit === undefined) return Number.MAX_SAFE_INTEGER
  return Math.max(1, Math.floor((limit - FD_RESERVE) / FDS_PER_CONNECTION))
}
