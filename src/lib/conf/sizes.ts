/**
 * Flink's MemorySize and Duration text formats, parsed exactly as
 * org.apache.flink.configuration.MemorySize and org.apache.flink.util.TimeUtils do:
 * leading decimal digits, then an optional unit; no fractions, no signs.
 */

const MEMORY_UNITS: ReadonlyArray<readonly [number, readonly string[]]> = [
  [1, ['b', 'bytes']],
  [1024, ['k', 'kb', 'kibibytes']],
  [1024 ** 2, ['m', 'mb', 'mebibytes']],
  [1024 ** 3, ['g', 'gb', 'gibibytes']],
  [1024 ** 4, ['t', 'tb', 'tebibytes']],
]

export const MEMORY_UNIT_HINT = 'a whole number with an optional unit: b, k/kb, m/mb, g/gb or t/tb (e.g. 1024m, 2g)'
export const DURATION_UNIT_HINT = 'a whole number with an optional unit: ms, s, min, h or d (e.g. 500 ms, 30 s, 2 min)'

export type Parsed<T> = {ok: true; value: T} | {ok: false; reason: string}

function splitNumber(text: string): {number: string; unit: string} {
  const trimmed = text.trim()
  let pos = 0
  while (pos < trimmed.length && trimmed.charCodeAt(pos) >= 48 && trimmed.charCodeAt(pos) <= 57) pos++
  return {number: trimmed.slice(0, pos), unit: trimmed.slice(pos).trim().toLowerCase()}
}

/** Bytes of a Flink memory size such as `1728m`, `1 gb` or `4096` (bytes). */
export function parseMemorySize(text: string): Parsed<number> {
  if (text.trim() === '') return {ok: false, reason: 'the value is empty'}
  const {number, unit} = splitNumber(text)
  if (number === '') return {ok: false, reason: `'${text.trim()}' does not start with a number`}
  let multiplier = 1
  if (unit !== '') {
    const found = MEMORY_UNITS.find(([, names]) => names.includes(unit))
    if (!found) return {ok: false, reason: `'${unit}' is not a memory unit`}
    multiplier = found[0]
  }
  const value = Number(number) * multiplier
  if (!Number.isSafeInteger(value)) return {ok: false, reason: `'${text.trim()}' is too large`}
  return {ok: true, value}
}

const LONG_MAX = 2n ** 63n - 1n

/**
 * Bytes of a Flink memory size as a bigint, over MemorySize.parse's whole range (up to
 * Long.MAX_VALUE = 9223372036854775807 bytes). parseMemorySize stops at 2^53 because it returns a
 * number; Flink's memory model needs the rest (e.g. `taskmanager.memory.network.max`).
 */
export function parseMemoryBytes(text: string): Parsed<bigint> {
  if (text.trim() === '') return {ok: false, reason: 'the value is empty'}
  const {number, unit} = splitNumber(text)
  if (number === '') return {ok: false, reason: `'${text.trim()}' does not start with a number`}
  let multiplier = 1n
  if (unit !== '') {
    const found = MEMORY_UNITS.find(([, names]) => names.includes(unit))
    if (!found) return {ok: false, reason: `'${unit}' is not a memory unit`}
    multiplier = BigInt(found[0])
  }
  const value = BigInt(number) * multiplier
  if (BigInt(number) > LONG_MAX || value > LONG_MAX) return {ok: false, reason: `'${text.trim()}' is too large`}
  return {ok: true, value}
}

const DURATION_UNITS: ReadonlyArray<readonly [number, readonly string[]]> = [
  [1e-6, ['ns', 'nano', 'nanos', 'nanosecond', 'nanoseconds']],
  [1e-3, ['µs', 'micro', 'micros', 'microsecond', 'microseconds']],
  [1, ['ms', 'milli', 'millis', 'millisecond', 'milliseconds']],
  [1000, ['s', 'sec', 'secs', 'second', 'seconds']],
  [60_000, ['m', 'min', 'mins', 'minute', 'minutes']],
  [3_600_000, ['h', 'hour', 'hours']],
  [86_400_000, ['d', 'day', 'days']],
]

/** Milliseconds of a Flink duration such as `60 s`, `1 min` or `60000` (milliseconds). */
export function parseDuration(text: string): Parsed<number> {
  if (text.trim() === '') return {ok: false, reason: 'the value is empty'}
  const {number, unit} = splitNumber(text)
  if (number === '') return {ok: false, reason: `'${text.trim()}' does not start with a number`}
  let multiplier = 1
  if (unit !== '') {
    const found = DURATION_UNITS.find(([, names]) => names.includes(unit))
    if (!found) return {ok: false, reason: `'${unit}' is not a time unit`}
    multiplier = found[0]
  }
  return {ok: true, value: Number(number) * multiplier}
}

/** True when the text is a bare integer, the only duration form Flink accepted before 1.20 for some keys. */
export function isBareInteger(text: string): boolean {
  return /^\s*\d+\s*$/.test(text)
}

/** `1234567b`-style rendering used by Flink's dynamic properties. */
export const bytesToFlinkString = (bytes: number): string => `${bytes}b`

/** Human rendering: the largest binary unit that divides evenly, like MemorySize.toHumanReadableString's spirit. */
export function formatBytes(bytes: number): string {
  for (const [mult, names] of [...MEMORY_UNITS].reverse()) {
    if (mult > 1 && bytes % mult === 0) return `${bytes / mult}${names[0]}`
  }
  return `${bytes}b`
}
