package io.flinkctl.checker;

import java.security.SecureRandom;
import java.util.Collections;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The operator named and uid'd "checker": per key it expects seq 0, 1, 2, ... and counts what
 * arrives otherwise. The counts live in operator state, so they rewind with each restore exactly
 * as the keyed state does; after an exactly-once restore they must still say lost=0 doubled=0.
 */
final class Checker extends KeyedProcessFunction<Long, Tuple2<Long, Long>, Long> implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    /** Missing ranges kept per key; beyond this the oldest is forgotten (a late arrival from it then counts as doubled). */
    static final int MAX_MISSING_RANGES = 16;

    private final boolean bounded;

    private transient ValueState<Long> last;
    /** Pairs [from, to] (inclusive) of seqs counted as lost, oldest first. */
    private transient ValueState<long[]> missing;
    /** One element per subtask: emitted, lost, doubled, reordered, keys. */
    private transient ListState<long[]> counts;
    /** Union state, so every subtask sees the generation even after a rescale. */
    private transient ListState<Long> generations;

    // written by the task thread only, read by the metric thread
    private volatile long emitted;
    private volatile long lost;
    private volatile long doubled;
    private volatile long reordered;
    private volatile long keys;
    private volatile long generation;
    private volatile long restoredCheckpoint = -1;
    private volatile long attempt;

    Checker(boolean bounded) {
        this.bounded = bounded;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        counts = context.getOperatorStateStore().getListState(
                new ListStateDescriptor<>("counts", PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
        generations = context.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>("generation", Types.LONG));
        attempt = new SecureRandom().nextLong() & Long.MAX_VALUE;
        if (attempt == 0) attempt = 1;
        if (!context.isRestored()) return;
        restoredCheckpoint = context.getRestoredCheckpointId().orElse(-1L);
        // after a rescale a subtask may get several elements (or none): the totals stay right
        for (long[] c : counts.get()) {
            emitted += c[0];
            lost += c[1];
            doubled += c[2];
            reordered += c[3];
            keys += c[4];
        }
        long restored = 0;
        for (Long g : generations.get()) restored = Math.max(restored, g);
        generation = restored + 1;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        counts.update(Collections.singletonList(new long[] {emitted, lost, doubled, reordered, keys}));
        generations.update(Collections.singletonList(generation));
    }

    @Override
    public void open(OpenContext context) {
        last = getRuntimeContext().getState(new ValueStateDescriptor<>("last", Types.LONG));
        missing = getRuntimeContext().getState(
                new ValueStateDescriptor<>("missing", PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
        MetricGroup group = getRuntimeContext().getMetricGroup();
        group.gauge("emitted", (Gauge<Long>) () -> emitted);
        group.gauge("lost", (Gauge<Long>) () -> lost);
        group.gauge("doubled", (Gauge<Long>) () -> doubled);
        group.gauge("reordered", (Gauge<Long>) () -> reordered);
        group.gauge("keys", (Gauge<Long>) () -> keys);
        group.gauge("generation", (Gauge<Long>) () -> generation);
        group.gauge("restoredCheckpoint", (Gauge<Long>) () -> restoredCheckpoint);
        group.gauge("attempt", (Gauge<Long>) () -> attempt);
    }

    @Override
    public void processElement(Tuple2<Long, Long> record, Context ctx, Collector<Long> out) throws Exception {
        emitted++;
        long seq = record.f1;
        Long prev = last.value();
        if (prev == null) {
            keys++;
            if (seq > 0) gap(0, seq - 1);
            last.update(seq);
        } else if (seq == prev + 1) {
            last.update(seq);
        } else if (seq > prev + 1) {
            gap(prev + 1, seq - 1);
            last.update(seq);
        } else if (takeMissing(seq)) {
            lost--;
            reordered++;
        } else {
            doubled++;
        }
    }

    @Override
    public void close() throws Exception {
        if (bounded) {
            System.out.println("checker subtask=" + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask()
                    + " emitted=" + emitted + " lost=" + lost + " doubled=" + doubled + " reordered=" + reordered
                    + " keys=" + keys + " generation=" + generation);
            System.out.flush();
        }
        super.close();
    }

    private void gap(long from, long to) throws Exception {
        lost += to - from + 1;
        missing.update(MissingRanges.add(missing.value(), from, to, MAX_MISSING_RANGES));
    }

    private boolean takeMissing(long seq) throws Exception {
        long[] ranges = missing.value();
        long[] after = MissingRanges.remove(ranges, seq, MAX_MISSING_RANGES);
        if (after == ranges) return false;
        if (after.length == 0) missing.clear();
        else missing.update(after);
        return true;
    }
}
