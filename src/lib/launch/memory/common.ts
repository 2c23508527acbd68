/**
 * Shared pieces of Flink's process memory model (flink-runtime util/config/memory): the view of
 * the configuration Flink's ConfigOptions give (defaults, deprecated fallback keys, parsing), the
 * MemorySize arithmetic, RangeFraction, ProcessMemoryUtils and the two output formats.
 *
 * Sizes are bigint bytes throughout, because Flink's are Java longs and some defaults are
 * Long.MAX_VALUE.
 */
import {ConfigError} from '../../errors.ts'
import {parseMemoryBytes} from '../../conf/sizes.ts'
import {
  humanReadableBytes,
  javaDoubleToString,
  javaFloatToString,
  LONG_MAX,
  memorySizeToString,
  multiplyBytes,
  parseJavaDouble,
  parseJavaFloat,
  parseJavaInt,
  parseJavaLong,
} from './java-format.ts'
import {JavaHashMap} from './java-hashmap.ts'

// ---------------------------------------------------------------------------------------------
//  Public input/output types
// ---------------------------------------------------------------------------------------------

export interface MemoryInput {
  /** Flat Flink configuration: key as written -> value (file and -D merged, deprecated keys unresolved). */
  config: ReadonlyMap<string, string>
  /** Flink version; 1.x follows Flink 1.20, 2.x follows Flink 2.0-2.2. Unknown = newest (2.x). */
  version?: {major: number; minor: number; patch: number}
  /**
   * Environment Flink 1.x's BashJavaUtils would see: it reads FLINK_TM_HEAP / FLINK_JM_HEAP as a
   * legacy heap size. Not read from process.env unless the caller passes it.
   */
  env?: Readonly<Record<string, string | undefined>>
}

export interface ResourceParams {
  /** The first BASH_JAVA_UTILS_EXEC_RESULT line: `-Xmx... -Xms... [-XX:MaxDirectMemorySize=...] -XX:MaxMetaspaceSize=...`. */
  jvmParams: string
  /** The second line: `-D key=value` pairs in Java HashMap iteration order. */
  dynamicConfigs: string
  /** Each component in bytes, for display. */
  spec: Record<string, number>
}

/** What went wrong, as the Java exception Flink would have thrown; `message` is Flink's own text. */
export type FlinkExceptionKind = 'IllegalConfigurationException' | 'IllegalArgumentException' | 'ArithmeticException'

export class MemoryConfigError extends ConfigError {
  readonly key: string | undefined
  declare readonly hint: string
  /** The Java exception class BashJavaUtils would have died with. */
  readonly flinkException: FlinkExceptionKind

  constructor(message: string, opts: {hint: string; key?: string; flinkException?: FlinkExceptionKind; cause?: unknown}) {
    super(message, {code: 'MEMORY_CONFIG', hint: opts.hint, cause: opts.cause, details: opts.key === undefined ? undefined : {key: opts.key}})
    this.name = 'MemoryConfigError'
    this.key = opts.key
    this.flinkException = opts.flinkException ?? 'IllegalConfigurationException'
  }
}

/** `new IllegalConfigurationException(prefix + e.getMessage(), e)` around IllegalConfigurationExceptions only. */
export function prefixIllegalConfig<T>(prefix: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof MemoryConfigError && err.flinkException === 'IllegalConfigurationException') {
      throw new MemoryConfigError(prefix + err.message, {hint: err.hint, key: err.key, cause: err})
    }
    throw err
  }
}

export const isFlink2 = (version: MemoryInput['version']): boolean => version === undefined || version.major >= 2

// ---------------------------------------------------------------------------------------------
//  Config options and the Configuration view
// ---------------------------------------------------------------------------------------------

interface OptionBase {
  readonly key: string
  /** Deprecated keys, in the order Flink's Configuration tries them after `key`. */
  readonly fallbackKeys: readonly string[]
}
export interface MemoryOption extends OptionBase {
  readonly type: 'memory'
  readonly defaultValue?: bigint
}
export interface FloatOption extends OptionBase {
  readonly type: 'float'
  readonly defaultValue: number
}
export interface IntOption extends OptionBase {
  readonly type: 'int'
  readonly defaultValue?: number
}
export interface DoubleOption extends OptionBase {
  readonly type: 'double'
  readonly defaultValue?: number
}
export interface BooleanOption extends OptionBase {
  readonly type: 'boolean'
  readonly defaultValue: boolean
}
export type ConfigOption = MemoryOption | FloatOption | IntOption | DoubleOption | BooleanOption

export const MiB = 1024n * 1024n

