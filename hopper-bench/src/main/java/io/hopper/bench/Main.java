package io.hopper.bench;

import io.hopper.Channel;
import io.hopper.ChannelStats;
import io.hopper.Hopper;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * The benchmark jar's entry point.
 *
 * <pre>
 * java -jar hopper-bench.jar                 quick comparison (about a minute and a half), printed as tables
 * java -jar hopper-bench.jar --seconds N     the same, about N measured seconds per row
 * java -jar hopper-bench.jar --json FILE     also write every number as JSON
 * java -jar hopper-bench.jar --html FILE     also write a plot of throughput against producers
 * java -jar hopper-bench.jar --jmh [ARGS]    the JMH suite (ARGS go to JMH, e.g. -h, -f 3, -rf json)
 * </pre>
 */
public final class Main {
    /** Chronicle's start-up notes (mapping times, file growth) are not this program's output; its warnings still show. */
    private static final java.util.logging.Logger CHRONICLE_LOG = java.util.logging.Logger.getLogger("net.openhft");

    private static final String USAGE = """
            usage: java -jar hopper-bench.jar [--seconds N] [--producers 1,2,4] [--backlog-mib N]
                                              [--only PARTS] [--rates L] [--json FILE] [--html FILE]
                   java -jar hopper-bench.jar --jmh [JMH arguments, e.g. -h, -f 3 -rf json]

              (no arguments)   the quick comparison on embedded defaults, about 90 seconds:
                               in-memory and spill throughput (hopper vs ArrayBlockingQueue),
                               a disk backlog (hopper vs Chronicle Queue vs Tape) and latency
              --seconds N      measured seconds per throughput row (default 2)
              --producers L    producer counts for the throughput rows (default 1,2,4)
              --backlog-mib N  size of the backlog written with the consumer stopped (default 64)
              --only PARTS     run only these parts, comma-separated: in-memory, spill, backlog,
                               latency (default all of them)
              --rates L        offered rates for the latency part, records/s, comma-separated;
                               "saturation" is what ArrayBlockingQueue reaches unpaced
                               (default 10000,100000,1000000,saturation)
              --drop-caches    drain one backlog row from a cold page cache: sync and drop the
                               whole machine's page cache between write and drain (Linux, root)
              --json FILE      write every number as JSON
              --html FILE      write a self-contained HTML page plotting throughput vs producers
              --jmh ...        run the JMH suite instead; see hopper-bench/RESULTS.md""";

    private final Options options;
    private final PrintStream out = System.out;
    private final boolean tty = System.console() != null;
    private int step;
    private int steps;

    private Main(Options options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        // Chronicle Queue (a comparison point) would otherwise report usage to an external service.
        System.setProperty("chronicle.analytics.disable", "true");
        CHRONICLE_LOG.setLevel(java.util.logging.Level.WARNING);
        if (args.length > 0 && args[0].equals("--jmh")) {
            String[] rest = new String[args.length - 1];
            System.arraycopy(args, 1, rest, 0, rest.length);
            org.openjdk.jmh.Main.main(rest);
            return;
        }
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("hopper-bench: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        if (o == null) {
            System.out.println(USAGE);
            return;
        }
        new Main(o).quickComparison();
    }

