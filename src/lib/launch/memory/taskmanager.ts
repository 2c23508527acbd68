/**
 * BashJavaUtils GET_TM_RESOURCE_PARAMS: TaskExecutorProcessUtils + TaskExecutorFlinkMemoryUtils.
 *
 * Flink 1.x: getConfigurationMapLegacyTaskManagerHeapSizeToConfigOption(config, TOTAL_FLINK_MEMORY)
 * first (`taskmanager.heap.size` / `taskmanager.heap.mb` / $FLINK_TM_HEAP become
 * `taskmanager.memory.flink.size` when that is unset), and `taskmanager.network.numberOfBuffers`
 * still sizes network memory when no new network option is set.
 * Flink 2.x: both legacy paths are gone (FLINK-33750); the keys are ignored.
 * Both wrap IllegalConfigurationExceptions in "TaskManager memory configuration failed: ".
 */
import {
  add,
  assembleDynamicConfigsStr,
  bytesValue,
  deriveWithFraction,
  deriveWithInverseFraction,
  type DoubleOption,
  type FlinkMemoryDerivation,
  FlinkConfiguration,
  floatOption,
  generateJvmParametersStr,
  getRangeFraction,
  human,
  type IntOption,
  isFlink2,
  type LegacyHeapOptions,
  mapLegacyHeap,
  MemoryConfigError,
  type MemoryInput,
  memoryOption,
  memoryProcessSpecFromConfig,
  MiB,
  prefixIllegalConfig,
  type ProcessMemoryOptions,
  type RangeFraction,
  type ResourceParams,
  subtract,
  toNumbers,
} from './common.ts'
import {javaDoubleToString, javaTrim, LONG_MAX, shortestDecimal} from './java-format.ts'
import {javaHashMapOrder, javaHashSetFromCollectionOrder} from './java-hashmap.ts'

export const TM = {
  TOTAL_PROCESS_MEMORY: memoryOption('taskmanager.memory.process.size'),
  TOTAL_FLINK_MEMORY: memoryOption('taskmanager.memory.flink.size'),
  FRAMEWORK_HEAP_MEMORY: memoryOption('taskmanager.memory.framework.heap.size', 128n * MiB),
  FRAMEWORK_OFF_HEAP_MEMORY: memoryOption('taskmanager.memory.framework.off-heap.size', 128n * MiB),
  TASK_HEAP_MEMORY: memoryOption('taskmanager.memory.task.heap.size'),
  TASK_OFF_HEAP_MEMORY: memoryOption('taskmanager.memory.task.off-heap.size', 0n),
  MANAGED_MEMORY_SIZE: memoryOption('taskmanager.memory.managed.size', undefined, ['taskmanager.memory.size']),
  MANAGED_MEMORY_FRACTION: floatOption('taskmanager.memory.managed.fraction', 0.4),
  NETWORK_MEMORY_MIN: memoryOption('taskmanager.memory.network.min', 64n * MiB, ['taskmanager.network.memory.min']),
  // Long.MAX_VALUE since Flink 1.17 (FLINK-30472); it was 1g before.
  NETWORK_MEMORY_MAX: memoryOption('taskmanager.memory.network.max', LONG_MAX, ['taskmanager.network.memory.max']),
  NETWORK_MEMORY_FRACTION: floatOption('taskmanager.memory.network.fraction', 0.1, ['taskmanager.network.memory.fraction']),
  JVM_METASPACE: memoryOption('taskmanager.memory.jvm-metaspace.size', 256n * MiB),
  JVM_OVERHEAD_MIN: memoryOption('taskmanager.memory.jvm-overhead.min', 192n * MiB),
  JVM_OVERHEAD_MAX: memoryOption('taskmanager.memory.jvm-overhead.max', 1024n * MiB),
  JVM_OVERHEAD_FRACTION: floatOption('taskmanager.memory.jvm-overhead.fraction', 0.1),
  NUM_TASK_SLOTS: {type: 'int', key: 'taskmanager.numberOfTaskSlots', fallbackKeys: [], defaultValue: 1} satisfies IntOption,
  CPU_CORES: {type: 'double', key: 'taskmanager.cpu.cores', fallbackKeys: []} satisfies DoubleOption,
  /** Flink 1.x only (NettyShuffleEnvironmentOptions.NETWORK_NUM_BUFFERS, removed in 2.0). */
  NETWORK_NUM_BUFFERS: {type: 'int', key: 'taskmanager.network.numberOfBuffers', fallbackKeys: [], defaultValue: 2048} satisfies IntOption,
  MEMORY_SEGMENT_SIZE: memoryOption('taskmanager.memory.segment-size', 32n * 1024n),
  EXTERNAL_RESOURCE_LIST: 'external-resources',
} as const

