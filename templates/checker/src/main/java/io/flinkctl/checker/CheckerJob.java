package io.flinkctl.checker;

import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * flinkctl's self-checking job: sequence (parallelism 1) -> pacer (chained) -> keyBy -> checker.
 * One source split keeps the emission order total and its position checkpointed, so under
 * exactly-once every key sees seq 0, 1, 2, ... across any number of restores.
 *
 * <p>Written against the API common to Flink 1.20 and 2.x: FLIP-27 source, open(OpenContext),
 * getTaskInfo(), no ParameterTool, no SourceFunction/SinkFunction.
 */
public final class CheckerJob {
    private CheckerJob() {}

    public static void main(String[] args) throws Exception {
        CheckerOptions options = CheckerOptions.parse(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        build(env, options);
        env.execute(options.name);
    }

    static void build(StreamExecutionEnvironment env, CheckerOptions o) {
        // NumberSequenceSource says it is bounded; a cluster default of BATCH/AUTOMATIC must not apply
        env.setRuntimeMode(RuntimeExecutionMode.STREAMING);
        long to = o.bounded() ? o.records - 1 : Long.MAX_VALUE - 1;
        DataStream<Tuple2<Long, Long>> paced = env
                .fromSource(new NumberSequenceSource(0, to), WatermarkStrategy.noWatermarks(), "sequence")
                .setParallelism(1)
                .uid("sequence")
                .flatMap(new Pacer(o))
                .name("pacer")
                .uid("pacer")
                // parallelism 1 keeps it chained to the source: a rebalance here could reorder
                .setParallelism(1);
        SingleOutputStreamOperator<Long> checked = paced
                .keyBy(new KeyOf(), Types.LONG)
                .process(new Checker(o.bounded()), Types.LONG)
                .name("checker")
                .uid("checker");
        if (o.parallelism > 0) checked.setParallelism(o.parallelism);
    }

    static final class KeyOf implements KeySelector<Tuple2<Long, Long>, Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public Long getKey(Tuple2<Long, Long> record) {
            return record.f0;
        }
    }
}
