import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {
  JavaHashMap,
  javaHashMapHash,
  javaHashMapOrder,
  javaHashSetFromCollectionOrder,
  javaStringHashCode,
  tableSizeFor,
} from '../../../src/lib/launch/memory/java-hashmap.ts'

describe('javaStringHashCode', () => {
  it('is s[0]*31^(n-1) + ... + s[n-1]', () => {
    assert.equal(javaStringHashCode(''), 0)
    assert.equal(javaStringHashCode('a'), 97)
    // 'a'*31 + 'b' = 97*31 + 98 = 3105
    assert.equal(javaStringHashCode('ab'), 3105)
    // 97*961 + 98*31 + 99 = 93217 + 3038 + 99 = 96354
    assert.equal(javaStringHashCode('abc'), 96354)
    // 'A'*31 + 'a' = 65*31 + 97 = 2112 = 'B'*31 + 'B' = 66*31 + 66: the textbook collision
    assert.equal(javaStringHashCode('Aa'), 2112)
    assert.equal(javaStringHashCode('BB'), 2112)
  })

  it('wraps around in 32-bit int arithmetic', () => {
    // The well-known Java string whose hashCode is Integer.MIN_VALUE.
    assert.equal(javaStringHashCode('polygenelubricants'), -2147483648)
    // Values printed by `"...".hashCode()` on OpenJDK 17 for the keys Flink puts in its maps.
    assert.equal(javaStringHashCode('external-resources'), 1298727587)
    assert.equal(javaStringHashCode('taskmanager.cpu.cores'), -2059392760)
    assert.equal(javaStringHashCode('taskmanager.memory.network.min'), 1437517387)
    assert.equal(javaStringHashCode('taskmanager.memory.framework.off-heap.size'), -2122473938)
    assert.equal(javaStringHashCode('jobmanager.memory.heap.size'), 1242209012)
    assert.equal(javaStringHashCode('jobmanager.memory.jvm-overhead.max'), -1808136827)
  })

  it('counts UTF-16 code units, as Java strings do', () => {
    // 'é' is one unit (0xE9 = 233); U+1F600 is the surrogate pair D83D DE00.
    assert.equal(javaStringHashCode('é'), 233)
    assert.equal(javaStringHashCode('\u{1F600}'), (0xd83d * 31 + 0xde00) | 0)
  })
})

describe('javaHashMapHash', () => {
  it('folds the high 16 bits into the low ones: h ^ (h >>> 16)', () => {
    // 96354 = 0x17862; 0x17862 ^ 0x1 = 0x17863 = 96355
    assert.equal(javaHashMapHash('abc'), 96355)
    // 0x80000000 ^ 0x00008000 = 0x80008000 = -2147450880
    assert.equal(javaHashMapHash('polygenelubricants'), -2147450880)
    // small hashes are unchanged
    assert.equal(javaHashMapHash('a'), 97)
  })
})

describe('tableSizeFor', () => {
  it('rounds up to a power of two, at least 1', () => {
    assert.deepEqual([0, 1, 2, 3, 16, 17, 100].map(tableSizeFor), [1, 1, 2, 4, 16, 32, 128])
  })
})

