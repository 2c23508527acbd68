package io.flinkctl.checker;

import java.io.Serializable;

/**
 * Program arguments, parsed by hand: ParameterTool moved packages in Flink 2.0, and the jar must
 * run unchanged on 1.x and 2.x. Accepts `--name value` and `--name=value`.
 */
final class CheckerOptions implements Serializable {
    private static final long serialVersionUID = 1L;

    long rate = 200;
    int keys = 8;
    /** 0: the environment's default parallelism. */
    int parallelism = 0;
    String name = "flinkctl-checker";
    long dropEvery = 0;
    long repeatEvery = 0;
    /** 0: unbounded. */
    long records = 0;

    boolean bounded() {
        return records > 0;
    }

    static CheckerOptions parse(String[] args) {
        CheckerOptions o = new CheckerOptions();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) throw new IllegalArgumentException("unexpected argument: " + arg);
            String key = arg.substring(2);
            String value;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else {
                if (i + 1 >= args.length) throw new IllegalArgumentException("--" + key + " needs a value");
                value = args[++i];
            }
            switch (key) {
                case "rate": o.rate = positive(key, value); break;
                case "keys": o.keys = (int) Math.min(positive(key, value), Integer.MAX_VALUE); break;
                case "parallelism": o.parallelism = (int) Math.min(positive(key, value), Integer.MAX_VALUE); break;
                case "name": o.name = value; break;
                case "drop-every": o.dropEvery = positive(key, value); break;
                case "repeat-every": o.repeatEvery = positive(key, value); break;
                case "records": o.records = positive(key, value); break;
                default: throw new IllegalArgumentException("unknown option: --" + key);
            }
        }
        return o;
    }

    private static long positive(String key, String value) {
        long n;
        try {
            n = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " must be a positive integer, got: " + value);
        }
        if (n <= 0) throw new IllegalArgumentException("--" + key + " must be a positive integer, got: " + value);
        return n;
    }
}
