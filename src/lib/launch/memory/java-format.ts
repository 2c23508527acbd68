/**
 * The few pieces of java.lang / java.math / java.util.Formatter behaviour that Flink's memory
 * arithmetic and its messages depend on: Double.toString, BigDecimal.valueOf(double), the
 * `%.3f` of MemorySize.toHumanReadableString, and Float/Double/Integer/Long.parseX.
 */

export const LONG_MAX = 2n ** 63n - 1n

/**
 * The shortest decimal that reads back as `x` (x finite, > 0), as `0.DIGITS × 10^exp10` with no
 * leading or trailing zero in DIGITS. This is Double.toString's digit string on JDK 19+ and, for
 * every value Flink's memory code produces, on older JDKs too (see the report on JDK-4511638).
 */
export function shortestDecimal(x: number): {digits: string; exp10: number} {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`shortestDecimal needs a positive finite number, got ${x}`)
  const text = String(x) // ECMAScript Number::toString: shortest round-trip digits, closest on ties
  const [mantissa, exponent] = text.split('e') as [string, string | undefined]
  const dot = mantissa.indexOf('.')
  const intPart = dot < 0 ? mantissa : mantissa.slice(0, dot)
  const fracPart = dot < 0 ? '' : mantissa.slice(dot + 1)
  let digits = intPart + fracPart
  let exp10 = intPart.length + (exponent === undefined ? 0 : Number(exponent))
  while (digits.startsWith('0')) {
    digits = digits.slice(1)
    exp10--
  }
  digits = digits.replace(/0+$/, '')
  return {digits, exp10}
}

/** java.lang.Double#toString(double) (also String.valueOf(double) and `"" + d`). */
export function javaDoubleToString(x: number): string {
  if (Number.isNaN(x)) return 'NaN'
  if (x === Infinity) return 'Infinity'
  if (x === -Infinity) return '-Infinity'
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0'
  const sign = x < 0 ? '-' : ''
  const {digits, exp10} = shortestDecimal(Math.abs(x))
  if (exp10 > 0 && exp10 < 8) {
    // 1e-0 <= |x| < 1e7: plain notation with at least one fractional digit
    const intPart = digits.length >= exp10 ? digits.slice(0, exp10) : digits + '0'.repeat(exp10 - digits.length)
    const frac = digits.length > exp10 ? digits.slice(exp10) : '0'
    return `${sign}${intPart}.${frac}`
  }
  if (exp10 <= 0 && exp10 > -3) return `${sign}0.${'0'.repeat(-exp10)}${digits}` // 1e-3 <= |x| < 1
  return `${sign}${digits[0]}.${digits.length > 1 ? digits.slice(1) : '0'}E${exp10 - 1}`
}

/** java.lang.Float#toString(float) for a value that is already a float (used for option defaults). */
export function javaFloatToString(x: number): string {
  // Shortest digits that round-trip through float: try increasing precision.
  if (!Number.isFinite(x) || x === 0) return javaDoubleToString(x)
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(x.toPrecision(p))
    if (Math.fround(candidate) === x) return javaDoubleToString(candidate)
  }
  return javaDoubleToString(x)
}

/**
 * `bytes * multiplier` exactly as MemorySize#multiply does it on Flink 1.11+:
 * BigDecimal.valueOf(bytes).multiply(BigDecimal.valueOf(multiplier)).longValue(), where
 * BigDecimal.valueOf(double) is new BigDecimal(Double.toString(multiplier)); the product is
 * truncated toward zero. Throws RangeError('long overflow') like Flink's ArithmeticException.
 */