/** Flink 1.x only (TaskManagerOptions.TASK_MANAGER_HEAP_MEMORY / _MB, removed in 2.0). */
export const TM_LEGACY_HEAP: LegacyHeapOptions = {
  envVar: 'FLINK_TM_HEAP',
  heap: memoryOption('taskmanager.heap.size'),
  heapMb: {type: 'int', key: 'taskmanager.heap.mb', fallbackKeys: []},
}

interface TaskExecutorFlinkMemory {
  frameworkHeap: bigint
  frameworkOffHeap: bigint
  taskHeap: bigint
  taskOffHeap: bigint
  network: bigint
  managed: bigint
  totalFlink: bigint
}

function flinkMemory(m: Omit<TaskExecutorFlinkMemory, 'totalFlink'>): TaskExecutorFlinkMemory {
  return {...m, totalFlink: add(m.frameworkHeap, m.frameworkOffHeap, m.taskHeap, m.taskOffHeap, m.network, m.managed)}
}

const NETWORK_KEYS = `${TM.NETWORK_MEMORY_MIN.key}/${TM.NETWORK_MEMORY_MAX.key}/${TM.NETWORK_MEMORY_FRACTION.key}`

/** TaskExecutorFlinkMemoryUtils, for Flink 1.x (legacy network buffers honoured) or 2.x. */
function taskExecutorFlinkMemory(v2: boolean): FlinkMemoryDerivation<TaskExecutorFlinkMemory> {
  const usingLegacyNetwork = (conf: FlinkConfiguration): boolean =>
    !v2 &&
    !(conf.contains(TM.NETWORK_MEMORY_MIN) || conf.contains(TM.NETWORK_MEMORY_MAX) || conf.contains(TM.NETWORK_MEMORY_FRACTION)) &&
    conf.contains(TM.NETWORK_NUM_BUFFERS)

  const legacyNetworkSize = (conf: FlinkConfiguration): bigint => {
    const numBuffers = BigInt(conf.int(TM.NETWORK_NUM_BUFFERS)!)
    return checkedNonNegative(numBuffers * BigInt(pageSize(conf)), TM.NETWORK_NUM_BUFFERS.key)
  }

  const networkRange = (conf: FlinkConfiguration): RangeFraction =>
    getRangeFraction(conf.memory(TM.NETWORK_MEMORY_MIN), conf.memory(TM.NETWORK_MEMORY_MAX), TM.NETWORK_MEMORY_FRACTION, conf, {
      min: TM.NETWORK_MEMORY_MIN.key,
      max: TM.NETWORK_MEMORY_MAX.key,
    })

  const managedRange = (conf: FlinkConfiguration): RangeFraction =>
    getRangeFraction(0n, LONG_MAX, TM.MANAGED_MEMORY_FRACTION, conf, {min: TM.MANAGED_MEMORY_FRACTION.key, max: TM.MANAGED_MEMORY_FRACTION.key})

  const managedAbsoluteOrWithFraction = (conf: FlinkConfiguration, base: bigint): bigint =>
    conf.contains(TM.MANAGED_MEMORY_SIZE) ? conf.memory(TM.MANAGED_MEMORY_SIZE) : deriveWithFraction(base, managedRange(conf))

  const exceedsTotalFlink = (parts: Array<[string, bigint]>, totalFlink: bigint, hint: string): MemoryConfigError => {
    const list = parts.map(([name, size]) => `${name} (${human(size)})`)
    return new MemoryConfigError(
      `Sum of configured ${list.slice(0, -1).join(', ')} and ${list[list.length - 1]} exceed configured Total Flink Memory (${human(totalFlink)}).`,
      {key: TM.TOTAL_FLINK_MEMORY.key, hint},
    )
  }

  const sanityCheckNetworkMemory = (conf: FlinkConfiguration, derivedNetwork: bigint): void => {
    if (usingLegacyNetwork(conf)) {
      const configured = legacyNetworkSize(conf)
      if (configured !== derivedNetwork) {
        throw new MemoryConfigError(
          `Derived Network Memory size (${human(derivedNetwork)}) does not match configured Network Memory size (${human(configured)}).`,
          {key: TM.NETWORK_NUM_BUFFERS.key, hint: `remove ${TM.NETWORK_NUM_BUFFERS.key} (deprecated) or make it match the memory left for the network`},
        )
      }
      return
    }
    const range = networkRange(conf)
    if (derivedNetwork > range.max || derivedNetwork < range.min) {
      throw new MemoryConfigError(
        `Derived Network Memory size (${human(derivedNetwork)}) is not in configured Network Memory range [${human(range.min)}, ${human(range.max)}].`,
        {key: TM.NETWORK_MEMORY_MIN.key, hint: `the memory left for the network is ${human(derivedNetwork)}; adjust ${NETWORK_KEYS} or the explicit sizes`},
      )
    }
  }

  const sanityCheckNetworkWithExplicitTotalFlinkAndHeap = (conf: FlinkConfiguration, derivedNetwork: bigint): void => {
    try {
      sanityCheckNetworkMemory(conf, derivedNetwork)
    } catch (err) {
      if (err instanceof MemoryConfigError && err.flinkException === 'IllegalConfigurationException') {
        throw new MemoryConfigError(
          'If Total Flink, Task Heap and (or) Managed Memory sizes are explicitly configured then the Network Memory size is the rest of the Total Flink memory ' +
            'after subtracting all other configured types of memory, but the derived Network Memory is inconsistent with its configuration.',
          {
            key: err.key,
            hint: `${err.message} Set fewer of ${TM.TOTAL_FLINK_MEMORY.key}, ${TM.TASK_HEAP_MEMORY.key}, ${TM.MANAGED_MEMORY_SIZE.key}, or widen ${NETWORK_KEYS}`,
            cause: err,
          },
        )
      }
      throw err
    }
  }

  const sanityCheckTotalFlinkMemory = (conf: FlinkConfiguration, m: TaskExecutorFlinkMemory): void => {
    if (!conf.contains(TM.TOTAL_FLINK_MEMORY)) return
    const configured = conf.memory(TM.TOTAL_FLINK_MEMORY)
    if (configured !== m.totalFlink) {
      throw new MemoryConfigError(
        `Configured and Derived Flink internal memory sizes (total ${human(m.totalFlink)}) do not add up to the configured Total Flink Memory size (${human(configured)}). ` +
          `Configured and Derived Flink internal memory sizes are: Framework Heap Memory (${human(m.frameworkHeap)}), Framework Off-Heap Memory (${human(m.frameworkOffHeap)}), ` +
          `Task Heap Memory (${human(m.taskHeap)}), Task Off-Heap Memory (${human(m.taskOffHeap)}), Network Memory (${human(m.network)}), Managed Memory (${human(m.managed)}).`,
        {key: TM.TOTAL_FLINK_MEMORY.key, hint: `set either ${TM.TOTAL_FLINK_MEMORY.key} or the individual component sizes, not both`},
      )
    }
  }

  return {
    deriveFromRequiredFineGrainedOptions(conf) {
      const taskHeap = conf.memory(TM.TASK_HEAP_MEMORY)
      const managed = conf.memory(TM.MANAGED_MEMORY_SIZE)
      const frameworkHeap = conf.memory(TM.FRAMEWORK_HEAP_MEMORY)
      const frameworkOffHeap = conf.memory(TM.FRAMEWORK_OFF_HEAP_MEMORY)
      const taskOffHeap = conf.memory(TM.TASK_OFF_HEAP_MEMORY)
      const totalExcludeNetwork = add(frameworkHeap, frameworkOffHeap, taskHeap, taskOffHeap, managed)
      let network: bigint
      if (conf.contains(TM.TOTAL_FLINK_MEMORY)) {
        // derive network memory from total flink memory, and check against network min/max
        const totalFlink = conf.memory(TM.TOTAL_FLINK_MEMORY)
        if (totalExcludeNetwork > totalFlink) {
          throw exceedsTotalFlink(
            [['Framework Heap Memory', frameworkHeap], ['Framework Off-Heap Memory', frameworkOffHeap], ['Task Heap Memory', taskHeap], ['Task Off-Heap Memory', taskOffHeap], ['Managed Memory', managed]],
            totalFlink,
            `raise ${TM.TOTAL_FLINK_MEMORY.key} above ${human(totalExcludeNetwork)} plus network memory, or lower ${TM.TASK_HEAP_MEMORY.key} / ${TM.MANAGED_MEMORY_SIZE.key}`,
          )
        }
        network = subtract(totalFlink, totalExcludeNetwork)
        sanityCheckNetworkWithExplicitTotalFlinkAndHeap(conf, network)
      } else {
        network = usingLegacyNetwork(conf) ? legacyNetworkSize(conf) : deriveWithInverseFraction(totalExcludeNetwork, networkRange(conf))
      }
      const m = flinkMemory({frameworkHeap, frameworkOffHeap, taskHeap, taskOffHeap, network, managed})
      sanityCheckTotalFlinkMemory(conf, m)
      return m
    },

    deriveFromTotalFlinkMemory(conf, totalFlink) {
      const frameworkHeap = conf.memory(TM.FRAMEWORK_HEAP_MEMORY)
      const frameworkOffHeap = conf.memory(TM.FRAMEWORK_OFF_HEAP_MEMORY)
      const taskOffHeap = conf.memory(TM.TASK_OFF_HEAP_MEMORY)
      let taskHeap: bigint
      let network: bigint
      let managed: bigint
      if (conf.contains(TM.TASK_HEAP_MEMORY)) {
        // task heap configured: managed first, the rest is network (checked against min/max)
        taskHeap = conf.memory(TM.TASK_HEAP_MEMORY)
        managed = managedAbsoluteOrWithFraction(conf, totalFlink)
        const totalExcludeNetwork = add(frameworkHeap, frameworkOffHeap, taskHeap, taskOffHeap, managed)
        if (totalExcludeNetwork > totalFlink) {
          throw exceedsTotalFlink(
            [['Framework Heap Memory', frameworkHeap], ['Framework Off-Heap Memory', frameworkOffHeap], ['Task Heap Memory', taskHeap], ['Task Off-Heap Memory', taskOffHeap], ['Managed Memory', managed]],
            totalFlink,
            `the Total Flink Memory (${human(totalFlink)}) cannot hold the configured heap and managed sizes; lower ${TM.TASK_HEAP_MEMORY.key} or raise ${TM.TOTAL_PROCESS_MEMORY.key} / ${TM.TOTAL_FLINK_MEMORY.key}`,
          )
        }
        network = subtract(totalFlink, totalExcludeNetwork)
        sanityCheckNetworkWithExplicitTotalFlinkAndHeap(conf, network)
      } else {
        // derive managed and network memory, leave the rest to the task heap
        managed = managedAbsoluteOrWithFraction(conf, totalFlink)
        network = usingLegacyNetwork(conf) ? legacyNetworkSize(conf) : deriveWithFraction(totalFlink, networkRange(conf))
        const totalExcludeTaskHeap = add(frameworkHeap, frameworkOffHeap, taskOffHeap, managed, network)
        if (totalExcludeTaskHeap > totalFlink) {
          throw exceedsTotalFlink(
            [['Framework Heap Memory', frameworkHeap], ['Framework Off-Heap Memory', frameworkOffHeap], ['Task Off-Heap Memory', taskOffHeap], ['Managed Memory', managed], ['Network Memory', network]],
            totalFlink,
            `nothing is left for the task heap; raise ${TM.TOTAL_PROCESS_MEMORY.key} (Flink's default is 1728m) or ${TM.TOTAL_FLINK_MEMORY.key}, or lower the managed/network/framework sizes`,
          )
        }
        taskHeap = subtract(totalFlink, totalExcludeTaskHeap)
      }
      const m = flinkMemory({frameworkHeap, frameworkOffHeap, taskHeap, taskOffHeap, network, managed})
      sanityCheckTotalFlinkMemory(conf, m)
      return m
    },
  }
}

