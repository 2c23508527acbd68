/**
 * BashJavaUtils GET_JM_RESOURCE_PARAMS: JobManagerProcessUtils + JobManagerFlinkMemoryUtils.
 *
 * Flink 1.x: processSpecFromConfigWithNewOptionToInterpretLegacyHeap(config, JVM_HEAP_MEMORY), i.e. a
 * legacy `jobmanager.heap.size` / `jobmanager.heap.mb` / $FLINK_JM_HEAP becomes
 * `jobmanager.memory.heap.size` when that is unset, and every IllegalConfigurationException is
 * prefixed with "JobManager memory configuration failed: ".
 * Flink 2.x: processSpecFromConfig(config); the legacy keys are gone and messages carry no prefix.
 */
import {
  add,
  assembleDynamicConfigsStr,
  bytesValue,
  type BooleanOption,
  type FlinkMemoryDerivation,
  FlinkConfiguration,
  floatOption,
  generateJvmParametersStr,
  human,
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
  type ResourceParams,
  subtract,
  toNumbers,
} from './common.ts'

export const JM = {
  TOTAL_PROCESS_MEMORY: memoryOption('jobmanager.memory.process.size'),
  TOTAL_FLINK_MEMORY: memoryOption('jobmanager.memory.flink.size'),
  JVM_HEAP_MEMORY: memoryOption('jobmanager.memory.heap.size'),
  OFF_HEAP_MEMORY: memoryOption('jobmanager.memory.off-heap.size', 128n * MiB),
  JVM_METASPACE: memoryOption('jobmanager.memory.jvm-metaspace.size', 256n * MiB),
  JVM_OVERHEAD_MIN: memoryOption('jobmanager.memory.jvm-overhead.min', 192n * MiB),
  JVM_OVERHEAD_MAX: memoryOption('jobmanager.memory.jvm-overhead.max', 1024n * MiB),
  JVM_OVERHEAD_FRACTION: floatOption('jobmanager.memory.jvm-overhead.fraction', 0.1),
  JVM_DIRECT_MEMORY_LIMIT_ENABLED: {type: 'boolean', key: 'jobmanager.memory.enable-jvm-direct-memory-limit', fallbackKeys: [], defaultValue: false} satisfies BooleanOption,
} as const

/** Flink 1.x only (JobManagerOptions.JOB_MANAGER_HEAP_MEMORY / _MB, removed in 2.0). */
export const JM_LEGACY_HEAP: LegacyHeapOptions = {
  envVar: 'FLINK_JM_HEAP',
  heap: memoryOption('jobmanager.heap.size'),
  heapMb: {type: 'int', key: 'jobmanager.heap.mb', fallbackKeys: []},
}

interface JobManagerFlinkMemory {
  jvmHeap: bigint
  offHeap: bigint
  totalFlink: bigint
}

const flinkMemory = (jvmHeap: bigint, offHeap: bigint): JobManagerFlinkMemory => ({jvmHeap, offHeap, totalFlink: add(jvmHeap, offHeap)})

/** JobManagerFlinkMemoryUtils (its heap-size warnings are logged by Flink, not thrown). */
const JM_FLINK_MEMORY: FlinkMemoryDerivation<JobManagerFlinkMemory> = {
  deriveFromRequiredFineGrainedOptions(conf) {
    const jvmHeap = conf.memory(JM.JVM_HEAP_MEMORY)
    let offHeap = conf.memory(JM.OFF_HEAP_MEMORY)
    if (conf.contains(JM.TOTAL_FLINK_MEMORY)) {
      const total = conf.memory(JM.TOTAL_FLINK_MEMORY)
      if (conf.contains(JM.OFF_HEAP_MEMORY)) {
        // sanityCheckTotalFlinkMemory: all three configured, they must add up
        if (add(jvmHeap, offHeap) !== total) {
          throw new MemoryConfigError(
            `Sum of the configured JVM Heap Memory (${human(jvmHeap)}) and the configured Off-heap Memory (${human(offHeap)}) ` +
              `does not match the configured Total Flink Memory (${human(total)}). Please, make the configuration consistent ` +
              `or configure only one option: either JVM Heap or Total Flink Memory.`,
            {
              key: JM.TOTAL_FLINK_MEMORY.key,
              hint: `set only two of ${JM.JVM_HEAP_MEMORY.key}, ${JM.OFF_HEAP_MEMORY.key} and ${JM.TOTAL_FLINK_MEMORY.key} (heap + off-heap here is ${human(add(jvmHeap, offHeap))})`,
            },
          )
        }
      } else {
        // deriveOffHeapMemory: the off-heap size is what the heap leaves of the Total Flink Memory
        if (total < jvmHeap) {
          throw new MemoryConfigError(
            `The configured JVM Heap Memory (${human(jvmHeap)}) exceeds the configured Total Flink Memory (${human(total)}). ` +
              `Please, make the configuration consistent or configure only one option: either JVM Heap or Total Flink Memory.`,
            {key: JM.JVM_HEAP_MEMORY.key, hint: `lower ${JM.JVM_HEAP_MEMORY.key} below ${JM.TOTAL_FLINK_MEMORY.key} (${human(total)}), or set only one of them`},
          )
        }
        offHeap = subtract(total, jvmHeap)
      }
    }
    return flinkMemory(jvmHeap, offHeap)
  },
  deriveFromTotalFlinkMemory(conf, totalFlink) {
    const offHeap = conf.memory(JM.OFF_HEAP_MEMORY)
    if (totalFlink <= offHeap) {
      throw new MemoryConfigError(
        `The configured Total Flink Memory (${human(totalFlink)}) is less than the configured Off-heap Memory (${human(offHeap)}).`,
        {
          key: conf.contains(JM.TOTAL_FLINK_MEMORY) ? JM.TOTAL_FLINK_MEMORY.key : JM.TOTAL_PROCESS_MEMORY.key,
          hint: conf.contains(JM.TOTAL_FLINK_MEMORY)
            ? `raise ${JM.TOTAL_FLINK_MEMORY.key} above ${JM.OFF_HEAP_MEMORY.key} (${human(offHeap)})`
            : `raise ${JM.TOTAL_PROCESS_MEMORY.key}: after JVM metaspace and overhead only ${human(totalFlink)} is left, not more than ${JM.OFF_HEAP_MEMORY.key} (${human(offHeap)}); Flink's default is 1600m`,
        },
      )
    }
    return flinkMemory(subtract(totalFlink, offHeap), offHeap)
  },
}