export const memoryOption = (key: string, defaultValue?: bigint, fallbackKeys: readonly string[] = []): MemoryOption =>
  ({type: 'memory', key, fallbackKeys, defaultValue})
export const floatOption = (key: string, defaultValue: number, fallbackKeys: readonly string[] = []): FloatOption =>
  ({type: 'float', key, fallbackKeys, defaultValue: Math.fround(defaultValue)})

/** ConfigOption#toString, which Flink puts into some messages verbatim. */
export function describeOption(opt: ConfigOption): string {
  let def: string
  if (opt.defaultValue === undefined) def = 'null'
  else if (opt.type === 'memory') def = memorySizeToString(opt.defaultValue as bigint)
  else if (opt.type === 'float') def = javaFloatToString(opt.defaultValue)
  else if (opt.type === 'double') def = javaDoubleToString(opt.defaultValue as number)
  else def = String(opt.defaultValue)
  const fallbacks = opt.fallbackKeys.map((k) => `{key=${k}, isDeprecated=true}`).join(', ')
  return `Key: '${opt.key}' , default: ${def} (fallback keys: [${fallbacks}])`
}

/** Flink's Configuration as the memory code sees it: contains/get with deprecated-key fallback. */
export class FlinkConfiguration {
  private readonly entries: ReadonlyMap<string, string>

  constructor(entries: ReadonlyMap<string, string>) {
    this.entries = entries
  }

  /** A copy with `key` set, like `new Configuration(conf).set(option, value)`. */
  with(key: string, value: string): FlinkConfiguration {
    const copy = new Map(this.entries)
    copy.set(key, value)
    return new FlinkConfiguration(copy)
  }

  /** The value under the option's key or else its first present fallback key. */
  raw(opt: OptionBase): {key: string; value: string} | undefined {
    for (const key of [opt.key, ...opt.fallbackKeys]) {
      const value = this.entries.get(key)
      if (value !== undefined) return {key, value}
    }
    return undefined
  }

  rawKey(key: string): string | undefined {
    return this.entries.get(key)
  }

  contains(opt: OptionBase): boolean {
    return this.raw(opt) !== undefined
  }

  /**
   * ProcessMemoryUtils.getMemorySizeFromConfig: the configured or default size; any failure
   * (unparsable, unset without default) becomes "Cannot read memory size from config option".
   */
  memory(opt: MemoryOption, hint?: string): bigint {
    const raw = this.raw(opt)
    if (raw === undefined) {
      if (opt.defaultValue !== undefined) return opt.defaultValue
      throw new MemoryConfigError(`Cannot read memory size from config option '${opt.key}'.`, {
        key: opt.key,
        hint: hint ?? `set ${opt.key} to a size such as 1024m`,
      })
    }
    const parsed = parseMemoryBytes(raw.value)
    if (!parsed.ok) {
      throw new MemoryConfigError(`Cannot read memory size from config option '${opt.key}'.`, {
        key: raw.key,
        hint: `${raw.key}: ${parsed.reason}; write a whole number of bytes with an optional unit (b, k/kb, m/mb, g/gb, t/tb), e.g. 1024m`,
      })
    }
    return parsed.value
  }

  /** Configuration#getFloat: Float.parseFloat of the text; unparsable -> IllegalArgumentException. */
  float(opt: FloatOption): number {
    const raw = this.raw(opt)
    if (raw === undefined) return opt.defaultValue
    const value = parseJavaFloat(raw.value)
    if (value === undefined) throw couldNotParse(opt, raw, 'a decimal fraction such as 0.1')
    return value
  }

  double(opt: DoubleOption): number | undefined {
    const raw = this.raw(opt)
    if (raw === undefined) return opt.defaultValue
    const value = parseJavaDouble(raw.value)
    if (value === undefined) throw couldNotParse(opt, raw, 'a number such as 2 or 1.5')
    return value
  }

  int(opt: IntOption): number | undefined {
    const raw = this.raw(opt)
    if (raw === undefined) return opt.defaultValue
    const value = parseJavaInt(raw.value)
    if (value === undefined) throw couldNotParse(opt, raw, 'a whole number')
    return value
  }

  long(key: string): bigint | undefined {
    const value = this.entries.get(key)
    if (value === undefined) return undefined
    const parsed = parseJavaLong(value)
    if (parsed === undefined) throw couldNotParse({key, fallbackKeys: []}, {key, value}, 'a whole number')
    return parsed
  }