function checkedNonNegative(bytes: bigint, key: string): bigint {
  if (bytes < 0n) {
    throw new MemoryConfigError('bytes must be >= 0', {key, hint: `${key} must not be negative`, flinkException: 'IllegalArgumentException'})
  }
  return bytes
}

/** ConfigurationParserUtils.getPageSize. */
function pageSize(conf: FlinkConfiguration): number {
  const bytes = conf.memory(TM.MEMORY_SEGMENT_SIZE)
  if (bytes > 2147483647n) {
    throw new MemoryConfigError(`Cannot downcast long value ${bytes} to integer.`, {
      key: TM.MEMORY_SEGMENT_SIZE.key,
      hint: `${TM.MEMORY_SEGMENT_SIZE.key} must be a power of two between 4kb and 1gb (default 32kb)`,
      flinkException: 'IllegalArgumentException',
    })
  }
  const size = Number(bytes)
  const invalid = (why: string): MemoryConfigError =>
    new MemoryConfigError(`Invalid configuration value for ${TM.MEMORY_SEGMENT_SIZE.key} : ${size} - ${why}`, {
      key: TM.MEMORY_SEGMENT_SIZE.key,
      hint: `${TM.MEMORY_SEGMENT_SIZE.key} must be a power of two of at least 4kb (default 32kb)`,
    })
  if (size < 4096) throw invalid('Minimum memory segment size is 4096')
  if ((size & (size - 1)) !== 0) throw invalid('Memory segment size must be a power of 2.')
  return size
}