function jmOptions(v2: boolean): ProcessMemoryOptions {
  return {
    requiredFineGrained: [JM.JVM_HEAP_MEMORY],
    totalFlink: JM.TOTAL_FLINK_MEMORY,
    totalProcess: JM.TOTAL_PROCESS_MEMORY,
    metaspace: JM.JVM_METASPACE,
    overheadMin: JM.JVM_OVERHEAD_MIN,
    overheadMax: JM.JVM_OVERHEAD_MAX,
    overheadFraction: JM.JVM_OVERHEAD_FRACTION,
    notConfiguredHint: (conf) => {
      let hint = `set ${JM.TOTAL_PROCESS_MEMORY.key} (Flink's default configuration uses 1600m), or ${JM.TOTAL_FLINK_MEMORY.key}, or ${JM.JVM_HEAP_MEMORY.key}`
      const legacy = [JM_LEGACY_HEAP.heap.key, JM_LEGACY_HEAP.heapMb.key].filter((k) => conf.rawKey(k) !== undefined)
      if (v2 && legacy.length > 0) hint += `; ${legacy.join(' and ')} ${legacy.length > 1 ? 'are' : 'is'} no longer read by Flink 2.x (use ${JM.JVM_HEAP_MEMORY.key})`
      return hint
    },
  }
}

export interface JobManagerSpec {
  totalProcess: bigint
  totalFlink: bigint
  jvmHeap: bigint
  offHeap: bigint
  metaspace: bigint
  overhead: bigint
}

/** JobManagerProcessUtils.processSpecFromConfig[WithNewOptionToInterpretLegacyHeap]. */
export function jobManagerProcessSpec(input: MemoryInput): JobManagerSpec {
  const v2 = isFlink2(input.version)
  const compute = (): JobManagerSpec => {
    let conf = new FlinkConfiguration(input.config)
    if (!v2) conf = mapLegacyHeap(conf, JM_LEGACY_HEAP, JM.JVM_HEAP_MEMORY, input.env)
    const spec = memoryProcessSpecFromConfig(conf, jmOptions(v2), JM_FLINK_MEMORY)
    return {
      totalProcess: add(spec.flink.totalFlink, spec.metaspace, spec.overhead),
      totalFlink: spec.flink.totalFlink,
      jvmHeap: spec.flink.jvmHeap,
      offHeap: spec.flink.offHeap,
      metaspace: spec.metaspace,
      overhead: spec.overhead,
    }
  }
  return v2 ? compute() : prefixIllegalConfig('JobManager memory configuration failed: ', compute)
}

/** The two lines BashJavaUtils prints for GET_JM_RESOURCE_PARAMS (without the EXEC_RESULT prefix). */
export function jobManagerResourceParams(input: MemoryInput): ResourceParams {
  const spec = jobManagerProcessSpec(input)
  const enableDirectMemoryLimit = new FlinkConfiguration(input.config).boolean(JM.JVM_DIRECT_MEMORY_LIMIT_ENABLED)
  const jvmParams = generateJvmParametersStr({jvmHeap: spec.jvmHeap, jvmDirect: spec.offHeap, metaspace: spec.metaspace}, enableDirectMemoryLimit)
  const dynamicConfigs = assembleDynamicConfigsStr([
    [JM.JVM_HEAP_MEMORY.key, bytesValue(spec.jvmHeap)],
    [JM.OFF_HEAP_MEMORY.key, bytesValue(spec.offHeap)],
    [JM.JVM_METASPACE.key, bytesValue(spec.metaspace)],
    [JM.JVM_OVERHEAD_MIN.key, bytesValue(spec.overhead)],
    [JM.JVM_OVERHEAD_MAX.key, bytesValue(spec.overhead)],
  ])
  return {
    jvmParams,
    dynamicConfigs,
    spec: toNumbers({
      totalProcessMemory: spec.totalProcess,
      totalFlinkMemory: spec.totalFlink,
      jvmHeap: spec.jvmHeap,
      offHeap: spec.offHeap,
      jvmMetaspace: spec.metaspace,
      jvmOverhead: spec.overhead,
    }),
  }
}
