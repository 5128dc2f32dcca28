package io.hopper.bench;

import io.hopper.Channel;
import io.hopper.ChannelStats;
import io.hopper.Hopper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The benchmark jar's entry point.
 *
 * <pre>
 * java -jar hopper-bench.jar                 quick comparison (about a minute), printed as a table
 * java -jar hopper-bench.jar --seconds N     the same, about N seconds per row
 * java -jar hopper-bench.jar --jmh [ARGS]    the JMH suite (ARGS go to JMH, e.g. -h, -f 3, -rf json)
 * </pre>
 */
public final class Main {
    private Main() {
    }

    /** Chronicle's start-up notes (mapping times, file growth) are not this program's output; its warnings still show. */
    private static final java.util.logging.Logger CHRONICLE_LOG = java.util.logging.Logger.getLogger("net.openhft");

    public static void main(String[] args) throws Exception {
        CHRONICLE_LOG.setLevel(java.util.logging.Level.WARNING);
        if (args.length > 0 && args[0].equals("--jmh")) {
            String[] rest = new String[args.length - 1];
            System.arraycopy(args, 1, rest, 0, rest.length);
            org.openjdk.jmh.Main.main(rest);
            return;
        }
        double seconds = 4;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "-h", "--help" -> {
                    System.out.println("usage: java -jar hopper-bench.jar [--seconds N] | --jmh [JMH args]");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (try --help)");
            }
        }
        new Main().quickComparison(seconds);
    }

    private record Row(String scenario, String queue, int producers, double recordsPerSec, double mbPerSec,
                       String notes) {
    }

    private void quickComparison(double secondsPerRow) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf(Locale.ROOT, "hopper quick comparison: %d cores, %s %s, ~%.0f s per row%n",
                cores, System.getProperty("java.vm.name"), System.getProperty("java.version"), secondsPerRow);
        System.out.println("records are JSON-like log lines; each row moves them from P producer threads to one consumer");
        List<Row> rows = new ArrayList<>();
        int[] producerCounts = {1, 4};
        Path base = Files.createTempDirectory("hopper-bench-");
        try {
            byte[][] small = Workload.lines(4096, 64);
            for (int producers : producerCounts) {
                // In memory: budgets large enough never to spill; ABQ gets 8,192 slots.
                rows.add(measure("in-memory 64 B", "hopper", producers, small, secondsPerRow,
                        () -> open(base, 64L << 20, 1L << 30), 0));
                rows.add(measure("in-memory 64 B", "ArrayBlockingQueue", producers, small, secondsPerRow, null, 8192));
            }
            byte[][] big = Workload.lines(4096, 1024);
            for (int producers : producerCounts) {
                // Spill: 1 MiB of memory for 1 KiB records. hopper overflows to disk when the
                // consumer falls behind; ABQ with 1,024 slots (the same bytes) makes producers wait.
                rows.add(measure("spill 1 KiB, 1 MiB memory", "hopper", producers, big, secondsPerRow,
                        () -> open(base, 1L << 20, 4L << 30), 0));
                rows.add(measure("spill 1 KiB, 1 MiB memory", "ArrayBlockingQueue", producers, big, secondsPerRow,
                        null, 1024));
            }
        } finally {
            deleteTree(base);
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-28s %-20s %9s %14s %10s  %s%n", "scenario", "queue", "producers",
                "records/s", "MB/s", "notes");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "%-28s %-20s %9d %,14.0f %10.1f  %s%n", r.scenario, r.queue, r.producers,
                    r.recordsPerSec, r.mbPerSec, r.notes);
        }
        System.out.println();
        System.out.println("single runs on a shared machine: use `--jmh` for numbers with error bars");
    }

    private interface ChannelOpener {
        Channel<byte[]> open() throws Exception;
    }

    private static int dirCounter;

    private static Channel<byte[]> open(Path base, long memory, long disk) throws Exception {
        return Hopper.builder(byte[].class, base.resolve("ch-" + (dirCounter++)))
                .inMemoryBytes(memory).diskBytes(disk).maxDiskFiles(64)
                .weigher(b -> 16L + b.length)
                .open();
    }

    /** One row: a hopper channel from {@code opener}, or an ArrayBlockingQueue of {@code abqCapacity}. */
    private static Row measure(String scenario, String queue, int producers, byte[][] records, double seconds,
                               ChannelOpener opener, int abqCapacity) throws Exception {
        String label = String.format(Locale.ROOT, "%-28s %-20s P=%d", scenario, queue, producers);
        boolean tty = System.console() != null;
        if (tty) {
            System.out.print(label + "  warming up...");
            System.out.flush();
        }
        // A short warm-up transfer sizes the measured one to roughly `seconds`.
        int per = 20_000;
        long ns = runOnce(opener, abqCapacity, producers, records, per, null);
        double rate = (double) per * producers / (ns / 1e9);
        per = (int) Math.max(10_000, Math.min(Integer.MAX_VALUE / 2, rate * seconds / producers));
        long total = (long) per * producers;
        if (tty) {
            System.out.print("\r" + label + "  measuring " + total + " records...   ");
            System.out.flush();
        }
        String[] notes = {""};
        ns = runOnce(opener, abqCapacity, producers, records, per, notes);
        double rps = total / (ns / 1e9);
        if (tty) {
            System.out.print("\r" + " ".repeat(label.length() + 40) + "\r");
        }
        System.out.printf(Locale.ROOT, "%s  %,.0f records/s%n", label, rps);
        return new Row(scenario, queue, producers, rps, rps * records[0].length / 1e6, notes[0]);
    }

    private static long runOnce(ChannelOpener opener, int abqCapacity, int producers, byte[][] records, int per,
                                String[] notes) throws Exception {
        if (opener == null) {
            return Transfer.run(Transfer.arrayBlockingQueue(abqCapacity), producers, records, per);
        }
        try (Channel<byte[]> ch = opener.open()) {
            long ns = Transfer.run(Transfer.of(ch), producers, records, per);
            ChannelStats st = ch.stats();
            if (notes != null && st.recordsSpilled() > 0) {
                notes[0] = String.format(Locale.ROOT, "%.0f%% spilled, %.0f B/record on disk (%s)",
                        100.0 * st.recordsSpilled() / ((double) per * producers),
                        (double) st.bytesWrittenToDisk() / st.recordsSpilled(), st.storage());
            }
            return ns;
        }
    }

    private static void deleteTree(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