function tmOptions(v2: boolean): ProcessMemoryOptions {
  return {
    requiredFineGrained: [TM.TASK_HEAP_MEMORY, TM.MANAGED_MEMORY_SIZE],
    totalFlink: TM.TOTAL_FLINK_MEMORY,
    totalProcess: TM.TOTAL_PROCESS_MEMORY,
    metaspace: TM.JVM_METASPACE,
    overheadMin: TM.JVM_OVERHEAD_MIN,
    overheadMax: TM.JVM_OVERHEAD_MAX,
    overheadFraction: TM.JVM_OVERHEAD_FRACTION,
    notConfiguredHint: (conf) => {
      let hint = `set ${TM.TOTAL_PROCESS_MEMORY.key} (Flink's default configuration uses 1728m), or ${TM.TOTAL_FLINK_MEMORY.key}, or both ${TM.TASK_HEAP_MEMORY.key} and ${TM.MANAGED_MEMORY_SIZE.key}`
      const legacy = [TM_LEGACY_HEAP.heap.key, TM_LEGACY_HEAP.heapMb.key].filter((k) => conf.rawKey(k) !== undefined)
      if (v2 && legacy.length > 0) hint += `; ${legacy.join(' and ')} ${legacy.length > 1 ? 'are' : 'is'} no longer read by Flink 2.x (use ${TM.TOTAL_FLINK_MEMORY.key})`
      return hint
    },
  }
}

