/**
 * Worked examples of Flink's memory model. Every expected value is derived by hand from the Java
 * code (the arithmetic is in the comment above each case), and every full line was also checked
 * against the real BashJavaUtils of Flink 1.20.3 and 2.2.0.
 *
 * Conventions used in the comments:
 * - m = MiB; 128m = 134217728, 192m = 201326592, 256m = 268435456, 1g = 1073741824.
 * - Flink reads float fractions (0.1f, 0.4f) into a double and multiplies with
 *   BigDecimal.valueOf(double), i.e. with the decimal of Double.toString:
 *     0.1f -> 0.10000000149011612, 0.4f -> 0.4000000059604645,
 *     inverse fraction 0.1f / (1 - 0.1f) in double -> 0.11111111295076065,
 *   and truncates the exact product to a long.
 * - Defaults: framework heap/off-heap 128m, task off-heap 0, managed fraction 0.4, network
 *   fraction 0.1 in [64m, Long.MAX_VALUE], metaspace 256m, JVM overhead fraction 0.1 in [192m, 1g],
 *   JM off-heap 128m.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {ConfigError, ExitCode} from '../../../src/lib/errors.ts'
import {
  jobManagerResourceParams,
  MemoryConfigError,
  type MemoryInput,
  taskManagerResourceParams,
} from '../../../src/lib/launch/memory/index.ts'

const V120 = {major: 1, minor: 20, patch: 3}
const V2 = {major: 2, minor: 2, patch: 0}
const BOTH = [V120, V2] as const

const input = (config: Record<string, string>, version: MemoryInput['version'] = V2, env?: MemoryInput['env']): MemoryInput => ({
  config: new Map(Object.entries(config)),
  version,
  env,
})

interface TmValues {
  cpu?: string
  frameworkHeap?: number
  frameworkOffHeap?: number
  taskHeap: number
  taskOffHeap?: number
  network: number
  managed: number
  metaspace?: number
  overhead: number
  slots?: number
}

/**
 * The TM dynamic-config line with no external resources. Its key order is what real Flink prints
 * (see the 13-key case in java-hashmap.test.ts for the bucket arithmetic).
 */
function tmDynamic(v: TmValues, externalResources = 'none'): string {
  const fwHeap = v.frameworkHeap ?? 134217728
  const fwOff = v.frameworkOffHeap ?? 134217728
  const meta = v.metaspace ?? 268435456
  return [
    `-D taskmanager.memory.network.min=${v.network}b`,
    `-D taskmanager.cpu.cores=${v.cpu ?? '1.0'}`,
    `-D taskmanager.memory.task.off-heap.size=${v.taskOffHeap ?? 0}b`,
    `-D taskmanager.memory.jvm-metaspace.size=${meta}b`,
    `-D external-resources=${externalResources}`,
    `-D taskmanager.memory.jvm-overhead.min=${v.overhead}b`,
    `-D taskmanager.memory.framework.off-heap.size=${fwOff}b`,
    `-D taskmanager.memory.network.max=${v.network}b`,
    `-D taskmanager.memory.framework.heap.size=${fwHeap}b`,
    `-D taskmanager.memory.managed.size=${v.managed}b`,
    `-D taskmanager.memory.task.heap.size=${v.taskHeap}b`,
    `-D taskmanager.numberOfTaskSlots=${v.slots ?? 1}`,
    `-D taskmanager.memory.jvm-overhead.max=${v.overhead}b`,
  ].join(' ')
}

/** The JM dynamic-config line (key order: buckets 8, 9, 12, 14, 15 of 16). */
const jmDynamic = (v: {heap: number; offHeap?: number; metaspace?: number; overhead: number}): string =>
  `-D jobmanager.memory.off-heap.size=${v.offHeap ?? 134217728}b -D jobmanager.memory.jvm-overhead.min=${v.overhead}b ` +
  `-D jobmanager.memory.jvm-metaspace.size=${v.metaspace ?? 268435456}b -D jobmanager.memory.heap.size=${v.heap}b ` +
  `-D jobmanager.memory.jvm-overhead.max=${v.overhead}b`

const jvm = (heap: number, metaspace: number, direct?: number): string =>
  `-Xmx${heap} -Xms${heap}${direct === undefined ? '' : ` -XX:MaxDirectMemorySize=${direct}`} -XX:MaxMetaspaceSize=${metaspace}`

function throwsMemory(fn: () => unknown, message: string | RegExp, check?: (e: MemoryConfigError) => void): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof MemoryConfigError, `expected MemoryConfigError, got ${String(err)}`)
    if (typeof message === 'string') assert.equal(err.message, message)
    else assert.match(err.message, message)
    assert.ok(err.hint.length > 0)
    check?.(err)
    return true
  })
}

