// "Did you mean": the known key nearest to an unknown one, by spelling, by word order and
// grouping, by a missing prefix, or by a segment that nested YAML doubled.

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent swaps), in three rolling rows. It
 * stops early once every cell of two consecutive rows reaches `cutoff`: no later row can go
 * below it, and a candidate that far off cannot win. (A full matrix per candidate made 95,000
 * unknown keys take 150 s.)
 */
function editDistance(a: string, b: string, cutoff = Infinity): number {
  const width = b.length + 1
  if (rows.length < 3 * width) rows = new Int32Array(3 * width * 2)
  let prev2 = 0
  let prev = width
  let cur = 2 * width
  for (let j = 0; j < width; j++) rows[prev + j] = j
  let prevMin = 0
  for (let i = 1; i <= a.length; i++) {
    rows[cur] = i
    let rowMin = i
    const ai = a.charCodeAt(i - 1)
    for (let j = 1; j <= b.length; j++) {
      const bj = b.charCodeAt(j - 1)
      let v = Math.min(rows[prev + j]! + 1, rows[cur + j - 1]! + 1, rows[prev + j - 1]! + (ai === bj ? 0 : 1))
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj) v = Math.min(v, rows[prev2 + j - 2]! + 1)
      rows[cur + j] = v
      if (v < rowMin) rowMin = v
    }
    if (rowMin >= cutoff && prevMin + 1 >= cutoff) return cutoff
    prevMin = rowMin
    const t = prev2
    prev2 = prev
    prev = cur
    cur = t
  }
  return rows[prev + b.length]!
}
let rows = new Int32Array(768)

interface KnownKey {
  key: string
  lower: string
  hist: Uint8Array
}

/** Characters counted in 64 buckets: half the L1 distance of two histograms bounds the edit distance from below. */
function histogram(s: string): Uint8Array {
  const h = new Uint8Array(64)
  for (let i = 0; i < s.length; i++) h[s.charCodeAt(i) & 63] = Math.min(255, h[s.charCodeAt(i) & 63]! + 1)
  return h
}

/** Known keys lowercased and grouped by length, built once per key set. */
const byLength = new WeakMap<object, Map<number, KnownKey[]>>()
function groupedByLength(known: Iterable<string>): Map<number, KnownKey[]> {
  const cached = byLength.get(known)
  if (cached) return cached
  const groups = new Map<number, KnownKey[]>()
  for (const key of known) {
    const group = groups.get(key.length) ?? []
    const lower = key.toLowerCase()
    group.push({key, lower, hist: histogram(lower)})
    groups.set(key.length, group)
  }
  byLength.set(known, groups)
  return groups
}

/** The closest known key, if it is close enough to be a typo (ties: the first in `known`). */
export function suggestKey(key: string, known: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestScore = Infinity
  let bestOrder = Infinity
  const lower = key.toLowerCase()
  const hist = histogram(lower)
  const limit = Math.max(2, Math.floor(key.length / 6))
  const groups = groupedByLength(known)
  const order = orderOf(known)
  for (let len = Math.max(0, key.length - limit); len <= key.length + limit; len++) {
    for (const candidate of groups.get(len) ?? []) {
      const cutoff = Math.min(limit + 1, bestScore + 1)
      let l1 = 0
      for (let c = 0; c < 64; c++) l1 += Math.abs(hist[c]! - candidate.hist[c]!)
      if (Math.ceil(l1 / 2) >= cutoff && candidate.lower !== lower) continue
      const score = candidate.lower === lower ? 0.5 : editDistance(lower, candidate.lower, cutoff)
      const rank = order.get(candidate.key)!
      if (score < bestScore || (score === bestScore && rank < bestOrder)) {
        bestScore = score
        best = candidate.key
        bestOrder = rank
      }
    }
  }
  return bestScore <= limit ? best : undefined
}

const orders = new WeakMap<object, Map<string, number>>()
function orderOf(known: Iterable<string>): Map<string, number> {
  const cached = orders.get(known)
  if (cached) return cached
  const order = new Map<string, number>()
  for (const k of known) if (!order.has(k)) order.set(k, order.size)
  orders.set(known, order)
  return order
}