  boolean(opt: BooleanOption): boolean {
    const raw = this.raw(opt)
    if (raw === undefined) return opt.defaultValue
    const upper = raw.value.toUpperCase()
    if (upper === 'TRUE') return true
    if (upper === 'FALSE') return false
    throw couldNotParse(opt, raw, 'true or false')
  }
}

function couldNotParse(opt: OptionBase, raw: {key: string; value: string}, expected: string): MemoryConfigError {
  return new MemoryConfigError(`Could not parse value '${raw.value}' for key '${opt.key}'.`, {
    key: raw.key,
    hint: `${raw.key} must be ${expected}`,
    flinkException: 'IllegalArgumentException',
  })
}

// ---------------------------------------------------------------------------------------------
//  MemorySize arithmetic (Java longs; add/subtract are Math.addExact/subtractExact + bytes >= 0)
// ---------------------------------------------------------------------------------------------

export const human = humanReadableBytes

function checkBytes(bytes: bigint): bigint {
  if (bytes < 0n) {
    throw new MemoryConfigError('bytes must be >= 0', {
      hint: 'the configured memory sizes contradict each other; set fewer of them and let Flink derive the rest',
      flinkException: 'IllegalArgumentException',
    })
  }
  if (bytes > LONG_MAX) throw longOverflow()
  return bytes
}

const longOverflow = (): MemoryConfigError =>
  new MemoryConfigError('long overflow', {
    hint: 'a configured memory size is too large to add up as a Java long; use realistic sizes',
    flinkException: 'ArithmeticException',
  })

export const add = (...sizes: bigint[]): bigint => checkBytes(sizes.reduce((a, b) => a + b, 0n))
export const subtract = (a: bigint, b: bigint): bigint => checkBytes(a - b)

/** MemorySize#multiply(double). */
export function multiply(bytes: bigint, multiplier: number): bigint {
  try {
    return multiplyBytes(bytes, multiplier)
  } catch (err) {
    if (err instanceof RangeError && err.message === 'long overflow') throw longOverflow()
    throw new MemoryConfigError((err as Error).message, {hint: 'check the configured memory fractions', flinkException: 'IllegalArgumentException'})
  }
}

// ---------------------------------------------------------------------------------------------
//  RangeFraction and derivations (ProcessMemoryUtils' static helpers)
// ---------------------------------------------------------------------------------------------

export interface RangeFraction {
  readonly min: bigint
  readonly max: bigint
  /** The float option widened to double, as Flink stores it. */
  readonly fraction: number
}

/** ProcessMemoryUtils.getRangeFraction. */
export function getRangeFraction(min: bigint, max: bigint, fractionOption: FloatOption, conf: FlinkConfiguration, rangeKeys: {min: string; max: string}): RangeFraction {
  const fraction = conf.float(fractionOption)
  if (!(min <= max) || !(fraction >= 0 && fraction < 1)) {
    const why = !(min <= max) ? `${rangeKeys.min} must not be larger than ${rangeKeys.max}` : `${fractionOption.key} must be at least 0 and below 1`
    throw new MemoryConfigError(
      `Inconsistently configured ${describeOption(fractionOption)} (${javaDoubleToString(fraction)}) and its min (${human(min)}), max (${human(max)}) value`,
      {key: !(min <= max) ? rangeKeys.min : fractionOption.key, hint: `${why} (min ${human(min)}, max ${human(max)}, fraction ${javaDoubleToString(fraction)})`},
    )
  }
  return {min, max, fraction}
}

function capToMinMax(size: bigint, range: RangeFraction): bigint {
  if (size > range.max) return range.max
  if (size < range.min) return range.min
  return size
}

/** ProcessMemoryUtils.deriveWithFraction: base * fraction, capped to [min, max]. */
export const deriveWithFraction = (base: bigint, range: RangeFraction): bigint => capToMinMax(multiply(base, range.fraction), range)

/** ProcessMemoryUtils.deriveWithInverseFraction: base * f / (1 - f) (double arithmetic), capped to [min, max]. */
export const deriveWithInverseFraction = (base: bigint, range: RangeFraction): bigint =>
  capToMinMax(multiply(base, range.fraction / (1 - range.fraction)), range)

// ---------------------------------------------------------------------------------------------
//  ProcessMemoryUtils#memoryProcessSpecFromConfig
// ---------------------------------------------------------------------------------------------

export interface ProcessMemoryOptions {
  /** Options that, all configured, define the Flink memory on their own (JM: heap; TM: task heap + managed). */
  readonly requiredFineGrained: readonly MemoryOption[]
  readonly totalFlink: MemoryOption
  readonly totalProcess: MemoryOption
  readonly metaspace: MemoryOption
  readonly overheadMin: MemoryOption
  readonly overheadMax: MemoryOption
  readonly overheadFraction: FloatOption
  /** Hint naming the keys that would satisfy the "need to be configured explicitly" check. */
  readonly notConfiguredHint: (conf: FlinkConfiguration) => string
}