export interface TaskManagerSpec {
  cpuCores: number
  numSlots: number
  /** Enabled external resources (name -> amount), in the iteration order of Flink's HashMap. */
  externalResources: Array<[string, bigint]>
  totalProcess: bigint
  totalFlink: bigint
  frameworkHeap: bigint
  taskHeap: bigint
  frameworkOffHeap: bigint
  taskOffHeap: bigint
  network: bigint
  managed: bigint
  metaspace: bigint
  overhead: bigint
}

/**
 * What a Resource (CPUResource, ExternalResource) built from a double hands back:
 * BigDecimal.valueOf(d).setScale(8, RoundingMode.DOWN).stripTrailingZeros(), read back with
 * doubleValue() (cpu cores) or longValue() (external resource amounts, which were longs widened to double).
 */
function resourceValue(value: number): number
function resourceValue(value: bigint): bigint
function resourceValue(value: number | bigint): number | bigint {
  const d = typeof value === 'bigint' ? Number(value) : value
  if (d === 0) return typeof value === 'bigint' ? 0n : 0
  const {digits, exp10} = shortestDecimal(Math.abs(d))
  // keep at most 8 fractional digits, truncating toward zero
  const keep = Math.max(0, Math.min(digits.length, exp10 + 8))
  const kept = digits.slice(0, keep)
  const sign = d < 0 ? -1n : 1n
  if (typeof value === 'bigint') {
    // longValue(): the integer part, wrapped to 64 bits like BigDecimal#longValue
    const intDigits = exp10 <= 0 ? '' : kept.length >= exp10 ? kept.slice(0, exp10) : kept + '0'.repeat(exp10 - kept.length)
    return BigInt.asIntN(64, sign * BigInt(intDigits === '' ? '0' : intDigits))
  }
  if (kept === '') return 0
  return Number(`${d < 0 ? '-' : ''}0.${kept}e${exp10}`)
}

