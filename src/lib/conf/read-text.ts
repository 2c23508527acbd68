import {isUtf8} from 'node:buffer'
import {readFileSync, statSync} from 'node:fs'
import {ConfigError} from '../errors.ts'
import type {Finding} from './types.ts'

/** How the program that reads a file decodes it, which decides what a BOM or a bad byte does. */
export type ConfFileKind = 'config.yaml' | 'flink-conf.yaml' | 'hosts' | 'zoo.cfg'

/** Bigger than any real conf file by far; reading more would only grow the process (exit 3 instead). */
export const MAX_CONF_FILE_BYTES = 32 * 1024 * 1024

const BOM = 0xfeff

/**
 * A conf file as text, with findings about its bytes; undefined when it does not exist. What a
 * byte-order mark or a byte that is not UTF-8 does depends on the reader (checked against Flink
 * 1.20.0 and 2.3.0's GlobalConfiguration):
 * - config.yaml: the YAML loader (SnakeYAML's UnicodeReader) skips a leading BOM and refuses
 *   malformed UTF-8 (MalformedInputException), so a bad byte is an error.
 * - flink-conf.yaml: read line by line with the JVM's default charset (UTF-8): a BOM stays in the
 *   first key ('\uFEFFrest.port' is not rest.port) and a bad byte becomes U+FFFD.
 * - masters/workers: bash keeps a BOM in the first host name.
 * - zoo.cfg: java.util.Properties reads ISO-8859-1, where every byte is valid but a BOM turns
 *   into three characters of the first key.
 */
export function readConfText(path: string, kind: ConfFileKind): {text: string; notes: Finding[]} | undefined {
  let buf: Buffer
  try {
    const st = statSync(path)
    if (!st.isFile()) throw new ConfigError(`cannot read ${path}: not a regular file`, {code: 'CONF_UNREADABLE', hint: 'replace it with a regular file'})
    if (st.size > MAX_CONF_FILE_BYTES) {
      throw new ConfigError(`${path} is ${st.size} bytes, more than any Flink configuration file (limit ${MAX_CONF_FILE_BYTES})`, {code: 'CONF_TOO_LARGE', hint: 'check that this is the right file'})
    }
    buf = readFileSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    if (err instanceof ConfigError) throw err
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`, {code: 'CONF_UNREADABLE', hint: 'check the file permissions'})
  }
  return decodeConfBytes(buf, path, kind)
}

export function decodeConfBytes(buf: Uint8Array, file: string, kind: ConfFileKind): {text: string; notes: Finding[]} {
  const notes: Finding[] = []
  // the YAML loader also honours a UTF-16 BOM (checked: Flink 2.3.0 loads a UTF-16LE config.yaml)
  const utf16 = kind === 'config.yaml' && buf.length >= 2 ? (buf[0] === 0xff && buf[1] === 0xfe ? 'utf-16le' : buf[0] === 0xfe && buf[1] === 0xff ? 'utf-16be' : undefined) : undefined
  if (utf16) return {text: new TextDecoder(utf16).decode(buf), notes}
  const text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8')
  if (text.charCodeAt(0) === BOM && kind !== 'config.yaml') {
    const what = {
      'flink-conf.yaml': `Flink reads it as part of the first key${firstLineKey(text)}, so that setting is lost`,
      hosts: 'Flink\'s scripts keep it in the first host name',
      'zoo.cfg': 'ZooKeeper reads zoo.cfg as ISO-8859-1 and keeps it (as "ï»¿") in the first key',
    }[kind]
    notes.push({rule: 'CONF-ENCODING', severity: 'warning', file, line: 1, col: 1,
      message: `the file starts with a UTF-8 byte-order mark; ${what}`, hint: 'save the file as UTF-8 without BOM'})
  }
  const offset = kind === 'zoo.cfg' || isUtf8(buf) ? buf.length : firstInvalidUtf8(buf)
  if (offset < buf.length) {
    const {line, col} = lineColOfByte(buf, offset)
    const byte = `0x${buf[offset]!.toString(16).padStart(2, '0').toUpperCase()}`
    notes.push(kind === 'config.yaml'
      ? {rule: 'CONF-ENCODING', severity: 'error', file, line, col,
          message: `byte ${byte} is not UTF-8; Flink's YAML loader refuses the file (MalformedInputException)`,
          hint: 'save config.yaml as UTF-8 (e.g. iconv -f latin1 -t utf-8)'}
      : {rule: 'CONF-ENCODING', severity: 'warning', file, line, col,
          message: `byte ${byte} is not UTF-8; ${kind === 'hosts' ? 'host names must be ASCII' : 'Flink reads it as the replacement character U+FFFD'}`,
          hint: 'save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)'})
  }
  return {text, notes}
}

function firstLineKey(text: string): string {
  const end = text.search(/[\r\n]/)
  const first = text.slice(1, end === -1 ? Math.min(text.length, 200) : Math.min(end, 200))
  const sep = first.indexOf(': ')
  return sep > 0 ? ` ('\\uFEFF${clip(javaTrim(first.slice(0, sep)), 60)}')` : ''
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
export function firstInvalidUtf8(buf: Uint8Array): number {
  let i = 0
  while (i < buf.length) {
    const b = buf[i]!
    if (b < 0x80) { i++; continue }
    let need: number
    let min: number
    if (b >= 0xc2 && b <= 0xdf) { need = 1; min = 0x80 } else if (b >= 0xe0 && b <= 0xef) { need = 2; min = 0x800 } else if (b >= 0xf0 && b <= 0xf4) { need = 3; min = 0x10000 } else return i
    let cp = b & (0x3f >> need)
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k]
      if (c === undefined || (c & 0xc0) !== 0x80) return i
      cp = (cp << 6) | (c & 0x3f)
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i
    i += need + 1
  }
  return buf.length
}

function lineColOfByte(buf: Uint8Array, offset: number): {line: number; col: number} {
  let line = 1
  let start = 0
  for (let i = 0; i < offset; i++) {
    if (buf[i] === 0x0a) {
      line++
      start = i + 1
    }
  }
  return {line, col: Buffer.from(buf.buffer, buf.byteOffset + start, offset - start).toString('utf8').length + 1}
}

/** Java's String.trim(): strips every char up to U+0020 (NUL and controls too), but not NBSP or a BOM. */
export function javaTrim(s: string): string {
  let start = 0
  let end = s.length
  while (start < end && s.charCodeAt(start) <= 0x20) start++
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--
  return start === 0 && end === s.length ? s : s.slice(start, end)
}

/** Text from a file quoted in a message, shortened so a 10 MB line cannot flood the output. */
export function clip(s: string, max = 120): string {
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length} characters)`
}