export interface FlinkMemoryDerivation<FM extends {totalFlink: bigint}> {
  deriveFromRequiredFineGrainedOptions(conf: FlinkConfiguration): FM
  deriveFromTotalFlinkMemory(conf: FlinkConfiguration, totalFlink: bigint): FM
}

export interface CommonProcessMemorySpec<FM> {
  flink: FM
  metaspace: bigint
  overhead: bigint
}

export function memoryProcessSpecFromConfig<FM extends {totalFlink: bigint}>(
  conf: FlinkConfiguration,
  options: ProcessMemoryOptions,
  utils: FlinkMemoryDerivation<FM>,
): CommonProcessMemorySpec<FM> {
  if (options.requiredFineGrained.every((o) => conf.contains(o))) {
    // all internal memory options are configured: they define total Flink and process memory
    const flink = utils.deriveFromRequiredFineGrainedOptions(conf)
    return {flink, ...deriveJvmMetaspaceAndOverheadFromTotalFlinkMemory(conf, options, flink.totalFlink)}
  }
  if (conf.contains(options.totalFlink)) {
    const totalFlink = conf.memory(options.totalFlink)
    const flink = utils.deriveFromTotalFlinkMemory(conf, totalFlink)
    return {flink, ...deriveJvmMetaspaceAndOverheadFromTotalFlinkMemory(conf, options, totalFlink)}
  }
  if (conf.contains(options.totalProcess)) {
    const totalProcess = conf.memory(options.totalProcess)
    const jvm = deriveJvmMetaspaceAndOverheadWithTotalProcessMemory(conf, options, totalProcess)
    const totalFlink = subtract(totalProcess, add(jvm.metaspace, jvm.overhead))
    return {flink: utils.deriveFromTotalFlinkMemory(conf, totalFlink), ...jvm}
  }
  throw new MemoryConfigError(
    `Either required fine-grained memory (${options.requiredFineGrained.map((o) => o.key).join(' and ')}), ` +
      `or Total Flink Memory size (${describeOption(options.totalFlink)}), ` +
      `or Total Process Memory size (${describeOption(options.totalProcess)}) need to be configured explicitly.`,
    {key: options.totalProcess.key, hint: options.notConfiguredHint(conf)},
  )
}

function jvmOverheadRangeFraction(conf: FlinkConfiguration, options: ProcessMemoryOptions): RangeFraction {
  const min = conf.memory(options.overheadMin)
  const max = conf.memory(options.overheadMax)
  return getRangeFraction(min, max, options.overheadFraction, conf, {min: options.overheadMin.key, max: options.overheadMax.key})
}

function deriveJvmMetaspaceAndOverheadWithTotalProcessMemory(conf: FlinkConfiguration, options: ProcessMemoryOptions, totalProcess: bigint): {metaspace: bigint; overhead: bigint} {
  const metaspace = conf.memory(options.metaspace)
  const overhead = deriveWithFraction(totalProcess, jvmOverheadRangeFraction(conf, options))
  if (add(metaspace, overhead) > totalProcess) {
    throw new MemoryConfigError(
      `Sum of configured JVM Metaspace (${human(metaspace)}) and JVM Overhead (${human(overhead)}) exceed configured Total Process Memory (${human(totalProcess)}).`,
      {
        key: options.totalProcess.key,
        hint: `raise ${options.totalProcess.key} above ${human(add(metaspace, overhead))}, or lower ${options.metaspace.key} / ${options.overheadMin.key}`,
      },
    )
  }
  return {metaspace, overhead}
}

