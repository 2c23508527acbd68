package io.flinkctl.checker;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.util.Collector;

/**
 * Chained to the source: holds the stream to --rate records/s and turns n into (n % K, n / K).
 * A flatMap rather than a map so the fault injection can drop or repeat records. Drops and
 * repeats depend only on n, so a replay after a restore injects exactly the same faults.
 */
final class Pacer extends RichFlatMapFunction<Long, Tuple2<Long, Long>> {
    private static final long serialVersionUID = 1L;
    /** Sleep in steps of at most this (a wake-up re-reads the clock). */
    private static final long MAX_SLEEP_NANOS = 10_000_000L;
    /** Sleeps shorter than this are deferred: Thread.sleep is not finer than about a millisecond. */
    private static final long MIN_SLEEP_NANOS = 1_000_000L;
    /** After a stall (backpressure, GC) do not burst to catch up more than this. */
    private static final long MAX_DEBT_NANOS = 1_000_000_000L;

    private final long keys;
    private final long intervalNanos;
    private final long dropEvery;
    private final long repeatEvery;
    private transient long due;

    Pacer(CheckerOptions o) {
        this.keys = o.keys;
        this.intervalNanos = Math.max(1L, 1_000_000_000L / o.rate);
        this.dropEvery = o.dropEvery;
        this.repeatEvery = o.repeatEvery;
    }

    @Override
    public void open(OpenContext context) {
        due = System.nanoTime();
    }

    @Override
    public void flatMap(Long n, Collector<Tuple2<Long, Long>> out) throws InterruptedException {
        pace();
        if (dropEvery > 0 && n % dropEvery == 0) return;
        Tuple2<Long, Long> record = Tuple2.of(n % keys, n / keys);
        out.collect(record);
        if (repeatEvery > 0 && n % repeatEvery == 0) out.collect(Tuple2.of(record.f0, record.f1));
    }

    /**
     * Waits until this record is due: at most one interval per record, so a checkpoint barrier
     * queued behind the record waits no longer than 1/rate.
     */
    private void pace() throws InterruptedException {
        long now = System.nanoTime();
        if (now - due > MAX_DEBT_NANOS) due = now - MAX_DEBT_NANOS;
        due += intervalNanos;
        long wait;
        while ((wait = due - System.nanoTime()) >= MIN_SLEEP_NANOS) {
            long step = Math.min(wait, MAX_SLEEP_NANOS);
            Thread.sleep(step / 1_000_000L, (int) (step % 1_000_000L));
        }
    }
}
