package io.hopper.examples;

import io.hopper.ByteSize;
import io.hopper.Channel;
import io.hopper.ChannelStats;
import io.hopper.Hopper;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * A small ingest service: clients send newline-delimited events over TCP (loopback only), the
 * service queues them in a hopper channel, and one consumer ships them to a {@link FlakySink}
 * that stalls for seconds at a time. While it runs it prints how deep the memory and disk tiers
 * are; at the end it checks that every event of every client arrived, in order.
 *
 * <pre>java -jar hopper-examples/target/hopper-examples.jar [--events N] [--clients N] [--rate EVENTS_PER_S]
 *        [--memory SIZE] [--disk SIZE] [--stall MS] [--period MS] [--dir PATH]</pre>
 */
public final class IngestDemo {

    /** The demo's knobs; the defaults make a run of about fifteen seconds. */
    record Config(long events, int clients, long ratePerSecond, long memoryBytes, long diskBytes,
                  long firstStallMillis, long periodMillis, long stallMillis, Path dir, long progressMillis) {
        static Config defaults() {
            return new Config(200_000, 4, 20_000, ByteSize.parse("4MiB"), ByteSize.parse("256MiB"),
                    1_500, 5_000, 2_500, null, 500);
        }
    }

    /** What a run ended with. */
    record Result(long events, long delivered, String problem, long peakMemoryRecords, long peakDiskRecords,
                  long spilled) {
        boolean ok() {
            return problem == null && delivered == events;
        }
    }

    private IngestDemo() {
    }

    /** Chronicle's start-up notes (mapping times, file growth) are not this program's output; its warnings still show. */
    private static final java.util.logging.Logger CHRONICLE_LOG = java.util.logging.Logger.getLogger("net.openhft");