/** Why a suggestion was made: the wording of the finding follows it. */
export type SuggestionKind = 'spelling' | 'order' | 'prefix' | 'doubled'

export interface Suggestion {
  key: string
  kind: SuggestionKind
}

/** Words of a key, lowercased: dots, dashes and underscores all separate words. */
const words = (key: string): string[] => key.toLowerCase().split(/[.\-_]+/).filter((w) => w !== '')
const sortedWords = (ws: readonly string[]): string => [...ws].sort().join(' ')

interface WordIndex {
  /** sorted words → keys (file order) */
  bag: Map<string, string[]>
  /** words run together → keys: regrouped words (storage-dir, storageDir, storage.dir) */
  joined: Map<string, string[]>
  /** sorted words of every trailing run of ≥ 2 segments → keys: a key missing its leading segments */
  tails: Map<string, string[]>
}

const push = (m: Map<string, string[]>, k: string, v: string) => {
  const list = m.get(k)
  if (!list) m.set(k, [v])
  else if (!list.includes(v)) list.push(v)
}

const indexes = new WeakMap<object, WordIndex>()
function wordIndex(known: Iterable<string>): WordIndex {
  const cached = indexes.get(known)
  if (cached) return cached
  const index: WordIndex = {bag: new Map(), joined: new Map(), tails: new Map()}
  for (const key of known) {
    const ws = words(key)
    push(index.bag, sortedWords(ws), key)
    push(index.joined, ws.join(''), key)
    const segments = key.toLowerCase().split('.')
    for (let i = 1; i + 2 <= segments.length; i++) push(index.tails, sortedWords(words(segments.slice(i).join('.'))), key)
  }
  indexes.set(known, index)
  return index
}

/** The one key of a list that is not the key itself; undefined when none or several. */
const only = (list: readonly string[] | undefined, self: string): string | undefined => {
  const others = (list ?? []).filter((k) => k !== self)
  return others.length === 1 ? others[0] : undefined
}

/**
 * The flattened key of nested YAML that repeats its parent (`high-availability:` holding
 * `high-availability.type`, or `zookeeper:` under `high-availability.zookeeper` holding
 * `zookeeper.quorum`): the key with one copy of the repeated run of segments dropped.
 */
function undoubled(key: string, known: ReadonlySet<string> | Map<string, unknown>): string | undefined {
  const segments = key.split('.')
  if (segments.length < 3 || segments.length > 64) return undefined
  for (let n = 1; 2 * n <= segments.length; n++) {
    for (let i = 0; i + 2 * n <= segments.length; i++) {
      let same = true
      for (let j = 0; j < n && same; j++) same = segments[i + j]!.toLowerCase() === segments[i + n + j]!.toLowerCase()
      if (!same) continue
      const candidate = [...segments.slice(0, i + n), ...segments.slice(i + 2 * n)].join('.')
      if (known.has(candidate)) return candidate
    }
  }
  return undefined
}

/**
 * The known key the unknown `key` was meant to be, and why: a doubled segment of nested YAML,
 * the same words in another order or grouping, the same words without a leading prefix
 * (`zookeeper.quorum`), or a near spelling. Undefined when nothing is close or it is ambiguous.
 */
export function suggestKeyDetailed(key: string, known: ReadonlySet<string>): Suggestion | undefined {
  if (key.length > 400) return undefined
  const doubled = undoubled(key, known)
  if (doubled) return {key: doubled, kind: 'doubled'}
  const ws = words(key)
  if (ws.length >= 2) {
    const index = wordIndex(known)
    const reordered = only(index.bag.get(sortedWords(ws)), key) ?? only(index.joined.get(ws.join('')), key)
    if (reordered) return {key: reordered, kind: reordered.toLowerCase() === key.toLowerCase() ? 'spelling' : 'order'}
    const prefixed = only(index.tails.get(sortedWords(ws)), key)
    if (prefixed && prefixed.length > key.length) return {key: prefixed, kind: 'prefix'}
  }
  const spelled = suggestKey(key, known)
  return spelled ? {key: spelled, kind: 'spelling'} : undefined
}