describe("Flink's default configuration (config.yaml of 1.20 and 2.x)", () => {
  for (const version of BOTH) {
    it(`TaskManager, taskmanager.memory.process.size: 1728m, 1 slot (Flink ${version.major}.${version.minor})`, () => {
      // process 1728m = 1811939328
      // overhead = 1811939328 × 0.10000000149011612 = 181193935.5… -> 181193935 < 192m -> 201326592
      // flink    = 1811939328 − 268435456 − 201326592 = 1342177280 (1280m)
      // managed  = 1342177280 × 0.4000000059604645 = 536870920.0… -> 536870920
      // network  = 1342177280 × 0.10000000149011612 = 134217730.0… -> 134217730 (in [64m, ∞))
      // taskHeap = 1342177280 − 128m − 128m − 0 − 536870920 − 134217730 = 402653174
      // -Xmx = 128m + 402653174 = 536870902; direct = 128m + 0 + 134217730 = 268435458
      const out = taskManagerResourceParams(input({'taskmanager.memory.process.size': '1728m', 'taskmanager.numberOfTaskSlots': '1'}, version))
      // Both lines verbatim from a Flink 2.0.0 TaskManager log (identical on 1.20).
      assert.equal(out.jvmParams, '-Xmx536870902 -Xms536870902 -XX:MaxDirectMemorySize=268435458 -XX:MaxMetaspaceSize=268435456')
      assert.equal(
        out.dynamicConfigs,
        '-D taskmanager.memory.network.min=134217730b -D taskmanager.cpu.cores=1.0 -D taskmanager.memory.task.off-heap.size=0b ' +
          '-D taskmanager.memory.jvm-metaspace.size=268435456b -D external-resources=none -D taskmanager.memory.jvm-overhead.min=201326592b ' +
          '-D taskmanager.memory.framework.off-heap.size=134217728b -D taskmanager.memory.network.max=134217730b ' +
          '-D taskmanager.memory.framework.heap.size=134217728b -D taskmanager.memory.managed.size=536870920b ' +
          '-D taskmanager.memory.task.heap.size=402653174b -D taskmanager.numberOfTaskSlots=1 -D taskmanager.memory.jvm-overhead.max=201326592b',
      )
      assert.deepEqual(out.spec, {
        totalProcessMemory: 1811939328,
        totalFlinkMemory: 1342177280,
        frameworkHeap: 134217728,
        taskHeap: 402653174,
        frameworkOffHeap: 134217728,
        taskOffHeap: 0,
        network: 134217730,
        managed: 536870920,
        jvmHeap: 536870902,
        jvmDirect: 268435458,
        jvmMetaspace: 268435456,
        jvmOverhead: 201326592,
      })
    })

    it(`JobManager, jobmanager.memory.process.size: 1600m (Flink ${version.major}.${version.minor})`, () => {
      // overhead = 1677721600 × 0.10000000149011612 = 167772162.5… < 192m -> 201326592
      // flink = 1677721600 − 268435456 − 201326592 = 1207959552; heap = 1207959552 − 128m = 1073741824
      // No -XX:MaxDirectMemorySize: jobmanager.memory.enable-jvm-direct-memory-limit defaults to false.
      const out = jobManagerResourceParams(input({'jobmanager.memory.process.size': '1600m'}, version))
      assert.equal(out.jvmParams, '-Xmx1073741824 -Xms1073741824 -XX:MaxMetaspaceSize=268435456')
      assert.equal(
        out.dynamicConfigs,
        '-D jobmanager.memory.off-heap.size=134217728b -D jobmanager.memory.jvm-overhead.min=201326592b ' +
          '-D jobmanager.memory.jvm-metaspace.size=268435456b -D jobmanager.memory.heap.size=1073741824b -D jobmanager.memory.jvm-overhead.max=201326592b',
      )
      assert.deepEqual(out.spec, {
        totalProcessMemory: 1677721600,
        totalFlinkMemory: 1207959552,
        jvmHeap: 1073741824,
        offHeap: 134217728,
        jvmMetaspace: 268435456,
        jvmOverhead: 201326592,
      })
    })
  }

  it('an unknown version behaves like 2.x', () => {
    const out = jobManagerResourceParams({config: new Map([['jobmanager.memory.process.size', '1600m']])})
    assert.equal(out.jvmParams, '-Xmx1073741824 -Xms1073741824 -XX:MaxMetaspaceSize=268435456')
  })
})

describe('small test sizes', () => {
  it('JobManager with 768m process memory', () => {
    // overhead = 805306368 × 0.10000000149011612 = 80530638.0… < 192m -> 201326592
    // flink = 805306368 − 268435456 − 201326592 = 335544320; heap = 335544320 − 134217728 = 201326592
    for (const version of BOTH) {
      const out = jobManagerResourceParams(input({'jobmanager.memory.process.size': '768m'}, version))
      assert.equal(out.jvmParams, jvm(201326592, 268435456))
      assert.equal(out.dynamicConfigs, jmDynamic({heap: 201326592, overhead: 201326592}))
    }
  })

  it('TaskManager with 1g process memory: network clamped up to its 64m minimum', () => {
    // overhead = 1073741824 × 0.10000000149011612 = 107374184.0… < 192m -> 201326592
    // flink    = 1073741824 − 268435456 − 201326592 = 603979776
    // managed  = 603979776 × 0.4000000059604645 = 241591914.0000000014 -> 241591914
    //            (with the exact float 0.4f it is exactly 241591914.0: Double.toString's decimal sits a hair above)
    // network  = 603979776 × 0.10000000149011612 = 60397978.50… -> 60397978 < 64m -> 67108864
    // taskHeap = 603979776 − 128m − 128m − 0 − 241591914 − 67108864 = 26843542
    // -Xmx = 128m + 26843542 = 161061270; direct = 128m + 67108864 = 201326592
    for (const version of BOTH) {
      const out = taskManagerResourceParams(input({'taskmanager.memory.process.size': '1g'}, version))
      assert.equal(out.jvmParams, jvm(161061270, 268435456, 201326592))
      assert.equal(out.dynamicConfigs, tmDynamic({taskHeap: 26843542, network: 67108864, managed: 241591914, overhead: 201326592}))
    }
  })
})

