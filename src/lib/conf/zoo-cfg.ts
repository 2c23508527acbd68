import {clip} from './read-text.ts'
import type {Finding, ZooCfg, ZooServer} from './types.ts'

/**
 * `zoo.cfg` as java.util.Properties reads it (what FlinkZooKeeperQuorumPeer and ZooKeeper do),
 * keeping the position of every property. `server.N=host[:peer[:leader[:role]]][;[addr:]clientPort]`.
 */
export function parseZooCfg(text: string, file: string): {zoo: ZooCfg; notes: Finding[]} {
  const props = new Map<string, {value: string; line: number; col: number}>()
  const servers: ZooServer[] = []
  const notes: Finding[] = []
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = index + 1
    const trimmed = rawLine.trim()
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('!')) return
    const col = rawLine.length - rawLine.trimStart().length + 1
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(trimmed)
    if (!m) {
      notes.push({rule: 'ZOO-SYNTAX', severity: 'warning', file, line, col,
        message: `'${clip(trimmed)}' is not a key=value line`, hint: 'write key=value'})
      return
    }
    const key = m[1]!
    const value = m[2]!.trim()
    const previous = props.get(key)
    if (previous) {
      notes.push({rule: 'ZOO-DUPLICATE-KEY', severity: 'warning', file, line, col, key,
        message: `'${clip(key)}' is set again; this value replaces the one on line ${previous.line}`,
        hint: `keep one '${clip(key)}' line`})
    }
    props.set(key, {value, line, col})
    const server = /^server\.(\d+)$/.exec(key)
    if (server) {
      const parsed = parseServer(Number(server[1]), value, rawLine, line, col)
      if ('error' in parsed) {
        notes.push({rule: 'ZOO-SERVER-SYNTAX', severity: 'error', file, line, col, key,
          message: `${key}: ${parsed.error}`, hint: `write ${key}=host:peerPort:leaderPort (e.g. ${key}=zk${server[1]}:2888:3888)`})
      } else {
        const i = servers.findIndex((s) => s.id === parsed.id)
        if (i !== -1) servers.splice(i, 1)
        servers.push(parsed)
      }
    }
  })
  servers.sort((a, b) => a.id - b.id)
  return {zoo: {file, servers, props}, notes}
}

function parseServer(id: number, value: string, raw: string, line: number, col: number): ZooServer | {error: string} {
  const [addrPart, clientPart] = value.split(';', 2) as [string, string | undefined]
  // ZooKeeper takes [v6]:peer:leader; an unbracketed IPv6 address cannot be told from the ports
  const addr = addrPart.trim()
  const v6 = /^\[([^\]]*)\](.*)$/.exec(addr)
  // at most host:peer:leader:role matter; an unlimited split of a 10 MB `a:a:a…` took 1.5 s
  const parts = v6 ? [v6[1]!, ...(v6[2]!.startsWith(':') ? v6[2]!.slice(1).split(':', 4) : v6[2] ? [v6[2]] : [])] : addr.split(':', 5)
  const host = parts[0] ?? ''
  if (host === '') return {error: 'the host is missing'}
  const num = (s: string | undefined, what: string): number | undefined | {error: string} => {
    if (s === undefined || s === '') return undefined
    if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 65535) return {error: `${what} '${clip(s)}' is not a port number`}
    return Number(s)
  }
  const server: ZooServer = {id, host, raw: raw.trim(), line, col}
  const peer = num(parts[1], 'peer port')
  if (typeof peer === 'object') return peer
  const leader = num(parts[2], 'leader-election port')
  if (typeof leader === 'object') return leader
  if (peer !== undefined) server.peerPort = peer
  if (leader !== undefined) server.leaderPort = leader
  if (parts[3] !== undefined && !['participant', 'observer'].includes(parts[3])) {
    return {error: `role '${clip(parts[3])}' must be participant or observer`}
  }
  if (clientPart !== undefined) {
    const clientPortText = clientPart.includes(':') ? clientPart.slice(clientPart.lastIndexOf(':') + 1) : clientPart
    const client = num(clientPortText.trim(), 'client port')
    if (typeof client === 'object') return client
    if (client !== undefined) server.clientPort = client
  }
  return server
}

/** Client port of a peer: its own `;port` suffix, else `clientPort`, else 2181 (Flink's default). */
export function clientPortOf(zoo: ZooCfg, server: ZooServer): number {
  if (server.clientPort !== undefined) return server.clientPort
  const cp = zoo.props.get('clientPort')?.value
  return cp !== undefined && /^\d+$/.test(cp) ? Number(cp) : 2181
}
