package io.flinkctl.checker;

import java.util.Arrays;

/**
 * A key's seqs counted as lost, as inclusive [from, to] pairs in a flat long[] (oldest first), so
 * a gap of a million costs two longs. Bounded: past `max` ranges the oldest are forgotten.
 */
final class MissingRanges {
    private MissingRanges() {}

    static long[] add(long[] ranges, long from, long to, int max) {
        long[] base = ranges == null ? new long[0] : ranges;
        long[] out = Arrays.copyOf(base, base.length + 2);
        out[base.length] = from;
        out[base.length + 1] = to;
        return trim(out, max);
    }

    /** `ranges` itself (the same array) when seq is not in it, else a new array without seq. */
    static long[] remove(long[] ranges, long seq, int max) {
        if (ranges == null) return null;
        for (int i = 0; i < ranges.length; i += 2) {
            long from = ranges[i];
            long to = ranges[i + 1];
            if (seq < from || seq > to) continue;
            long[] out = new long[ranges.length + 2];
            System.arraycopy(ranges, 0, out, 0, i);
            int n = i;
            if (from <= seq - 1) {
                out[n++] = from;
                out[n++] = seq - 1;
            }
            if (seq + 1 <= to) {
                out[n++] = seq + 1;
                out[n++] = to;
            }
            System.arraycopy(ranges, i + 2, out, n, ranges.length - i - 2);
            n += ranges.length - i - 2;
            return trim(Arrays.copyOf(out, n), max);
        }
        return ranges;
    }

    private static long[] trim(long[] ranges, int max) {
        int excess = ranges.length / 2 - max;
        return excess > 0 ? Arrays.copyOfRange(ranges, excess * 2, ranges.length) : ranges;
    }
}