describe('JVM overhead and metaspace', () => {
  it('JobManager 16g: overhead capped at its 1g maximum', () => {
    // overhead = 17179869184 × 0.10000000149011612 = 1717986944.0… > 1g -> 1073741824
    // flink = 17179869184 − 268435456 − 1073741824 = 15837691904; heap = 15837691904 − 128m = 15703474176
    const out = jobManagerResourceParams(input({'jobmanager.memory.process.size': '16g'}))
    assert.equal(out.jvmParams, jvm(15703474176, 268435456))
    assert.equal(out.dynamicConfigs, jmDynamic({heap: 15703474176, overhead: 1073741824}))
  })

  it('JobManager 4g: overhead inside [192m, 1g] keeps the truncated product', () => {
    // 0.1f × 2^32 = 13421773 × 32 = 429496736 exactly; the decimal 0.10000000149011612 is a hair above,
    // so the product is 429496736.0000000026 -> 429496736
    // flink = 4294967296 − 268435456 − 429496736 = 3597035104; heap = 3597035104 − 134217728 = 3462817376
    const out = jobManagerResourceParams(input({'jobmanager.memory.process.size': '4g'}, V120))
    assert.equal(out.jvmParams, jvm(3462817376, 268435456))
    assert.equal(out.dynamicConfigs, jmDynamic({heap: 3462817376, overhead: 429496736}))
  })

  it('JobManager with the direct memory limit enabled gets -XX:MaxDirectMemorySize = off-heap', () => {
    const out = jobManagerResourceParams(input({'jobmanager.memory.process.size': '1600m', 'jobmanager.memory.enable-jvm-direct-memory-limit': 'true'}))
    assert.equal(out.jvmParams, '-Xmx1073741824 -Xms1073741824 -XX:MaxDirectMemorySize=134217728 -XX:MaxMetaspaceSize=268435456')
    assert.equal(out.dynamicConfigs, jmDynamic({heap: 1073741824, overhead: 201326592}))
    // Boolean parsing is case-insensitive, like Flink's.
    assert.match(jobManagerResourceParams(input({'jobmanager.memory.process.size': '1600m', 'jobmanager.memory.enable-jvm-direct-memory-limit': 'TRUE'})).jvmParams, /MaxDirectMemorySize/)
  })

  it('TaskManager overhead fixed by min = max = 300m', () => {
    // overhead = 300m = 314572800 (min = max)
    // flink    = 2147483648 − 268435456 − 314572800 = 1564475392
    // managed  = 1564475392 × 0.4000000059604645 = 625790166.125… -> 625790166
    // network  = 1564475392 × 0.10000000149011612 = 156447541.53… -> 156447541
    // taskHeap = 1564475392 − 268435456 − 625790166 − 156447541 = 513802229
    // -Xmx = 134217728 + 513802229 = 648019957; direct = 134217728 + 156447541 = 290665269
    const out = taskManagerResourceParams(input({
      'taskmanager.memory.process.size': '2g',
      'taskmanager.memory.jvm-overhead.min': '300m',
      'taskmanager.memory.jvm-overhead.max': '300m',
    }))
    assert.equal(out.jvmParams, jvm(648019957, 268435456, 290665269))
    assert.equal(out.dynamicConfigs, tmDynamic({taskHeap: 513802229, network: 156447541, managed: 625790166, overhead: 314572800}))
  })

  it('JobManager with a 512m metaspace', () => {
    // overhead = 2147483648 × 0.10000000149011612 -> 214748368 (= 0.1f × 2^31 = 13421773 × 16), inside [192m, 1g]
    // flink = 2147483648 − 536870912 − 214748368 = 1395864368; heap = 1395864368 − 134217728 = 1261646640
    const out = jobManagerResourceParams(input({'jobmanager.memory.process.size': '2g', 'jobmanager.memory.jvm-metaspace.size': '512m'}))
    assert.equal(out.jvmParams, jvm(1261646640, 536870912))
    assert.equal(out.dynamicConfigs, jmDynamic({heap: 1261646640, metaspace: 536870912, overhead: 214748368}))
  })

  it('metaspace + minimum overhead larger than the process fails', () => {
    // 256m + 192m = 448m > 400m
    const msg =
      'Sum of configured JVM Metaspace (256.000mb (268435456 bytes)) and JVM Overhead (192.000mb (201326592 bytes)) exceed configured Total Process Memory (400.000mb (419430400 bytes)).'
    throwsMemory(() => jobManagerResourceParams(input({'jobmanager.memory.process.size': '400m'}, V120)), `JobManager memory configuration failed: ${msg}`, (e) => {
      assert.equal(e.key, 'jobmanager.memory.process.size')
      assert.match(e.hint, /jobmanager\.memory\.process\.size/)
    })
    // Flink 2.x's JobManagerProcessUtils no longer prefixes the message.
    throwsMemory(() => jobManagerResourceParams(input({'jobmanager.memory.process.size': '400m'}, V2)), msg)
  })

  it('overhead min above max fails with Flink\'s RangeFraction message', () => {
    throwsMemory(
      () => taskManagerResourceParams(input({'taskmanager.memory.process.size': '1728m', 'taskmanager.memory.jvm-overhead.min': '2g'})),
      "TaskManager memory configuration failed: Inconsistently configured Key: 'taskmanager.memory.jvm-overhead.fraction' , default: 0.1 (fallback keys: []) " +
        '(0.10000000149011612) and its min (2.000gb (2147483648 bytes)), max (1024.000mb (1073741824 bytes)) value',
      (e) => assert.match(e.hint, /taskmanager\.memory\.jvm-overhead\.min must not be larger than taskmanager\.memory\.jvm-overhead\.max/),
    )
  })

  it('derived overhead outside its range fails when heap and process are both set', () => {
    // flink = 1g heap + 128m off-heap = 1152m; overhead = 1500m − 1152m − 256m = 92m < 192m
    throwsMemory(
      () => jobManagerResourceParams(input({'jobmanager.memory.heap.size': '1g', 'jobmanager.memory.process.size': '1500m'})),
      'Derived JVM Overhead size (92.000mb (96468992 bytes)) is not in configured JVM Overhead range [192.000mb (201326592 bytes), 1024.000mb (1073741824 bytes)].',
    )
  })

  it('a process too small for the JobManager off-heap memory fails', () => {
    // flink = 500m − 256m − 192m = 52m, not more than the 128m off-heap
    throwsMemory(
      () => jobManagerResourceParams(input({'jobmanager.memory.process.size': '500m'})),
      'The configured Total Flink Memory (52.000mb (54525952 bytes)) is less than the configured Off-heap Memory (128.000mb (134217728 bytes)).',
    )
  })
})