    /** The command line. */
    record Options(double seconds, int[] producers, long backlogMiB, Set<String> parts, Path json, Path html,
                   boolean dropCaches, double[] rates) {
        /** The latency part's offered rates; NaN stands for {@code saturation}. */
        static final double[] DEFAULT_RATES = {10_000, 100_000, 1_000_000, Double.NaN};

        static final List<String> PARTS = List.of("in-memory", "spill", "backlog", "latency");

        /** Returns null for --help. */
        static Options parse(String[] args) {
            double seconds = 2;
            int[] producers = {1, 2, 4};
            long backlog = 64;
            Path json = null;
            Path html = null;
            Set<String> parts = new LinkedHashSet<>(PARTS);
            boolean dropCaches = false;
            double[] rates = DEFAULT_RATES;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("-h") || a.equals("--help")) {
                    return null;
                }
                if (a.equals("--drop-caches")) {
                    dropCaches = true;
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("unknown argument or missing value: " + a);
                }
                String v = args[++i];
                try {
                    switch (a) {
                        case "--seconds" -> seconds = Double.parseDouble(v);
                        case "--producers" -> producers = java.util.Arrays.stream(v.split(","))
                                .mapToInt(s -> Integer.parseInt(s.trim())).toArray();
                        case "--backlog-mib" -> backlog = Long.parseLong(v);
                        case "--rates" -> rates = java.util.Arrays.stream(v.split(",")).map(String::trim)
                                .mapToDouble(r -> r.equals("saturation") ? Double.NaN : Double.parseDouble(r)).toArray();
                        case "--json" -> json = Path.of(v);
                        case "--html" -> html = Path.of(v);
                        case "--only" -> {
                            parts = new LinkedHashSet<>();
                            for (String part : v.split(",")) {
                                if (!PARTS.contains(part.trim())) {
                                    throw new IllegalArgumentException("--only takes " + String.join(", ", PARTS)
                                            + ": " + part.trim());
                                }
                                parts.add(part.trim());
                            }
                        }
                        default -> throw new IllegalArgumentException("unknown argument " + a);
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("not a number for " + a + ": " + v);
                }
            }
            if (!(seconds > 0) || seconds > 3600) {
                throw new IllegalArgumentException("--seconds must be in (0, 3600]: " + seconds);
            }
            if (producers.length == 0 || java.util.Arrays.stream(producers).anyMatch(p -> p < 1 || p > 256)) {
                throw new IllegalArgumentException("--producers must list counts in [1, 256]");
            }
            if (backlog < 1 || backlog > 1 << 20) {
                throw new IllegalArgumentException("--backlog-mib must be in [1, 1048576]: " + backlog);
            }
            if (rates.length == 0 || java.util.Arrays.stream(rates).anyMatch(r -> !Double.isNaN(r) && !(r >= 1 && r <= 1e9))) {
                throw new IllegalArgumentException("--rates must list records/s in [1, 1e9] or \"saturation\"");
            }
            return new Options(seconds, producers, backlog, Set.copyOf(parts), json, html, dropCaches, rates);
        }
    }

    /** One throughput row. {@code sendRate} counts records per second until the producers were done. */
    record Row(String scenario, String queue, int producers, int recordBytes, double recordsPerSec, double sendRate,
               String notes) {
        double mbPerSec() {
            return recordsPerSec * recordBytes / 1e6;
        }
    }

    static final String IN_MEMORY = "in-memory 64 B";
    /** The backlog's small-record row: JSON log lines of this size, where per-record compression has little to work on. */
    static final int SMALL_RECORD_BYTES = 150;
    static final String SPILL = "spill 1 KiB, slow consumer";
    /** The spill scenario's consumer takes this long per record (a sink at 50,000 records/s): slower than the producers. */
    static final long SLOW_CONSUMER_NANOS = 20_000;

    private void quickComparison() throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        int[] ps = options.producers;
        Set<String> parts = options.parts;
        steps = (parts.contains("in-memory") ? ps.length * 2 : 0) + (parts.contains("spill") ? ps.length * 2 : 0)
                + (parts.contains("backlog") ? Backlog.STORES.size() * 3 + Backlog.SMALL_RECORD_STORES.size()
                        + (int) Backlog.SMALL_RECORD_STORES.stream().filter(st -> !Backlog.STORES.contains(st)).count() : 0)
                + (parts.contains("latency") ? 2 + options.rates.length * 2 * Latency.ROUNDS : 0);
        out.printf(Locale.ROOT, "hopper quick comparison: %d cores, %s %s, %.1f s per row; --help for options%n",
                cores, System.getProperty("java.vm.name"), System.getProperty("java.version"), options.seconds);
        List<Row> rows = new ArrayList<>();
        List<Backlog.Result> backlog = new ArrayList<>();
        List<Latency.Result> latency = new ArrayList<>();
        Path base = Files.createTempDirectory("hopper-bench-");
        try {
            byte[][] small = Workload.lines(4096, 64);
            for (int p : parts.contains("in-memory") ? ps : new int[0]) {
                // In memory: budgets large enough never to spill; ABQ gets 8,192 slots.
                rows.add(throughput(IN_MEMORY, "hopper", p, small, () -> open(base, 64L << 20, 1L << 30), 0, 0));
                rows.add(throughput(IN_MEMORY, "ArrayBlockingQueue", p, small, null, 8192, 0));
            }
            byte[][] big = Workload.lines(4096, 1024);
            for (int p : parts.contains("spill") ? ps : new int[0]) {
                // Spill: the consumer needs 20 us per record, the producers far less. hopper keeps
                // 1 MiB in memory and overflows to disk, so producers never wait; ABQ with 1,024
                // slots (the same bytes) makes them wait for the consumer.
                rows.add(throughput(SPILL, "hopper", p, big, () -> open(base, 1L << 20, 4L << 30), 0,
                        SLOW_CONSUMER_NANOS));
                rows.add(throughput(SPILL, "ArrayBlockingQueue", p, big, null, 1024, SLOW_CONSUMER_NANOS));
            }
            long count = (options.backlogMiB << 20) / 1024;
            double phase = Math.max(3, options.seconds * 2);
            String[] logLines = Workload.textLines(4096, SMALL_RECORD_BYTES);
            long smallCount = (options.backlogMiB << 20) / 4 / SMALL_RECORD_BYTES;
            for (String store : parts.contains("backlog") ? Backlog.STORES : List.<String>of()) {
                Path d = base.resolve("backlog-" + store.replace(' ', '-'));
                // Untimed first: each store's code paths get compiled before they are timed, so no
                // store is measured cold from the JIT's point of view.
                progress("backlog warm-up · " + store);
                Backlog.run(store, d, big, Math.max(4096, count / 8), phase);
                progress("backlog " + options.backlogMiB + " MiB of 1 KiB records, warm page cache · " + store);
                backlog.add(Backlog.run(store, d, big, count, phase, false, false));
                progress("backlog " + options.backlogMiB + " MiB of 1 KiB records, store reopened"
                        + (options.dropCaches ? ", page cache dropped" : "") + " · " + store);
                backlog.add(Backlog.run(store, d, big, count, phase, true, options.dropCaches));
            }
            for (String store : parts.contains("backlog") ? Backlog.SMALL_RECORD_STORES : List.<String>of()) {
                Path d = base.resolve("backlog-small-" + store.replace(' ', '-'));
                // Text takes other paths than the 1 KiB byte[] rows warmed (a String channel, a
                // text API), so every store gets an untimed text run first.
                progress("backlog warm-up, String lines · " + store);
                Backlog.runText(store, d, logLines, Math.max(4096, smallCount / 8), phase);
                progress("backlog of " + SMALL_RECORD_BYTES + " B String log lines · " + store);
                backlog.add(Backlog.runText(store, d, logLines, smallCount, phase));
            }
            if (parts.contains("latency")) {
                latency.addAll(latencyRows());
            }
        } finally {
            Backlog.deleteTree(base);
        }
        clearProgress();
        printTables(rows, backlog, latency);
        if (options.json != null) {
            Files.writeString(options.json, Report.json(rows, backlog, latency, options.seconds), StandardCharsets.UTF_8);
            out.println("wrote " + options.json);
        }
        if (options.html != null) {
            Files.writeString(options.html, Report.html(rows, backlog, latency), StandardCharsets.UTF_8);
            out.println("wrote " + options.html);
        }
    }

    /**
     * Latency at each offered rate of {@code --rates}, lowest first: the rates given, and
     * {@code saturation}, the rate this producer reaches through ArrayBlockingQueue unpaced (the
     * median of five runs), where both queues build a backlog and the latency is mostly queueing.
     */
    private List<Latency.Result> latencyRows() throws Exception {
        progress("latency · ArrayBlockingQueue saturated throughput (1 producer)");
        Transfer.Target abq = Transfer.arrayBlockingQueue(8192);
        double saturated = Latency.saturatedRate(abq, 500_000, 5);
        List<Double> rates = new ArrayList<>();
        for (double r : options.rates) {
            rates.add(Double.isNaN(r) ? saturated : r);
        }
        rates.sort(null);
        Path dir = Files.createTempDirectory("hopper-bench-latency-");
        // One channel for all rounds, as a service keeps one open: its start-up objects are not
        // charged to the first round's collections.
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir.resolve("ch")).inMemoryBytes(64L << 20)
                .weigher(b -> 16L + b.length).open()) {
            Transfer.Target hopper = Transfer.of(ch);
            progress("latency · hopper warm-up (unpaced)");
            Latency.saturatedRate(hopper, 500_000, 1); // compiled before its first timed row, as ABQ's was
            List<Latency.Queue> queues = List.of(new Latency.Queue("ArrayBlockingQueue", abq),
                    new Latency.Queue("hopper", hopper));
            List<Latency.Result> out = new ArrayList<>();
            for (double rate : rates) {
                // The throughput rows' time per queue and rate, in interleaved rounds.
                out.addAll(Latency.interleaved(queues, rate, options.seconds, 0.2, Latency.ROUNDS,
                        (q, round) -> progress(String.format(Locale.ROOT, "latency at %,.0f records/s%s, round %d of %d · %s",
                                rate, rate == saturated ? " (saturation)" : "", round + 1, Latency.ROUNDS, q.name()))));
            }
            return out;
        } finally {
            Backlog.deleteTree(dir);
        }
    }

    private void progress(String what) {
        step++;
        String line = String.format(Locale.ROOT, "[%2d/%d] %s", step, steps, what);
        if (tty) {
            System.err.print("\r\033[K" + line);
            System.err.flush();
        } else {
            System.err.println(line);
        }
    }

    private void clearProgress() {
        if (tty) {
            System.err.print("\r\033[K");
            System.err.flush();
        }
    }

    private interface ChannelOpener {
        Channel<byte[]> open() throws Exception;
    }

    private static int dirCounter;

    private static Channel<byte[]> open(Path base, long memory, long disk) throws java.io.IOException {
        return Hopper.builder(byte[].class, base.resolve("ch-" + (dirCounter++)))
                .inMemoryBytes(memory).diskBytes(disk).maxDiskFiles(64)
                .weigher(b -> 16L + b.length)
                .open();
    }

    /** One row: a hopper channel from {@code opener}, or an ArrayBlockingQueue of {@code abqCapacity}. */
    private Row throughput(String scenario, String queue, int producers, byte[][] records, ChannelOpener opener,
                           int abqCapacity, long consumerNanos) throws Exception {
        progress(String.format(Locale.ROOT, "%s · %s · %d producer%s", scenario, queue, producers,
                producers == 1 ? "" : "s"));
        // A short warm-up transfer sizes the measured one to roughly `seconds`.
        int per = consumerNanos > 0 ? 2_000 : 20_000;
        long[] ns = runOnce(opener, abqCapacity, producers, records, per, 1, consumerNanos, null);
        double rate = (double) per * producers / (ns[1] / 1e9);
        long wanted = (long) Math.max(2_000, Math.min(Integer.MAX_VALUE / 2, rate * options.seconds));
        int batches = 1;
        if (consumerNanos == 0) {
            // In memory: transfers of IN_MEMORY_BATCH records, each drained before the next (as
            // in the JMH TransferBenchmark), so that producers outrunning the consumer cannot
            // build a backlog larger than the memory tier and turn the row into a spill row.
            batches = (int) Math.max(1, wanted / IN_MEMORY_BATCH);
            per = Math.max(1, IN_MEMORY_BATCH / producers);
        } else {
            per = (int) Math.max(1, wanted / producers);
        }
        long total = (long) per * producers * batches;
        String[] notes = {""};
        ns = runOnce(opener, abqCapacity, producers, records, per, batches, consumerNanos, notes);
        return new Row(scenario, queue, producers, records[0].length, total / (ns[1] / 1e9), total / (ns[0] / 1e9),
                notes[0]);
    }

    /** Records per in-memory transfer: far below the 64 MiB memory tier's 838,860 records of 64 B. */
    static final int IN_MEMORY_BATCH = 200_000;

    /** {@code batches} transfers of {@code per} records per producer through one queue; returns the summed times. */
    private static long[] runOnce(ChannelOpener opener, int abqCapacity, int producers, byte[][] records, int per,
                                  int batches, long consumerNanos, String[] notes) throws Exception {
        if (opener == null) {
            return runBatches(Transfer.of(new ArrayBlockingQueue<>(abqCapacity)), producers, records, per, batches,
                    consumerNanos);
        }
        try (Channel<byte[]> ch = opener.open()) {
            long[] sum = runBatches(Transfer.of(ch), producers, records, per, batches, consumerNanos);
            ChannelStats st = ch.stats();
            if (notes != null && st.recordsSpilled() > 0) {
                notes[0] = String.format(Locale.ROOT, "%.0f%% spilled, %.0f B/record on disk",
                        100.0 * st.recordsSpilled() / ((double) per * producers * batches),
                        (double) st.bytesWrittenToDisk() / st.recordsSpilled());
            }
            return sum;
        }
    }

    private static long[] runBatches(Transfer.Target target, int producers, byte[][] records, int per, int batches,
                                     long consumerNanos) throws Exception {
        long[] sum = new long[2];
        for (int b = 0; b < batches; b++) {
            long[] ns = Transfer.run(target, producers, records, per, consumerNanos);
            sum[0] += ns[0];
            sum[1] += ns[1];
        }
        return sum;
    }

    private void printTables(List<Row> rows, List<Backlog.Result> backlog, List<Latency.Result> latency) {
        out.println();
        if (!rows.isEmpty()) {
            printThroughput(rows);
        }
        if (!backlog.isEmpty()) {
            printBacklog(backlog);
        }
        if (!latency.isEmpty()) {
            printLatency(latency);
        }
        out.println("single runs on a shared machine: `--jmh` gives numbers with error bars (hopper-bench/RESULTS.md)");
    }

    private void printThroughput(List<Row> rows) {
        out.println("Throughput: records move from P producer threads to one consumer (records/s, end to end)");
        out.printf(Locale.ROOT, "%-28s %-20s %3s %14s %9s %16s  %s%n", "scenario", "queue", "P", "records/s", "MB/s",
                "sends done at/s", "notes");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "%-28s %-20s %3d %,14.0f %9.1f %,16.0f  %s%n", r.scenario, r.queue, r.producers,
                    r.recordsPerSec, r.mbPerSec(), r.sendRate, r.notes);
        }
        for (String scenario : List.of(IN_MEMORY, SPILL)) {
            StringBuilder sb = new StringBuilder();
            for (int p : options.producers) {
                Row h = find(rows, scenario, "hopper", p);
                Row a = find(rows, scenario, "ArrayBlockingQueue", p);
                if (h != null && a != null) {
                    double hv = scenario.equals(SPILL) ? h.sendRate : h.recordsPerSec;
                    double av = scenario.equals(SPILL) ? a.sendRate : a.recordsPerSec;
                    sb.append(String.format(Locale.ROOT, "  P=%d %.2fx", p, hv / av));
                }
            }
            if (sb.length() == 0) {
                continue;
            }
            out.println("  hopper / ArrayBlockingQueue, " + scenario
                    + (scenario.equals(SPILL) ? " (producer send rate):" : ":") + sb);
        }
        out.println();
    }

    private void printBacklog(List<Backlog.Result> backlog) {
        Backlog.Result first = backlog.get(0);
        out.printf(Locale.ROOT, "Backlog: %s MiB of 1 KiB byte[] records (and %s MiB of %d B String log lines) written"
                + " with the consumer stopped, then drained; every store warmed up first%n", options.backlogMiB,
                options.backlogMiB / 4.0, SMALL_RECORD_BYTES);
        out.printf(Locale.ROOT, "%-16s %6s %-6s %-8s %10s %13s %9s %13s %9s %11s %9s  %s%n", "store", "record", "type",
                "cache", "records", "write rec/s", "MB/s", "drain rec/s", "MB/s", "disk B/rec", "heap MiB", "notes");
        for (Backlog.Result b : backlog) {
            String n = b.notes();
            long wanted = b.recordBytes() == SMALL_RECORD_BYTES
                    ? (options.backlogMiB << 20) / 4 / SMALL_RECORD_BYTES : (options.backlogMiB << 20) / 1024;
            if (b.records() < wanted) {
                n = "stopped after " + b.records() + " records (time limit); " + n;
            }
            String cache = b.cache().startsWith("warm (") ? "warm*" : b.cache();
            out.printf(Locale.ROOT, "%-16s %4d B %-6s %-8s %,10d %,13.0f %9.1f %,13.0f %9.1f %,11.0f %9.1f  %s%n",
                    b.store(), b.recordBytes(), b.text() ? "String" : "byte[]", cache, b.records(), b.writeRecordsPerSec(), b.writeMBPerSec(),
                    b.drainRecordsPerSec(), b.drainMBPerSec(), b.diskBytesPerRecord(), b.heapBytes() / 1048576.0, n);
        }
        out.println("  disk: " + first.diskMethod() + " bytes of each store's directory after the writes");
        out.println("  cache: warm = the drain reads files just written (in the page cache); reopened = store closed"
                + " and reopened; cold = the same with the files forced and the page cache dropped in between"
                + " (--drop-caches, root): a backlog after a long outage or a restart");
        if (backlog.stream().anyMatch(b -> b.cache().startsWith("warm ("))) {
            out.println("  warm* = a cold drain was asked for, but this process may not drop the page cache (needs root)");
        }
        out.println();
    }

    private void printLatency(List<Latency.Result> latency) {
        out.printf(Locale.ROOT, "Latency: send to receive, one producer on a fixed schedule, measured from each"
                + " record's scheduled send (coordinated omission corrected), %d interleaved rounds per queue"
                + " and rate, every record counted%n", Latency.ROUNDS);
        out.printf(Locale.ROOT, "%14s %-20s %12s %10s %10s %10s %12s  %s%n", "offered rec/s", "queue", "records",
                "p50 us", "p99 us", "p99.9 us", "max us", "p99 of each round, us");
        for (Latency.Result l : latency) {
            StringBuilder rounds = new StringBuilder();
            for (long p : l.roundP99()) {
                rounds.append(String.format(Locale.ROOT, "%.1f ", p / 1e3));
            }
            out.printf(Locale.ROOT, "%,14.0f %-20s %,12d %10.2f %10.2f %10.2f %12.1f  %s%n", l.offeredPerSec(),
                    l.queue(), l.records(), l.p50() / 1e3, l.p99() / 1e3, l.p999() / 1e3, l.max() / 1e3,
                    rounds.toString().trim());
        }
        for (double rate : latency.stream().mapToDouble(Latency.Result::offeredPerSec).distinct().toArray()) {
            Latency.Result h = null;
            Latency.Result a = null;
            for (Latency.Result l : latency) {
                if (l.offeredPerSec() == rate) {
                    h = l.queue().equals("hopper") ? l : h;
                    a = l.queue().equals("ArrayBlockingQueue") ? l : a;
                }
            }
            if (h != null && a != null) {
                int below = 0;
                for (int r = 0; r < h.roundP99().size(); r++) {
                    below += h.roundP99().get(r) <= a.roundP99().get(r) ? 1 : 0;
                }
                out.printf(Locale.ROOT, "  at %,.0f records/s: hopper's p99 %.2fx ArrayBlockingQueue's; at or below it"
                        + " in %d of %d rounds%n", rate, (double) h.p99() / a.p99(), below, h.roundP99().size());
            }
        }
        out.println();
    }

    private static Row find(List<Row> rows, String scenario, String queue, int p) {
        for (Row r : rows) {
            if (r.scenario.equals(scenario) && r.queue.equals(queue) && r.producers == p) {
                return r;
            }
        }
        return null;
    }
}