function deriveJvmMetaspaceAndOverheadFromTotalFlinkMemory(conf: FlinkConfiguration, options: ProcessMemoryOptions, totalFlink: bigint): {metaspace: bigint; overhead: bigint} {
  const metaspace = conf.memory(options.metaspace)
  const totalFlinkAndMetaspace = add(totalFlink, metaspace)
  if (conf.contains(options.totalProcess)) {
    const totalProcess = conf.memory(options.totalProcess)
    if (totalProcess < totalFlinkAndMetaspace) {
      throw new MemoryConfigError(
        `The configured Total Process Memory size (${human(totalProcess)}) is less than the sum of the derived Total Flink Memory size (${human(totalFlink)}) and the configured or default JVM Metaspace size  (${human(metaspace)}).`,
        {
          key: options.totalProcess.key,
          hint: `raise ${options.totalProcess.key} to at least ${human(totalFlinkAndMetaspace)} plus JVM overhead, or set only one of ${options.totalProcess.key} and the Flink memory sizes`,
        },
      )
    }
    const overhead = subtract(totalProcess, totalFlinkAndMetaspace)
    const range = jvmOverheadRangeFraction(conf, options)
    if (overhead > range.max || overhead < range.min) {
      throw new MemoryConfigError(
        `Derived JVM Overhead size (${human(overhead)}) is not in configured JVM Overhead range [${human(range.min)}, ${human(range.max)}].`,
        {
          key: options.totalProcess.key,
          hint: `${options.totalProcess.key} minus Total Flink Memory and JVM Metaspace leaves ${human(overhead)} for JVM overhead; ` +
            `adjust ${options.totalProcess.key} or ${options.overheadMin.key}/${options.overheadMax.key}, or set only one of ${options.totalProcess.key} and the Flink memory sizes`,
        },
      )
    }
    return {metaspace, overhead}
  }
  const overhead = deriveWithInverseFraction(totalFlinkAndMetaspace, jvmOverheadRangeFraction(conf, options))
  // sanityCheckTotalProcessMemory only compares when the process size is configured, which it is not here.
  return {metaspace, overhead}
}

// ---------------------------------------------------------------------------------------------
//  Output formats
// ---------------------------------------------------------------------------------------------

/** ProcessMemoryUtils.generateJvmParametersStr. */
export function generateJvmParametersStr(spec: {jvmHeap: bigint; jvmDirect: bigint; metaspace: bigint}, enableDirectMemoryLimit: boolean): string {
  let s = `-Xmx${spec.jvmHeap} -Xms${spec.jvmHeap}`
  if (enableDirectMemoryLimit) s += ` -XX:MaxDirectMemorySize=${spec.jvmDirect}`
  return `${s} -XX:MaxMetaspaceSize=${spec.metaspace}`
}

/** ConfigurationUtils.assembleDynamicConfigsStr over a HashMap filled in `puts` order. */
export function assembleDynamicConfigsStr(puts: ReadonlyArray<readonly [string, string]>): string {
  const map = new JavaHashMap<string>()
  for (const [k, v] of puts) map.put(k, v)
  return map.entries().map(([k, v]) => `-D ${k}=${v}`).join(' ')
}

export const bytesValue = (bytes: bigint): string => `${bytes}b`

/** Spec values as numbers for display (every derived size is far below 2^53). */
export const toNumbers = (spec: Record<string, bigint>): Record<string, number> =>
  Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, Number(v)]))

// ---------------------------------------------------------------------------------------------
//  MemoryBackwardsCompatibilityUtils (Flink 1.x only; removed in 2.0 by FLINK-33750)
// ---------------------------------------------------------------------------------------------

export interface LegacyHeapOptions {
  readonly envVar: string
  readonly heap: MemoryOption
  readonly heapMb: IntOption
}

/**
 * getConfWithLegacyHeapSizeMappedToNewConfigOption: when `target` is not configured, a legacy heap
 * size (env var, then `*.heap.size`, then `*.heap.mb`) is copied into it.
 */
export function mapLegacyHeap(conf: FlinkConfiguration, legacy: LegacyHeapOptions, target: MemoryOption, env: MemoryInput['env']): FlinkConfiguration {
  if (conf.contains(target)) return conf
  const envValue = env?.[legacy.envVar]
  let bytes: bigint | undefined
  if (envValue !== undefined) {
    const parsed = parseMemoryBytes(envValue)
    if (!parsed.ok) {
      throw new MemoryConfigError(`Cannot read total process memory size from environment variable value ${envValue}.`, {
        key: legacy.envVar,
        hint: `unset ${legacy.envVar} or give it a size such as 1024m (better: set ${target.key} instead)`,
      })
    }
    bytes = parsed.value
  } else if (conf.contains(legacy.heap)) {
    bytes = conf.memory(legacy.heap)
  } else if (conf.contains(legacy.heapMb)) {
    const mb = conf.int(legacy.heapMb)!
    if (mb < 0) {
      throw new MemoryConfigError(`Configured total process memory size (${mb}MB) must not be less than 0.`, {
        key: legacy.heapMb.key,
        hint: `remove ${legacy.heapMb.key} and set ${target.key} instead`,
      })
    }
    bytes = BigInt(mb) << 20n
  }
  return bytes === undefined ? conf : conf.with(target.key, `${bytes}b`)
}