describe('total Flink memory given', () => {
  it('TaskManager taskmanager.memory.flink.size: 1280m gives the default layout', () => {
    // managed/network/taskHeap as for the default (flink is 1280m there too);
    // overhead = (1342177280 + 268435456) × 0.11111111295076065 = 178956973.6… < 192m -> 201326592
    const out = taskManagerResourceParams(input({'taskmanager.memory.flink.size': '1280m'}))
    assert.equal(out.jvmParams, jvm(536870902, 268435456, 268435458))
    assert.equal(out.dynamicConfigs, tmDynamic({taskHeap: 402653174, network: 134217730, managed: 536870920, overhead: 201326592}))
    assert.equal(out.spec.totalProcessMemory, 1811939328)
  })

  it('JobManager jobmanager.memory.flink.size: 1g', () => {
    // heap = 1073741824 − 134217728 = 939524096
    // overhead = (1073741824 + 268435456) × 0.11111111295076065 = 149130811.4 < 192m -> 201326592
    const out = jobManagerResourceParams(input({'jobmanager.memory.flink.size': '1g'}))
    assert.equal(out.jvmParams, jvm(939524096, 268435456))
    assert.equal(out.dynamicConfigs, jmDynamic({heap: 939524096, overhead: 201326592}))
  })

  it('JobManager heap + Total Flink Memory: the off-heap size is what is left', () => {
    // off-heap = 1g − 768m = 256m (the 128m default is ignored); heap 805306368
    // overhead = (1g + 256m) × 0.11111111295076065 = 149130811.4 -> 192m
    const out = jobManagerResourceParams(input({'jobmanager.memory.heap.size': '768m', 'jobmanager.memory.flink.size': '1g'}))
    assert.equal(out.jvmParams, jvm(805306368, 268435456))
    assert.equal(out.dynamicConfigs, jmDynamic({heap: 805306368, offHeap: 268435456, overhead: 201326592}))
  })

  it('JobManager heap larger than Total Flink Memory fails', () => {
    throwsMemory(
      () => jobManagerResourceParams(input({'jobmanager.memory.heap.size': '2g', 'jobmanager.memory.flink.size': '1g', 'jobmanager.memory.process.size': '1600m'}, V120)),
      'JobManager memory configuration failed: The configured JVM Heap Memory (2.000gb (2147483648 bytes)) exceeds the configured Total Flink Memory ' +
        '(1024.000mb (1073741824 bytes)). Please, make the configuration consistent or configure only one option: either JVM Heap or Total Flink Memory.',
    )
  })
})

