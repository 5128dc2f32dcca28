package io.hopper.examples.kafka;

import io.hopper.ByteSize;
import io.hopper.Channel;
import io.hopper.ChannelStats;
import io.hopper.CommitMode;
import io.hopper.Hopper;
import io.hopper.kafka.ForwarderStats;
import io.hopper.kafka.KafkaForwarder;
import io.hopper.kafka.LocalKafkaBroker;
import io.hopper.kafka.TopicContents;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * A Kafka outage, ridden out: starts a local single-node broker (a child JVM, loopback only, all
 * files in the demo's directory), sends a steady ingest load through a hopper channel into a
 * topic with a {@link KafkaForwarder}, kills the broker for a while as the load continues (the
 * display shows the memory tier, then the disk tier, filling), starts it again on its data, shows
 * the catch-up, and ends by reading the topic back: every event there, in order per key.
 *
 * <pre>java -jar hopper-examples/target/hopper-examples.jar kafka-outage [--rate EVENTS_PER_S]
 *        [--before S] [--outage S] [--after S] [--memory SIZE] [--dir PATH]</pre>
 *
 * Exits 0 when every event is in the topic in order per key, 1 when not, 2 on bad flags.
 */
public final class KafkaOutageDemo {
    private KafkaOutageDemo() {
    }

    /** The demo's knobs. */
    public record Config(long ratePerSecond, int producers, double beforeSeconds, double outageSeconds,
                         double afterSeconds, long memoryBytes, Path dir, long progressMillis) {
        static Config defaults() {
            return new Config(20_000, 2, 5, 10, 5, ByteSize.parse("4MiB"), null, 500);
        }
    }

    /** What a run ended with. */
    public record Result(long sent, long missing, long duplicates, long outOfOrder, long peakOnDisk,
                         ForwarderStats stats) {
        /** {@return whether every event is in the topic, in order per key} */
        public boolean ok() {
            return missing == 0 && outOfOrder == 0;
        }
    }

    public static void main(String[] args) throws Exception {
        Config c;
        try {
            c = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println("usage: java -jar hopper-examples.jar kafka-outage [--rate EVENTS_PER_S] [--before S]"
                    + " [--outage S] [--after S] [--memory SIZE] [--dir PATH]");
            System.exit(2);
            return;
        }
        Result r = run(c, System.out);
        System.exit(r.ok() ? 0 : 1);
    }

    static Config parse(String[] args) {
        Config d = Config.defaults();
        long rate = d.ratePerSecond();
        double before = d.beforeSeconds();
        double outage = d.outageSeconds();
        double after = d.afterSeconds();
        long memory = d.memoryBytes();
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--help")) {
                throw new IllegalArgumentException("a Kafka outage ridden out through hopper's disk tier");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value after " + flag);
            }
            String v = args[++i];
            switch (flag) {
                case "--rate" -> rate = Long.parseLong(v);
                case "--before" -> before = Double.parseDouble(v);
                case "--outage" -> outage = Double.parseDouble(v);
                case "--after" -> after = Double.parseDouble(v);
                case "--memory" -> memory = ByteSize.parse(v);
                case "--dir" -> dir = Path.of(v);
                default -> throw new IllegalArgumentException("unknown flag " + flag);
            }
        }
        if (rate <= 0 || before < 0 || outage < 0 || after < 0) {
            throw new IllegalArgumentException("--rate must be positive and the phases not negative");
        }
        return new Config(rate, d.producers(), before, outage, after, memory, dir, d.progressMillis());
    }

    /** Held here: java.util.logging keeps loggers weakly, and a collected one forgets its level. */
    private static final java.util.logging.Logger KAFKA_CLIENTS = java.util.logging.Logger.getLogger("org.apache.kafka");

    public static Result run(Config c, PrintStream out) throws Exception {
        // The producer warns at every failed reconnection while the broker is away; the display says it.
        LocalKafkaBroker.quietKafkaClients();
        KAFKA_CLIENTS.setLevel(java.util.logging.Level.SEVERE);
        boolean ownDir = c.dir() == null;
        Path dir = ownDir ? Files.createTempDirectory("hopper-kafka-demo-") : c.dir();
        try {
            return run(c, dir, out);
        } finally {
            if (ownDir) {
                deleteTree(dir);
            }
        }
    }

    private static Result run(Config c, Path dir, PrintStream out) throws Exception {
        String topic = "events";
        out.printf(Locale.ROOT, "starting a local Kafka broker (KRaft, one node) in %s ...%n", dir.resolve("broker"));
        try (LocalKafkaBroker broker = LocalKafkaBroker.start(dir.resolve("broker"))) {
            broker.createTopic(topic, 4);
            out.printf(Locale.ROOT, "broker at %s; topic %s with 4 partitions%n", broker.bootstrapServers(), topic);
            Map<String, Object> producerConfig = new HashMap<>();
            producerConfig.put("bootstrap.servers", broker.bootstrapServers());
            producerConfig.put("reconnect.backoff.max.ms", 500); // notice the broker's return within half a second
            try (Channel<String> ch = Hopper.builder(String.class, dir.resolve("queue"))
                    .commitMode(CommitMode.MANUAL).inMemoryBytes(c.memoryBytes()).diskBytes("1GiB").open()) {
                KafkaForwarder<String> fwd = KafkaForwarder.builder(ch, (String line) -> {
                            int colon = line.indexOf(':');
                            return new ProducerRecord<>(topic, line.substring(0, colon), line);
                        }, new StringSerializer(), new StringSerializer())
                        .producerConfig(producerConfig)
                        .retryBackoff(Duration.ofMillis(200), Duration.ofSeconds(2))
                        .start();
                out.printf(Locale.ROOT, "%,d events/s from %d producers into hopper (memory %s), forwarded to Kafka;"
                                + " the broker is killed after %.0f s for %.0f s%n",
                        c.ratePerSecond(), c.producers(), ByteSize.format(c.memoryBytes()), c.beforeSeconds(),
                        c.outageSeconds());
                AtomicBoolean stop = new AtomicBoolean();
                AtomicLongArray sent = new AtomicLongArray(c.producers());
                List<Thread> producers = new ArrayList<>();
                for (int p = 0; p < c.producers(); p++) {
                    int id = p;
                    Thread t = new Thread(() -> produce(ch, id, c.ratePerSecond() / c.producers(), stop, sent),
                            "producer-" + p);
                    t.start();
                    producers.add(t);
                }
                long start = System.nanoTime();
                Progress progress = new Progress(out, ch, fwd, sent, start, c.memoryBytes());
                progress.runFor(c.beforeSeconds(), "up");
                broker.kill();
                out.println("--- broker killed (SIGKILL); the load continues");
                progress.runFor(c.outageSeconds(), "DOWN");
                out.println("--- broker restarting on its data");
                broker.start();
                out.println("--- broker back");
                progress.runFor(c.afterSeconds(), "up");
                stop.set(true);
                for (Thread t : producers) {
                    t.join();
                }
                long total = 0;
                for (int p = 0; p < c.producers(); p++) {
                    total += sent.get(p);
                }
                out.printf(Locale.ROOT, "--- load stopped after %,d events; catching up%n", total);
                while (fwd.stats().forwarded() + fwd.stats().failed() < total) {
                    progress.line("up");
                    Thread.sleep(c.progressMillis());
                }
                progress.line("up");
                fwd.close(Duration.ofSeconds(10));
                ForwarderStats stats = fwd.stats();
                out.println("forwarder: " + stats);
                ChannelStats cs = ch.stats();
                out.printf(Locale.ROOT, "disk tier: %,d records spilled, %s written: %.1f B per record on disk"
                                + " (size the disk budget with it: rate x outage x bytes per record)%n",
                        cs.recordsSpilled(), ByteSize.format(cs.bytesWrittenToDisk()),
                        cs.recordsSpilled() == 0 ? 0.0 : (double) cs.bytesWrittenToDisk() / cs.recordsSpilled());
                out.println("reading the topic back ...");
                Result r = check(TopicContents.readAll(broker, topic), sent, progress.peakOnDisk, stats);
                if (r.ok()) {
                    out.printf(Locale.ROOT, "all %d events in the topic, in order per key (%d duplicates: records"
                            + " Kafka wrote but did not acknowledge before it went away)%n", total, r.duplicates());
                } else {
                    out.printf(Locale.ROOT, "PROBLEM: %d of %d events missing, %d out of order%n", r.missing(), total,
                            r.outOfOrder());
                }
                return r;
            }
        }
    }

    private static void produce(Channel<String> ch, int id, long ratePerSecond, AtomicBoolean stop,
                                AtomicLongArray sent) {
        long intervalNanos = 1_000_000_000L / Math.max(1, ratePerSecond);
        long next = System.nanoTime();
        long seq = 0;
        String source = "source-" + id;
        try {
            while (!stop.get()) {
                ch.sender().send(source + ":" + seq + ":" + "{\"level\":\"info\",\"msg\":\"request served\",\"ms\":"
                        + (seq % 97) + "}");
                seq++;
                sent.set(id, seq);
                next += intervalNanos;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The depth display. */
    private static final class Progress {
        private final PrintStream out;
        private final Channel<String> ch;
        private final KafkaForwarder<String> fwd;
        private final AtomicLongArray sent;
        private final long start;
        private final long memoryBytes;
        long peakOnDisk;

        Progress(PrintStream out, Channel<String> ch, KafkaForwarder<String> fwd, AtomicLongArray sent, long start,
                 long memoryBytes) {
            this.out = out;
            this.ch = ch;
            this.fwd = fwd;
            this.sent = sent;
            this.start = start;
            this.memoryBytes = memoryBytes;
        }

        void runFor(double seconds, String broker) throws InterruptedException {
            long until = System.nanoTime() + (long) (seconds * 1e9);
            while (System.nanoTime() < until) {
                Thread.sleep(Math.max(1, Math.min(500, (until - System.nanoTime()) / 1_000_000)));
                line(broker);
            }
        }

        void line(String broker) {
            ChannelStats s = ch.stats();
            ForwarderStats f = fwd.stats();
            long total = 0;
            for (int p = 0; p < sent.length(); p++) {
                total += sent.get(p);
            }
            peakOnDisk = Math.max(peakOnDisk, s.recordsOnDisk());
            out.printf(Locale.ROOT, "t=%5.1fs broker %-4s sent %,9d  forwarded %,9d  memory %s %8s  disk %,8d rec %9s"
                            + "  in flight %,6d  retried %,7d%n",
                    (System.nanoTime() - start) / 1e9, broker, total, f.forwarded(),
                    bar(s.bytesInMemory(), memoryBytes), ByteSize.format(s.bytesInMemory()), s.recordsOnDisk(),
                    ByteSize.format(s.bytesOnDisk()), f.inFlight(), f.retried());
        }

        private static String bar(long value, long max) {
            int width = 10;
            int n = (int) Math.min(width, Math.round(width * (double) value / Math.max(1, max)));
            return "[" + "#".repeat(n) + " ".repeat(width - n) + "]";
        }
    }

    private static Result check(List<ConsumerRecord<byte[], byte[]>> got, AtomicLongArray sent, long peakOnDisk,
                                ForwarderStats stats) {
        Map<String, boolean[]> seen = new HashMap<>();
        Map<String, Long> last = new HashMap<>();
        for (int p = 0; p < sent.length(); p++) {
            seen.put("source-" + p, new boolean[(int) sent.get(p)]);
        }
        long duplicates = 0;
        long outOfOrder = 0;
        for (ConsumerRecord<byte[], byte[]> r : got) {
            String v = new String(r.value(), StandardCharsets.UTF_8);
            String[] parts = v.split(":", 3);
            boolean[] s = seen.get(parts[0]);
            int seq = Integer.parseInt(parts[1]);
            if (s[seq]) {
                duplicates++;
                continue;
            }
            s[seq] = true;
            Long before = last.put(parts[0], (long) seq);
            if (before != null && seq < before) {
                outOfOrder++;
            }
        }
        long missing = 0;
        long total = 0;
        for (boolean[] s : seen.values()) {
            for (boolean b : s) {
                total++;
                if (!b) {
                    missing++;
                }
            }
        }
        return new Result(total, missing, duplicates, outOfOrder, peakOnDisk, stats);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
