/**
 * The iteration order of java.util.HashMap<String, V>, reproduced so that strings Flink builds by
 * iterating a HashMap (the `-D key=value` dynamic configs of BashJavaUtils) come out byte-exact.
 *
 * What the JDK (8 to 25) does and this file copies:
 * - String.hashCode(): s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, in 32-bit int arithmetic;
 * - HashMap.hash(): h ^ (h >>> 16);
 * - the table is allocated on the first put: 16 buckets by default, or tableSizeFor(initialCapacity);
 * - bucket index = hash & (capacity - 1); a new key is appended to the tail of its bucket's list;
 *   putting an existing key replaces the value in place;
 * - after an insert, if ++size > threshold (capacity * 0.75) the table doubles; the split keeps the
 *   relative order of each bucket's nodes (lo list stays at j, hi list moves to j + oldCapacity);
 * - a bucket reaching 9 nodes while the table has fewer than 64 buckets doubles the table too
 *   (treeifyBin's resize path);
 * - iteration walks buckets 0..capacity-1, each list from head to tail.
 *
 * Not reproduced: the red-black tree bins Java builds once a bucket holds 9+ keys in a table of 64+
 * buckets. Their iteration order is still mostly insertion order, but later inserts are linked next
 * to their tree parent. No key set Flink's launch scripts produce comes anywhere near that.
 */

const DEFAULT_CAPACITY = 16
const MAXIMUM_CAPACITY = 1 << 30
const TREEIFY_THRESHOLD = 8
const MIN_TREEIFY_CAPACITY = 64

/** java.lang.String#hashCode(). */
export function javaStringHashCode(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0
  return h
}

/** java.util.HashMap#hash(Object) for a String key. */
export const javaHashMapHash = (key: string): number => {
  const h = javaStringHashCode(key)
  return (h ^ (h >>> 16)) | 0
}

/** HashMap.tableSizeFor: the smallest power of two >= cap (1 for cap <= 1), capped at 2^30. */
export function tableSizeFor(cap: number): number {
  let n = 1
  while (n < cap && n < MAXIMUM_CAPACITY) n *= 2
  return n
}

interface Node<V> {
  readonly key: string
  readonly hash: number
  value: V
}

export class JavaHashMap<V> {
  private table: Array<Array<Node<V>>> | undefined
  /** Before the table exists: the initial capacity (0 = default), as Java keeps it in `threshold`. */
  private threshold: number
  private count = 0

  /** `new HashMap<>()` or `new HashMap<>(initialCapacity)`. */
  constructor(initialCapacity?: number) {
    if (initialCapacity !== undefined && (!Number.isInteger(initialCapacity) || initialCapacity < 0)) {
      throw new RangeError(`Illegal initial capacity: ${initialCapacity}`)
    }
    this.threshold = initialCapacity === undefined ? 0 : tableSizeFor(initialCapacity)
  }

  get size(): number {
    return this.count
  }

  /** Number of buckets (0 before the first put). */
  get capacity(): number {
    return this.table?.length ?? 0
  }

  get(key: string): V | undefined {
    if (!this.table) return undefined
    const hash = javaHashMapHash(key)
    return this.table[hash & (this.table.length - 1)]!.find((n) => n.hash === hash && n.key === key)?.value
  }

  /** Map.put: returns the previous value, if any. */
  put(key: string, value: V): V | undefined {
    if (!this.table) this.resize()
    const tab = this.table!
    const hash = javaHashMapHash(key)
    const bin = tab[hash & (tab.length - 1)]!
    const existing = bin.find((n) => n.hash === hash && n.key === key)
    if (existing) {
      const old = existing.value
      existing.value = value
      return old
    }
    bin.push({key, hash, value})
    // putVal calls treeifyBin when it appends at binCount >= TREEIFY_THRESHOLD - 1, i.e. when the
    // bin now holds TREEIFY_THRESHOLD + 1 nodes; below MIN_TREEIFY_CAPACITY that only resizes.
    if (bin.length >= TREEIFY_THRESHOLD + 1 && tab.length < MIN_TREEIFY_CAPACITY) this.resize()
    if (++this.count > this.threshold) this.resize()
    return undefined
  }

  /** Keys in iteration order. */
  keys(): string[] {
    return this.entries().map(([k]) => k)
  }

  /** Entries in iteration order. */
  entries(): Array<[string, V]> {
    const out: Array<[string, V]> = []
    for (const bin of this.table ?? []) for (const n of bin) out.push([n.key, n.value])
    return out
  }

  /** HashMap.resize(): allocate, or double and split each bucket into its lo and hi halves. */
  private resize(): void {
    const oldTab = this.table
    const oldCap = oldTab?.length ?? 0
    const oldThr = this.threshold
    let newCap: number
    let newThr = 0
    if (oldCap > 0) {
      if (oldCap >= MAXIMUM_CAPACITY) {
        this.threshold = 2 ** 31 - 1
        return
      }
      newCap = oldCap * 2
      if (newCap < MAXIMUM_CAPACITY && oldCap >= DEFAULT_CAPACITY) newThr = oldThr * 2
    } else if (oldThr > 0) {
      newCap = oldThr
    } else {
      newCap = DEFAULT_CAPACITY
      newThr = Math.trunc(DEFAULT_CAPACITY * 0.75)
    }
    if (newThr === 0) {
      // (int) (newCap * 0.75f): exact in float for every power of two.
      newThr = newCap < MAXIMUM_CAPACITY ? Math.trunc(newCap * 0.75) : 2 ** 31 - 1
    }
    this.threshold = newThr
    const newTab: Array<Array<Node<V>>> = Array.from({length: newCap}, () => [])
    if (oldTab) {
      for (let j = 0; j < oldCap; j++) {
        for (const n of oldTab[j]!) {
          // Same as Java's lo/hi split: (hash & oldCap) == 0 stays at j, else goes to j + oldCap.
          newTab[n.hash & (newCap - 1)]!.push(n)
        }
      }
    }
    this.table = newTab
  }
}

/** Iteration order of a `new HashMap<>(initialCapacity?)` after putting `keys` in this order. */
export function javaHashMapOrder(keys: Iterable<string>, initialCapacity?: number): string[] {
  const map = new JavaHashMap<true>(initialCapacity)
  for (const k of keys) map.put(k, true)
  return map.keys()
}

/** Iteration order of `new HashSet<>(collection)` (capacity max((int) (size / .75f) + 1, 16)). */
export function javaHashSetFromCollectionOrder(items: readonly string[]): string[] {
  const capacity = Math.max(Math.trunc(Math.fround(items.length / Math.fround(0.75))) + 1, 16)
  return javaHashMapOrder(items, capacity)
}