describe('explicit heap + managed memory', () => {
  it('TaskManager task heap 512m + managed 256m: network by inverse fraction', () => {
    // without network: 128m + 128m + 512m + 0 + 256m = 1073741824
    // network = 1073741824 × 0.11111111295076065 = 119304649.09 -> 119304649 (in [64m, ∞))
    // flink = 1073741824 + 119304649 = 1193046473
    // overhead = (1193046473 + 268435456) × 0.11111111295076065 = 162386883.7 < 192m -> 201326592
    // -Xmx = 128m + 512m = 671088640; direct = 128m + 119304649 = 253522377
    const out = taskManagerResourceParams(input({'taskmanager.memory.task.heap.size': '512m', 'taskmanager.memory.managed.size': '256m'}))
    assert.equal(out.jvmParams, jvm(671088640, 268435456, 253522377))
    assert.equal(out.dynamicConfigs, tmDynamic({taskHeap: 536870912, network: 119304649, managed: 268435456, overhead: 201326592}))
  })

  it('... plus taskmanager.memory.process.size: 2g, the overhead is what is left', () => {
    // overhead = 2147483648 − 1193046473 − 268435456 = 686001719, inside [192m, 1g]
    const out = taskManagerResourceParams(input({
      'taskmanager.memory.task.heap.size': '512m',
      'taskmanager.memory.managed.size': '256m',
      'taskmanager.memory.process.size': '2g',
    }))
    assert.equal(out.jvmParams, jvm(671088640, 268435456, 253522377))
    assert.equal(out.dynamicConfigs, tmDynamic({taskHeap: 536870912, network: 119304649, managed: 268435456, overhead: 686001719}))
  })

  it('JobManager heap 1g + process 2g: the overhead is what is left', () => {
    // flink = 1g + 128m = 1207959552; overhead = 2147483648 − 1207959552 − 268435456 = 671088640
    const out = jobManagerResourceParams(input({'jobmanager.memory.heap.size': '1g', 'jobmanager.memory.process.size': '2g'}))
    assert.equal(out.jvmParams, jvm(1073741824, 268435456))
    assert.equal(out.dynamicConfigs, jmDynamic({heap: 1073741824, overhead: 671088640}))
  })

  it('fine-grained sizes exceeding Total Flink Memory fail', () => {
    throwsMemory(
      () => taskManagerResourceParams(input({'taskmanager.memory.flink.size': '1g', 'taskmanager.memory.task.heap.size': '1g', 'taskmanager.memory.managed.size': '1g'})),
      'TaskManager memory configuration failed: Sum of configured Framework Heap Memory (128.000mb (134217728 bytes)), Framework Off-Heap Memory ' +
        '(128.000mb (134217728 bytes)), Task Heap Memory (1024.000mb (1073741824 bytes)), Task Off-Heap Memory (0 bytes) and Managed Memory ' +
        '(1024.000mb (1073741824 bytes)) exceed configured Total Flink Memory (1024.000mb (1073741824 bytes)).',
    )
  })

  it('the deprecated taskmanager.memory.size is read as the managed size, the new key wins', () => {
    // managed = 512m = 536870912; network 134217730 (as default)
    // taskHeap = 1342177280 − 268435456 − 536870912 − 134217730 = 402653182; -Xmx = 536870910
    const legacy = taskManagerResourceParams(input({'taskmanager.memory.process.size': '1728m', 'taskmanager.memory.size': '512m'}))
    assert.equal(legacy.jvmParams, jvm(536870910, 268435456, 268435458))
    assert.equal(legacy.dynamicConfigs, tmDynamic({taskHeap: 402653182, network: 134217730, managed: 536870912, overhead: 201326592}))
    // with taskmanager.memory.managed.size: 256m as well: taskHeap = 1342177280 − 268435456 − 268435456 − 134217730 = 671088638
    const both = taskManagerResourceParams(input({'taskmanager.memory.process.size': '1728m', 'taskmanager.memory.size': '512m', 'taskmanager.memory.managed.size': '256m'}))
    assert.equal(both.jvmParams, jvm(805306366, 268435456, 268435458))
  })
})