describe('JavaHashMap iteration order', () => {
  it('walks buckets 0..15 of a default 16-bucket table', () => {
    // 'p' = 112 = 0x70 -> bucket 0; 'a' = 0x61 -> 1; 'q' = 0x71 -> 1; 'b' = 0x62 -> 2
    assert.deepEqual(javaHashMapOrder(['a', 'b', 'p', 'q']), ['p', 'a', 'q', 'b'])
  })

  it('keeps insertion order inside a bucket, and a re-put does not move a key', () => {
    // 'Aa' and 'BB' share hash 2112 -> bucket 2112 & 15 = 0
    assert.deepEqual(javaHashMapOrder(['BB', 'Aa']), ['BB', 'Aa'])
    assert.deepEqual(javaHashMapOrder(['Aa', 'BB']), ['Aa', 'BB'])
    const map = new JavaHashMap<number>()
    map.put('Aa', 1)
    map.put('BB', 2)
    assert.equal(map.put('Aa', 3), 1)
    assert.deepEqual(map.entries(), [['Aa', 3], ['BB', 2]])
    assert.equal(map.size, 2)
    assert.equal(map.get('BB'), 2)
    assert.equal(map.get('Ab'), undefined)
  })

  it('uses the spread hash, not the raw hashCode, to pick the bucket', () => {
    // 'b' -> 98 & 15 = 2; 'c' -> 99 & 15 = 3; 'abc' -> 96355 & 15 = 3 (raw 96354 would give 2).
    // So 'abc' shares bucket 3 with 'c' and, being put first, comes before it.
    assert.deepEqual(javaHashMapOrder(['abc', 'b', 'c']), ['b', 'abc', 'c'])
  })

  it('doubles the table when the 13th key exceeds the 0.75 load factor', () => {
    // 'p' (112) sits in bucket 0 of 16 but in bucket 112 & 31 = 16 of 32;
    // 'a'..'k' (97..107) sit in buckets 1..11 of either size.
    const twelve = ['p', ...'abcdefghijk']
    const map = new JavaHashMap<true>()
    for (const k of twelve) map.put(k, true)
    assert.equal(map.capacity, 16)
    assert.deepEqual(map.keys(), ['p', ...'abcdefghijk'])
    map.put('l', true) // 13 > threshold 12 -> 32 buckets
    assert.equal(map.capacity, 32)
    assert.deepEqual(map.keys(), [...'abcdefghijkl', 'p'])
  })

  it('doubles a small table instead of treeifying a bucket that reaches 9 keys', () => {
    // Nine chars congruent to 1 mod 16 all land in bucket 1 of 16; at 32 buckets the ones
    // with bit 4 set (49 '1', 81 'Q', 113 'q', 145 '\x91') move to bucket 17.
    const keys = ['!', '1', 'A', 'Q', 'a', 'q', '\x81', '\x91', '\xa1']
    const map = new JavaHashMap<true>()
    for (const k of keys.slice(0, 8)) map.put(k, true)
    assert.equal(map.capacity, 16)
    assert.deepEqual(map.keys(), keys.slice(0, 8))
    map.put(keys[8]!, true)
    assert.equal(map.capacity, 32)
    assert.deepEqual(map.keys(), ['!', 'A', 'a', '\x81', '\xa1', '1', 'Q', 'q', '\x91'])
  })

  it('honours an initial capacity', () => {
    // new HashMap<>(2): 2 buckets, threshold 1. 'p' (even) and 'a' (odd) -> [p, a];
    // the 2nd put exceeds 1 -> 4 buckets (threshold 3): 'p' 112 & 3 = 0, 'a' 97 & 3 = 1.
    const map = new JavaHashMap<true>(2)
    map.put('a', true)
    map.put('p', true)
    assert.equal(map.capacity, 4)
    assert.deepEqual(map.keys(), ['p', 'a'])
  })

  it('orders the JobManager dynamic configs like Flink (5 keys, 16 buckets)', () => {
    // spread hash & 15, from the hashCodes above (checked against OpenJDK 17):
    // heap.size 14, off-heap.size 8, jvm-metaspace.size 12, jvm-overhead.min 9, jvm-overhead.max 15
    const puts = [
      'jobmanager.memory.heap.size',
      'jobmanager.memory.off-heap.size',
      'jobmanager.memory.jvm-metaspace.size',
      'jobmanager.memory.jvm-overhead.min',
      'jobmanager.memory.jvm-overhead.max',
    ]
    assert.deepEqual(javaHashMapOrder(puts), [
      'jobmanager.memory.off-heap.size',
      'jobmanager.memory.jvm-overhead.min',
      'jobmanager.memory.jvm-metaspace.size',
      'jobmanager.memory.heap.size',
      'jobmanager.memory.jvm-overhead.max',
    ])
  })

  it('orders the TaskManager dynamic configs like Flink (13 keys, resized to 32 buckets)', () => {
    // spread hash & 31 per key, in put order: cpu.cores 8, framework.heap 22, framework.off-heap 19,
    // task.heap 24, task.off-heap 8, network.min 5, network.max 19, managed 22, jvm-metaspace 8,
    // jvm-overhead.min 15, jvm-overhead.max 25, numberOfTaskSlots 24, external-resources 10.
    // Sorting by (bucket, put order) gives the line real Flink 1.20/2.x print for the default config.
    const puts = [
      'taskmanager.cpu.cores',
      'taskmanager.memory.framework.heap.size',
      'taskmanager.memory.framework.off-heap.size',
      'taskmanager.memory.task.heap.size',
      'taskmanager.memory.task.off-heap.size',
      'taskmanager.memory.network.min',
      'taskmanager.memory.network.max',
      'taskmanager.memory.managed.size',
      'taskmanager.memory.jvm-metaspace.size',
      'taskmanager.memory.jvm-overhead.min',
      'taskmanager.memory.jvm-overhead.max',
      'taskmanager.numberOfTaskSlots',
      'external-resources',
    ]
    assert.deepEqual(javaHashMapOrder(puts), [
      'taskmanager.memory.network.min', // 5
      'taskmanager.cpu.cores', // 8, put 1st
      'taskmanager.memory.task.off-heap.size', // 8, put 5th
      'taskmanager.memory.jvm-metaspace.size', // 8, put 9th
      'external-resources', // 10
      'taskmanager.memory.jvm-overhead.min', // 15
      'taskmanager.memory.framework.off-heap.size', // 19, put 3rd
      'taskmanager.memory.network.max', // 19, put 7th
      'taskmanager.memory.framework.heap.size', // 22, put 2nd
      'taskmanager.memory.managed.size', // 22, put 8th
      'taskmanager.memory.task.heap.size', // 24, put 4th
      'taskmanager.numberOfTaskSlots', // 24, put 12th
      'taskmanager.memory.jvm-overhead.max', // 25
    ])
  })

  it('new HashSet<>(collection) sizes its table from the collection', () => {
    // max((int) (2 / .75f) + 1, 16) = 16 buckets: 'gpu' hash 102573 & 15 = 13, 'fpga' 3149588 & 15 = 4
    assert.deepEqual(javaHashSetFromCollectionOrder(['gpu', 'fpga']), ['fpga', 'gpu'])
    assert.deepEqual(javaHashSetFromCollectionOrder(['gpu', 'gpu']), ['gpu'])
  })
})