    /**
     * Runs the demo; exits 0 when every event arrived in order, 1 when not, 2 on bad flags.
     *
     * @param args the flags in the class comment
     * @throws Exception if the queue directory cannot be used
     */
    public static void main(String[] args) throws Exception {
        CHRONICLE_LOG.setLevel(java.util.logging.Level.WARNING);
        if (args.length > 0 && args[0].equals("kafka-outage")) {
            io.hopper.examples.kafka.KafkaOutageDemo.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args.length > 0 && args[0].equals("kafka-bench")) {
            io.hopper.examples.kafka.KafkaBench.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        Config c;
        try {
            c = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println("usage: java -jar hopper-examples.jar [--events N] [--clients N] [--rate EVENTS_PER_S]"
                    + " [--memory SIZE] [--disk SIZE] [--stall MS] [--period MS] [--dir PATH]");
            System.err.println("       java -jar hopper-examples.jar kafka-outage [--help]");
            System.err.println("       java -jar hopper-examples.jar kafka-bench [--help]");
            System.exit(2);
            return;
        }
        Result r = run(c, System.out);
        System.exit(r.ok() ? 0 : 1);
    }

    static Config parse(String[] args) {
        Config d = Config.defaults();
        long events = d.events();
        int clients = d.clients();
        long rate = d.ratePerSecond();
        long memory = d.memoryBytes();
        long disk = d.diskBytes();
        long stall = d.stallMillis();
        long period = d.periodMillis();
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value after " + flag);
            }
            String v = args[++i];
            switch (flag) {
                case "--events" -> events = positive(flag, Long.parseLong(v));
                case "--clients" -> clients = (int) positive(flag, Integer.parseInt(v));
                case "--rate" -> rate = positive(flag, Long.parseLong(v));
                case "--memory" -> memory = ByteSize.parse(v);
                case "--disk" -> disk = ByteSize.parse(v);
                case "--stall" -> stall = Long.parseLong(v);
                case "--period" -> period = positive(flag, Long.parseLong(v));
                case "--dir" -> dir = Path.of(v);
                default -> throw new IllegalArgumentException("unknown flag " + flag);
            }
        }
        if (stall < 0 || stall >= period) {
            throw new IllegalArgumentException("--stall must be in [0, --period), got " + stall);
        }
        return new Config(events, clients, rate, memory, disk, d.firstStallMillis(), period, stall, dir,
                d.progressMillis());
    }

    private static long positive(String flag, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(flag + " must be positive, got " + v);
        }
        return v;
    }

    static Result run(Config c, PrintStream out) throws Exception {
        Path dir = c.dir() != null ? c.dir() : Files.createTempDirectory("hopper-ingest-");
        out.printf(Locale.ROOT, "ingest demo: %,d events from %d TCP clients at %,d events/s; memory %s, disk %s in %s%n",
                c.events(), c.clients(), c.ratePerSecond(), ByteSize.format(c.memoryBytes()),
                ByteSize.format(c.diskBytes()), dir);
        out.printf(Locale.ROOT, "the sink stalls for %.1f s of every %.1f s%n", c.stallMillis() / 1000.0,
                c.periodMillis() / 1000.0);
        FlakySink sink = new FlakySink(c.firstStallMillis(), c.periodMillis(), c.stallMillis());
        long peakMemory = 0;
        long peakDisk = 0;
        ChannelStats last;
        try (Channel<String> channel = Hopper.builder(String.class, dir)
                .inMemoryBytes(c.memoryBytes()).diskBytes(c.diskBytes()).maxDiskFiles(16).open();
             LineServer server = new LineServer(channel.sender())) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread consumer = new Thread(() -> {
                try {
                    while (sink.delivered() < c.events()) {
                        String event = channel.receiver().poll(100, TimeUnit.MILLISECONDS);
                        if (event != null) {
                            sink.deliver(event);
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    failure.set(e);
                }
            }, "ingest-consumer");
            consumer.start();
            List<Thread> clients = startClients(c, server.port(), failure);
            long start = System.nanoTime();
            while (consumer.isAlive()) {
                consumer.join(c.progressMillis());
                ChannelStats s = channel.stats();
                peakMemory = Math.max(peakMemory, s.recordsInMemory());
                peakDisk = Math.max(peakDisk, s.recordsOnDisk());
                out.printf(Locale.ROOT, "t=%5.1fs  in %,9d  memory %,7d rec %10s  disk %,7d rec %10s %2d files"
                                + "  delivered %,9d  sink %s%n",
                        (System.nanoTime() - start) / 1e9, server.received(), s.recordsInMemory(),
                        ByteSize.format(s.bytesInMemory()), s.recordsOnDisk(), ByteSize.format(s.bytesOnDisk()),
                        s.diskFiles(), sink.delivered(), sink.stalled() ? "STALLED" : "up");
                if (failure.get() != null) {
                    consumer.interrupt();
                }
            }
            for (Thread t : clients) {
                t.join();
            }
            if (failure.get() != null) {
                throw new IllegalStateException("the demo failed", failure.get());
            }
            last = channel.stats();
        } finally {
            if (c.dir() == null) {
                deleteTree(dir);
            }
        }
        Result r = new Result(c.events(), sink.delivered(), sink.firstProblem(), peakMemory, peakDisk,
                last.recordsSpilled());
        for (int i = 0; i < c.clients(); i++) {
            long expected = share(c, i);
            if (r.problem() == null && sink.deliveredFrom("c" + i) != expected) {
                r = new Result(r.events(), r.delivered(), "client c" + i + ": " + sink.deliveredFrom("c" + i)
                        + " of " + expected + " events delivered", r.peakMemoryRecords(), r.peakDiskRecords(), r.spilled());
            }
        }
        out.printf(Locale.ROOT, "peak depth: %,d records in memory, %,d on disk; %,d of %,d events went through disk"
                        + " (compression %.1fx)%n", peakMemory, peakDisk, r.spilled(), c.events(),
                last.compressionRatio());
        if (r.ok()) {
            out.printf(Locale.ROOT, "all %d events delivered in order%n", c.events());
        } else {
            out.printf(Locale.ROOT, "FAILED: %s (%,d of %,d delivered)%n",
                    r.problem() != null ? r.problem() : "events missing", r.delivered(), c.events());
        }
        return r;
    }

    /** Events client {@code i} sends: the total split as evenly as possible. */
    private static long share(Config c, int i) {
        return c.events() / c.clients() + (i < c.events() % c.clients() ? 1 : 0);
    }

    /** Clients pace their events evenly at their share of the rate, each over its own connection. */
    private static List<Thread> startClients(Config c, int port, AtomicReference<Throwable> failure) {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < c.clients(); i++) {
            String name = "c" + i;
            long count = share(c, i);
            long intervalNanos = TimeUnit.SECONDS.toNanos(1) * c.clients() / c.ratePerSecond();
            Thread t = new Thread(() -> {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
                     OutputStream out = new BufferedOutputStream(s.getOutputStream(), 1 << 16)) {
                    long start = System.nanoTime();
                    for (long seq = 0; seq < count; seq++) {
                        long due = start + seq * intervalNanos;
                        long wait = due - System.nanoTime();
                        if (wait > 1_000_000) {
                            out.flush();
                            LockSupport.parkNanos(wait);
                        }
                        out.write(event(name, seq).getBytes(StandardCharsets.UTF_8));
                    }
                } catch (IOException | RuntimeException e) {
                    failure.compareAndSet(null, e);
                }
            }, "client-" + name);
            t.start();
            threads.add(t);
        }
        return threads;
    }

    /** One event: client, sequence number, then a JSON-like access-log line. */
    static String event(String client, long seq) {
        return client + " " + seq + " {\"ts\":" + (1_767_225_600_000L + seq) + ",\"host\":\"web-" + client
                + "\",\"method\":\"GET\",\"path\":\"/api/items/" + (seq % 977) + "\",\"status\":200,\"bytes\":"
                + (512 + seq % 4096) + "}\n";
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