describe('network memory min/max/fraction', () => {
  it('min = max = 256m overrides the fraction', () => {
    // network = 256m; taskHeap = 1342177280 − 268435456 − 536870920 − 268435456 = 268435448
    // -Xmx = 134217728 + 268435448 = 402653176; direct = 134217728 + 268435456 = 402653184
    const out = taskManagerResourceParams(input({
      'taskmanager.memory.process.size': '1728m',
      'taskmanager.memory.network.min': '256m',
      'taskmanager.memory.network.max': '256m',
    }))
    assert.equal(out.jvmParams, jvm(402653176, 268435456, 402653184))
    assert.equal(out.dynamicConfigs, tmDynamic({taskHeap: 268435448, network: 268435456, managed: 536870920, overhead: 201326592}))
  })

  it('the deprecated taskmanager.network.memory.max caps the network (still read on 2.x)', () => {
    // process 4g: overhead 429496736 (see the JobManager 4g case); flink = 3597035104
    // managed  = 3597035104 × 0.4000000059604645 = 1438814063.04 -> 1438814063
    // network  = 3597035104 × 0.10000000149011612 = 359703515.76 -> 359703515 > 100m -> 104857600
    // taskHeap = 3597035104 − 268435456 − 1438814063 − 104857600 = 1784927985
    // -Xmx = 134217728 + 1784927985 = 1919145713; direct = 134217728 + 104857600 = 239075328
    for (const version of BOTH) {
      const out = taskManagerResourceParams(input({'taskmanager.memory.process.size': '4g', 'taskmanager.network.memory.max': '100m'}, version))
      assert.equal(out.jvmParams, jvm(1919145713, 268435456, 239075328))
      assert.equal(out.dynamicConfigs, tmDynamic({taskHeap: 1784927985, network: 104857600, managed: 1438814063, overhead: 429496736}))
    }
  })

  it('the new key beats the deprecated one', () => {
    // network = 200m = 209715200; taskHeap = 3597035104 − 268435456 − 1438814063 − 209715200 = 1680070385
    const out = taskManagerResourceParams(input({
      'taskmanager.memory.process.size': '4g',
      'taskmanager.network.memory.max': '100m',
      'taskmanager.memory.network.max': '200m',
    }))
    assert.equal(out.jvmParams, jvm(1814288113, 268435456, 343932928))
  })

  it('the default maximum is unbounded (Long.MAX_VALUE since 1.17), not 1g', () => {
    // process 64g: overhead = 68719476736 × 0.1… = 6871947776.0 > 1g -> 1073741824
    // flink    = 68719476736 − 268435456 − 1073741824 = 67377299456
    // managed  = 67377299456 × 0.4000000059604645 = 26950920184.0000015 -> 26950920184
    // network  = 67377299456 × 0.10000000149011612 = 6737730046.00000004 -> 6737730046 (> 1g, not capped)
    // taskHeap = 67377299456 − 268435456 − 26950920184 − 6737730046 = 33420213770
    const out = taskManagerResourceParams(input({'taskmanager.memory.process.size': '64g'}))
    assert.equal(out.jvmParams, jvm(33554431498, 268435456, 6871947774))
    assert.equal(out.dynamicConfigs, tmDynamic({taskHeap: 33420213770, network: 6737730046, managed: 26950920184, overhead: 1073741824}))
  })

  it('a fraction of 1 is rejected with the option described as Flink prints it', () => {
    throwsMemory(
      () => taskManagerResourceParams(input({'taskmanager.memory.process.size': '1728m', 'taskmanager.memory.network.fraction': '1.0'})),
      "TaskManager memory configuration failed: Inconsistently configured Key: 'taskmanager.memory.network.fraction' , default: 0.1 " +
        '(fallback keys: [{key=taskmanager.network.memory.fraction, isDeprecated=true}]) (1.0) and its min (64.000mb (67108864 bytes)), ' +
        'max (8388608.000tb (9223372036854775807 bytes)) value',
      (e) => assert.equal(e.key, 'taskmanager.memory.network.fraction'),
    )
  })

  it('an unparsable fraction is an IllegalArgumentException, not prefixed', () => {
    throwsMemory(
      () => taskManagerResourceParams(input({'taskmanager.memory.process.size': '1728m', 'taskmanager.memory.managed.fraction': 'lots'})),
      "Could not parse value 'lots' for key 'taskmanager.memory.managed.fraction'.",
      (e) => assert.equal(e.flinkException, 'IllegalArgumentException'),
    )
  })

  it('taskmanager.network.numberOfBuffers sizes the network on 1.20 only', () => {
    // 1.20: no new network option set -> network = 4096 buffers × 32kb segments = 134217728
    //       taskHeap = 1342177280 − 268435456 − 536870920 − 134217728 = 402653176; -Xmx = 536870904
    const conf = {'taskmanager.memory.process.size': '1728m', 'taskmanager.network.numberOfBuffers': '4096'}
    const old = taskManagerResourceParams(input(conf, V120))
    assert.equal(old.jvmParams, jvm(536870904, 268435456, 268435456))
    assert.equal(old.dynamicConfigs, tmDynamic({taskHeap: 402653176, network: 134217728, managed: 536870920, overhead: 201326592}))
    // 2.x removed the option (FLINK-33750): the default layout
    assert.equal(taskManagerResourceParams(input(conf, V2)).jvmParams, jvm(536870902, 268435456, 268435458))
  })
})

describe('slots and CPU cores', () => {
  it('cpu cores default to the number of slots, printed as a Java double', () => {
    const out = taskManagerResourceParams(input({'taskmanager.memory.process.size': '1728m', 'taskmanager.numberOfTaskSlots': '4'}))
    assert.equal(out.dynamicConfigs, tmDynamic({cpu: '4.0', slots: 4, taskHeap: 402653174, network: 134217730, managed: 536870920, overhead: 201326592}))
  })

  it('taskmanager.cpu.cores wins and keeps at most 8 decimals (CPUResource setScale(8, DOWN))', () => {
    const cores = (v: string): string =>
      /taskmanager\.cpu\.cores=(\S+)/.exec(taskManagerResourceParams(input({'taskmanager.memory.process.size': '1728m', 'taskmanager.numberOfTaskSlots': '4', 'taskmanager.cpu.cores': v})).dynamicConfigs)![1]!
    assert.equal(cores('2.5'), '2.5')
    assert.equal(cores('3.3333333333'), '3.33333333')
    assert.equal(cores('16'), '16.0')
    assert.equal(cores('0.0001'), '1.0E-4')
    assert.equal(cores('1e8'), '1.0E8')
  })

  it('zero slots and no cpu cores fail', () => {
    throwsMemory(
      () => taskManagerResourceParams(input({'taskmanager.memory.process.size': '1728m', 'taskmanager.numberOfTaskSlots': '0'})),
      'TaskManager memory configuration failed: TaskExecutors need to be started with a positive number of CPU cores. Please configure taskmanager.cpu.cores accordingly.',
      (e) => assert.equal(e.key, 'taskmanager.numberOfTaskSlots'),
    )
  })
})