export function multiplyBytes(bytes: bigint, multiplier: number): bigint {
  if (!(multiplier >= 0)) throw new RangeError('multiplier must be >= 0')
  if (!Number.isFinite(multiplier)) throw new RangeError('Infinite or NaN')
  if (multiplier === 0 || bytes === 0n) return 0n
  const {digits, exp10} = shortestDecimal(multiplier)
  const scale = digits.length - exp10 // multiplier = BigInt(digits) / 10^scale
  const product = bytes * BigInt(digits)
  if (scale <= 0) {
    const exact = product * 10n ** BigInt(-scale)
    if (exact > LONG_MAX) throw new RangeError('long overflow')
    return exact
  }
  const divisor = 10n ** BigInt(scale)
  if (product > LONG_MAX * divisor) throw new RangeError('long overflow')
  return product / divisor
}

/** `String.format(Locale.ROOT, "%.3f", x)` for x >= 0: half-up rounding of Double.toString's digits. */
export function javaFormatFixed3(x: number): string {
  if (x === 0) return '0.000'
  const {digits, exp10} = shortestDecimal(x)
  const shift = exp10 - digits.length + 3 // x * 1000 = digits * 10^shift
  let scaled: bigint
  if (shift >= 0) {
    scaled = BigInt(digits) * 10n ** BigInt(shift)
  } else {
    const div = 10n ** BigInt(-shift)
    const d = BigInt(digits)
    scaled = d / div
    if ((d % div) * 2n >= div) scaled += 1n
  }
  const text = scaled.toString().padStart(4, '0')
  return `${text.slice(0, -3)}.${text.slice(-3)}`
}

const UNITS: ReadonlyArray<readonly [bigint, string]> = [
  [1n, 'bytes'],
  [1024n, 'kb'],
  [1024n ** 2n, 'mb'],
  [1024n ** 3n, 'gb'],
  [1024n ** 4n, 'tb'],
]

/** MemorySize#toHumanReadableString, e.g. `192.000mb (201326592 bytes)` or `0 bytes`. */
export function humanReadableBytes(bytes: bigint): string {
  let highest = 0
  UNITS.forEach(([mult], idx) => {
    if (bytes > mult) highest = idx
  })
  if (highest === 0) return `${bytes} bytes`
  const [mult, name] = UNITS[highest]!
  return `${javaFormatFixed3(Number(bytes) / Number(mult))}${name} (${bytes} bytes)`
}

/** MemorySize#toString, e.g. `64 mb`, `9223372036854775807 bytes`; used in ConfigOption#toString. */
export function memorySizeToString(bytes: bigint): string {
  let idx = UNITS.findIndex(([mult]) => bytes % mult !== 0n)
  idx = idx <= 0 ? 0 : idx - 1
  const [mult, name] = UNITS[idx]!
  return `${bytes / mult} ${name}`
}

/** String#trim: strips every char <= U+0020 at both ends (not Unicode white space). */
export const javaTrim = (s: string): string => s.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '')

const DECIMAL_FLOAT = /^[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)$/

/** Double.parseDouble; undefined where Java throws NumberFormatException (hex floats unsupported). */
export function parseJavaDouble(text: string): number | undefined {
  const t = javaTrim(text)
  if (!DECIMAL_FLOAT.test(t)) return undefined
  return Number(t.replace(/[fFdD]$/, ''))
}

/**
 * Float.parseFloat, widened to double as Flink does when it reads a float option into a
 * `double fraction`. Rounds through double first: exact except for decimals within 2^-53 of a
 * float rounding boundary, which no hand-written fraction is.
 */
export function parseJavaFloat(text: string): number | undefined {
  const d = parseJavaDouble(text)
  return d === undefined ? undefined : Math.fround(d)
}

/** Integer.parseInt (no trimming, optional sign, ASCII digits, int range). */
export function parseJavaInt(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined
  const n = Number(text)
  return n >= -(2 ** 31) && n <= 2 ** 31 - 1 ? n : undefined
}

/** Long.parseLong (no trimming, optional sign, ASCII digits, long range). */
export function parseJavaLong(text: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined
  const n = BigInt(text)
  return n >= -LONG_MAX - 1n && n <= LONG_MAX ? n : undefined
}