/** TaskExecutorProcessUtils.getCpuCoresWithFallback(config, -1.0). */
function cpuCores(conf: FlinkConfiguration): number {
  const cores = conf.contains(TM.CPU_CORES) ? conf.double(TM.CPU_CORES)! : conf.int(TM.NUM_TASK_SLOTS)!
  if (cores <= 0) {
    throw new MemoryConfigError(
      `TaskExecutors need to be started with a positive number of CPU cores. Please configure ${TM.CPU_CORES.key} accordingly.`,
      {
        key: conf.contains(TM.CPU_CORES) ? TM.CPU_CORES.key : TM.NUM_TASK_SLOTS.key,
        hint: `set ${TM.NUM_TASK_SLOTS.key} (the default CPU count) to 1 or more, or ${TM.CPU_CORES.key} to a positive number`,
      },
    )
  }
  if (!Number.isFinite(cores)) {
    // new CPUResource(d) -> BigDecimal.valueOf(d) -> new BigDecimal("NaN" / "Infinity") fails
    throw new MemoryConfigError(`Character ${Number.isNaN(cores) ? 'N' : 'I'} is neither a decimal digit number, decimal point, nor "e" notation exponential mark.`, {
      key: TM.CPU_CORES.key,
      hint: `${TM.CPU_CORES.key} must be a finite positive number`,
      flinkException: 'IllegalArgumentException',
    })
  }
  return cores
}

/**
 * ExternalResourceUtils.getExternalResourcesCollection, then the HashMap TaskExecutorProcessSpec
 * keeps them in: names from `external-resources` (`;`-separated, `none` = none) whose
 * `external-resource.<name>.amount` is a positive long.
 */