describe('external resources', () => {
  it('one resource: 14 keys, the amount key lands in the last bucket', () => {
    // 'external-resource.gpu.amount' spread hash & 31 = 31; the list is written "gpu" with quotes.
    const out = taskManagerResourceParams(input({'taskmanager.memory.process.size': '1728m', 'external-resources': 'gpu', 'external-resource.gpu.amount': '2'}))
    const base = tmDynamic({taskHeap: 402653174, network: 134217730, managed: 536870920, overhead: 201326592}, '"gpu"')
    assert.equal(out.dynamicConfigs, `${base} -D external-resource.gpu.amount=2`)
  })

  it('two resources: names in HashSet/HashMap order, fpga amount in bucket 20', () => {
    // names: 'gpu' bucket 13, 'fpga' bucket 4 -> "fpga;gpu";
    // 'external-resource.fpga.amount' hash & 31 = 20: after network.max (19), before framework.heap (22)
    const out = taskManagerResourceParams(input({
      'taskmanager.memory.process.size': '1728m',
      'external-resources': 'gpu;fpga',
      'external-resource.gpu.amount': '2',
      'external-resource.fpga.amount': '1',
    }))
    const base = tmDynamic({taskHeap: 402653174, network: 134217730, managed: 536870920, overhead: 201326592}, '"fpga;gpu"')
    const expected = base.replace(
      '-D taskmanager.memory.framework.heap.size',
      '-D external-resource.fpga.amount=1 -D taskmanager.memory.framework.heap.size',
    )
    assert.equal(out.dynamicConfigs, `${expected} -D external-resource.gpu.amount=2`)
  })

  it('resources without a positive amount are dropped', () => {
    const out = taskManagerResourceParams(input({'taskmanager.memory.process.size': '1728m', 'external-resources': 'gpu', 'external-resource.gpu.amount': '0'}))
    assert.match(out.dynamicConfigs, / -D external-resources=none /)
  })
})

describe('legacy heap options', () => {
  it('1.20: taskmanager.heap.size becomes taskmanager.memory.flink.size', () => {
    // flink    = 1024m = 1073741824
    // managed  = 1073741824 × 0.4000000059604645 -> 429496736 (0.4f × 2^30 = 13421773 × 32 exactly)
    // network  = 1073741824 × 0.10000000149011612 -> 107374184 (0.1f × 2^30 = 13421773 × 8 exactly)
    // taskHeap = 1073741824 − 268435456 − 429496736 − 107374184 = 268435448
    // overhead = (1073741824 + 268435456) × 0.11111111295076065 = 149130811.4 < 192m -> 201326592
    // -Xmx = 134217728 + 268435448 = 402653176; direct = 134217728 + 107374184 = 241591912
    const out = taskManagerResourceParams(input({'taskmanager.heap.size': '1024m'}, V120))
    assert.equal(out.jvmParams, jvm(402653176, 268435456, 241591912))
    assert.equal(out.dynamicConfigs, tmDynamic({taskHeap: 268435448, network: 107374184, managed: 429496736, overhead: 201326592}))
  })

  it('1.20: with the default process size too, the overhead takes the rest', () => {
    // overhead = 1811939328 − 1073741824 − 268435456 = 469762048 (448m), inside [192m, 1g]
    const out = taskManagerResourceParams(input({'taskmanager.heap.size': '1024m', 'taskmanager.memory.process.size': '1728m'}, V120))
    assert.equal(out.dynamicConfigs, tmDynamic({taskHeap: 268435448, network: 107374184, managed: 429496736, overhead: 469762048}))
  })

  it('1.20: $FLINK_TM_HEAP beats taskmanager.heap.size', () => {
    const out = taskManagerResourceParams(input({'taskmanager.heap.size': '2g'}, V120, {FLINK_TM_HEAP: '1024m'}))
    assert.equal(out.jvmParams, jvm(402653176, 268435456, 241591912))
    throwsMemory(
      () => jobManagerResourceParams(input({'jobmanager.memory.process.size': '1600m'}, V120, {FLINK_JM_HEAP: 'bogus'})),
      'JobManager memory configuration failed: Cannot read total process memory size from environment variable value bogus.',
    )
  })

  it('1.20: jobmanager.heap.mb becomes jobmanager.memory.heap.size (the option BashJavaUtils passes)', () => {
    // heap = 1024 << 20 = 1073741824; flink = 1073741824 + 128m = 1207959552
    // overhead = (1207959552 + 268435456) × 0.11111111295076065 = 164043892.5 < 192m -> 201326592
    // i.e. the same lines as the 1600m default
    const out = jobManagerResourceParams(input({'jobmanager.heap.mb': '1024'}, V120))
    assert.equal(out.jvmParams, jvm(1073741824, 268435456))
    assert.equal(out.dynamicConfigs, jmDynamic({heap: 1073741824, overhead: 201326592}))
  })

  it('1.20: jobmanager.memory.heap.size beats jobmanager.heap.size', () => {
    // heap 1g: overhead = 1600m − 1152m − 256m = 192m, fine; the legacy 2g is not read
    const out = jobManagerResourceParams(input({'jobmanager.memory.heap.size': '1g', 'jobmanager.heap.size': '2g', 'jobmanager.memory.process.size': '1600m'}, V120))
    assert.equal(out.jvmParams, jvm(1073741824, 268435456))
  })

  it('1.20: a legacy JobManager heap that does not fit the process size fails', () => {
    // flink = 2g + 128m = 2281701376; 1600m < 2281701376 + 256m
    throwsMemory(
      () => jobManagerResourceParams(input({'jobmanager.heap.size': '2g', 'jobmanager.memory.process.size': '1600m'}, V120)),
      'JobManager memory configuration failed: The configured Total Process Memory size (1.563gb (1677721600 bytes)) is less than the sum of the derived ' +
        'Total Flink Memory size (2.125gb (2281701376 bytes)) and the configured or default JVM Metaspace size  (256.000mb (268435456 bytes)).',
    )
  })

  it('1.20: a negative jobmanager.heap.mb fails', () => {
    throwsMemory(
      () => jobManagerResourceParams(input({'jobmanager.heap.mb': '-5'}, V120)),
      'JobManager memory configuration failed: Configured total process memory size (-5MB) must not be less than 0.',
    )
  })

  it('2.x: the legacy keys are ignored; alone they leave the memory unconfigured', () => {
    throwsMemory(
      () => taskManagerResourceParams(input({'taskmanager.heap.size': '1024m'}, V2)),
      "TaskManager memory configuration failed: Either required fine-grained memory (taskmanager.memory.task.heap.size and taskmanager.memory.managed.size), or Total Flink Memory size (Key: 'taskmanager.memory.flink.size' , default: null (fallback keys: [])), or Total Process Memory size (Key: 'taskmanager.memory.process.size' , default: null (fallback keys: [])) need to be configured explicitly.",
      (e) => assert.match(e.hint, /taskmanager\.heap\.size is no longer read by Flink 2\.x/),
    )
    throwsMemory(
      () => jobManagerResourceParams(input({'jobmanager.heap.mb': '1024'}, V2)),
      "Either required fine-grained memory (jobmanager.memory.heap.size), or Total Flink Memory size (Key: 'jobmanager.memory.flink.size' , default: null (fallback keys: [])), or Total Process Memory size (Key: 'jobmanager.memory.process.size' , default: null (fallback keys: [])) need to be configured explicitly.",
      (e) => assert.match(e.hint, /jobmanager\.heap\.mb is no longer read by Flink 2\.x/),
    )
    // ... and next to a process size they change nothing.
    const out = taskManagerResourceParams(input({'taskmanager.heap.size': '1024m', 'taskmanager.memory.process.size': '1728m'}, V2))
    assert.equal(out.jvmParams, jvm(536870902, 268435456, 268435458))
  })
})