function externalResources(conf: FlinkConfiguration): Array<[string, bigint]> {
  const list = conf.rawKey(TM.EXTERNAL_RESOURCE_LIST)
  if (list === undefined || list === 'none') return []
  const names = list.split(';').map((s) => javaTrim(s).replace(/^(['"])(.*)\1$/, '$2')).filter((s) => s !== '')
  const amounts = new Map<string, bigint>()
  // new HashSet<>(list) -> for each name -> HashMap put (amount > 0 only)
  const setOrder = javaHashSetFromCollectionOrder(names)
  const amountOrder: string[] = []
  for (const name of setOrder) {
    const amount = conf.long(`external-resource.${name}.amount`)
    if (amount !== undefined && amount > 0n) {
      amounts.set(name, amount)
      amountOrder.push(name)
    }
  }
  // HashMap -> entrySet stream -> List -> Collectors.toMap (a new HashMap)
  const finalOrder = javaHashMapOrder(javaHashMapOrder(amountOrder))
  return finalOrder.map((name) => [name, amounts.get(name)!])
}

/** TaskExecutorProcessUtils.processSpecFromConfig (after the 1.x legacy heap mapping). */
export function taskManagerProcessSpec(input: MemoryInput): TaskManagerSpec {
  const v2 = isFlink2(input.version)
  let conf = new FlinkConfiguration(input.config)
  if (!v2) conf = prefixIllegalConfig('TaskManager failed to map legacy JVM heap option to the new one: ', () => mapLegacyHeap(conf, TM_LEGACY_HEAP, TM.TOTAL_FLINK_MEMORY, input.env))
  return prefixIllegalConfig('TaskManager memory configuration failed: ', () => {
    const spec = memoryProcessSpecFromConfig(conf, tmOptions(v2), taskExecutorFlinkMemory(v2))
    const cores = cpuCores(conf)
    const numSlots = conf.int(TM.NUM_TASK_SLOTS)!
    const f = spec.flink
    return {
      cpuCores: cores,
      numSlots,
      externalResources: externalResources(conf),
      totalProcess: add(f.totalFlink, spec.metaspace, spec.overhead),
      totalFlink: f.totalFlink,
      frameworkHeap: f.frameworkHeap,
      taskHeap: f.taskHeap,
      frameworkOffHeap: f.frameworkOffHeap,
      taskOffHeap: f.taskOffHeap,
      network: f.network,
      managed: f.managed,
      metaspace: spec.metaspace,
      overhead: spec.overhead,
    }
  })
}

/** The two lines BashJavaUtils prints for GET_TM_RESOURCE_PARAMS (without the EXEC_RESULT prefix). */
export function taskManagerResourceParams(input: MemoryInput): ResourceParams {
  const s = taskManagerProcessSpec(input)
  const jvmHeap = add(s.frameworkHeap, s.taskHeap)
  const jvmDirect = add(s.frameworkOffHeap, s.taskOffHeap, s.network)
  const jvmParams = generateJvmParametersStr({jvmHeap, jvmDirect, metaspace: s.metaspace}, true)
  const puts: Array<[string, string]> = [
    [TM.CPU_CORES.key, javaDoubleToString(resourceValue(s.cpuCores))],
    [TM.FRAMEWORK_HEAP_MEMORY.key, bytesValue(s.frameworkHeap)],
    [TM.FRAMEWORK_OFF_HEAP_MEMORY.key, bytesValue(s.frameworkOffHeap)],
    [TM.TASK_HEAP_MEMORY.key, bytesValue(s.taskHeap)],
    [TM.TASK_OFF_HEAP_MEMORY.key, bytesValue(s.taskOffHeap)],
    [TM.NETWORK_MEMORY_MIN.key, bytesValue(s.network)],
    [TM.NETWORK_MEMORY_MAX.key, bytesValue(s.network)],
    [TM.MANAGED_MEMORY_SIZE.key, bytesValue(s.managed)],
    [TM.JVM_METASPACE.key, bytesValue(s.metaspace)],
    [TM.JVM_OVERHEAD_MIN.key, bytesValue(s.overhead)],
    [TM.JVM_OVERHEAD_MAX.key, bytesValue(s.overhead)],
    [TM.NUM_TASK_SLOTS.key, String(s.numSlots)],
  ]
  if (s.externalResources.length > 0) {
    // Flink 1.20/2.x quote the list: '"' + String.join(";", names) + '"'
    puts.push([TM.EXTERNAL_RESOURCE_LIST, `"${s.externalResources.map(([name]) => name).join(';')}"`])
    for (const [name, amount] of s.externalResources) puts.push([`external-resource.${name}.amount`, String(resourceValue(amount))])
  } else {
    puts.push([TM.EXTERNAL_RESOURCE_LIST, 'none'])
  }
  return {
    jvmParams,
    dynamicConfigs: assembleDynamicConfigsStr(puts),
    spec: toNumbers({
      totalProcessMemory: s.totalProcess,
      totalFlinkMemory: s.totalFlink,
      frameworkHeap: s.frameworkHeap,
      taskHeap: s.taskHeap,
      frameworkOffHeap: s.frameworkOffHeap,
      taskOffHeap: s.taskOffHeap,
      network: s.network,
      managed: s.managed,
      jvmHeap,
      jvmDirect,
      jvmMetaspace: s.metaspace,
      jvmOverhead: s.overhead,
    }),
  }
}