describe('errors', () => {
  it('nothing configured: Flink\'s message, a hint naming the keys, a ConfigError', () => {
    throwsMemory(
      () => jobManagerResourceParams(input({}, V120)),
      "JobManager memory configuration failed: Either required fine-grained memory (jobmanager.memory.heap.size), or Total Flink Memory size (Key: 'jobmanager.memory.flink.size' , default: null (fallback keys: [])), or Total Process Memory size (Key: 'jobmanager.memory.process.size' , default: null (fallback keys: [])) need to be configured explicitly.",
      (e) => {
        assert.ok(e instanceof ConfigError)
        assert.equal(e.code, 'MEMORY_CONFIG')
        assert.equal(e.exit, ExitCode.ConfigInvalid)
        assert.equal(e.flinkException, 'IllegalConfigurationException')
        assert.match(e.hint, /jobmanager\.memory\.process\.size.*jobmanager\.memory\.flink\.size.*jobmanager\.memory\.heap\.size/)
      },
    )
    throwsMemory(() => taskManagerResourceParams(input({})), /need to be configured explicitly/, (e) =>
      assert.match(e.hint, /taskmanager\.memory\.process\.size.*taskmanager\.memory\.flink\.size.*taskmanager\.memory\.task\.heap\.size and taskmanager\.memory\.managed\.size/),
    )
  })

  it('an unparsable size names the key', () => {
    throwsMemory(
      () => taskManagerResourceParams(input({'taskmanager.memory.process.size': '1728 megs'})),
      "TaskManager memory configuration failed: Cannot read memory size from config option 'taskmanager.memory.process.size'.",
      (e) => {
        assert.equal(e.key, 'taskmanager.memory.process.size')
        assert.match(e.hint, /'megs' is not a memory unit/)
      },
    )
  })

  it('a process too small to leave anything for the task heap', () => {
    // flink = 500m − 256m − 192m = 52m; managed = 54525952 × 0.4000000059604645 = 21810381.1 -> 21810381;
    // network = 5452595 -> 64m; 128m + 128m + 0 + 21810381 + 64m > 52m
    throwsMemory(
      () => taskManagerResourceParams(input({'taskmanager.memory.process.size': '500m'})),
      'TaskManager memory configuration failed: Sum of configured Framework Heap Memory (128.000mb (134217728 bytes)), Framework Off-Heap Memory ' +
        '(128.000mb (134217728 bytes)), Task Off-Heap Memory (0 bytes), Managed Memory (20.800mb (21810381 bytes)) and Network Memory ' +
        '(64.000mb (67108864 bytes)) exceed configured Total Flink Memory (52.000mb (54525952 bytes)).',
      (e) => assert.match(e.hint, /taskmanager\.memory\.process\.size/),
    )
  })

  it('sizes beyond 2^53 bytes are read like Java longs', () => {
    // jvm-overhead.max = Long.MAX_VALUE bytes is legal; the 1600m JobManager is unchanged
    const out = jobManagerResourceParams(input({'jobmanager.memory.process.size': '1600m', 'jobmanager.memory.jvm-overhead.max': '9223372036854775807'}))
    assert.equal(out.jvmParams, jvm(1073741824, 268435456))
  })
})
