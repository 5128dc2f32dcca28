package io.hopper.examples.kafka;

import io.hopper.Channel;
import io.hopper.CommitMode;
import io.hopper.Hopper;
import io.hopper.kafka.KafkaForwarder;
import io.hopper.kafka.LocalKafkaBroker;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Forwarder throughput into a local broker against a plain {@code KafkaProducer} loop on the same
 * records, and the catch-up rate after an outage (a backlog mostly on disk, drained into a
 * healthy broker). Repetitions are interleaved (plain, forwarder, catch-up, plain, ...) so that
 * drifts of the machine hit every mode alike; it prints the median, minimum and maximum of each.
 *
 * <pre>java -jar hopper-examples/target/hopper-examples.jar kafka-bench [--records N] [--reps R]
 *        [--bytes B]</pre>
 *
 * Both sides use the forwarder's producer defaults ({@code acks=all}, idempotence, {@code linger.ms=5}).
 * The forwarder side includes the channel: a producer thread sends into hopper while the forwarder
 * drains it; the time runs from the first send to the last acknowledgement.
 */
public final class KafkaBench {
    private KafkaBench() {
    }

    record Config(int records, int reps, int valueBytes) {
    }

    /** Records per second of each repetition, per mode. */
    record Result(List<Double> plain, List<Double> forwarder, List<Double> catchUp) {
    }

    public static void main(String[] args) throws Exception {
        int records = 200_000;
        int reps = 5;
        int bytes = 200;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--help") || i + 1 >= args.length) {
                System.err.println("usage: java -jar hopper-examples.jar kafka-bench [--records N] [--reps R] [--bytes B]");
                System.exit(2);
            }
            String v = args[++i];
            switch (flag) {
                case "--records" -> records = Integer.parseInt(v);
                case "--reps" -> reps = Integer.parseInt(v);
                case "--bytes" -> bytes = Integer.parseInt(v);
                default -> {
                    System.err.println("unknown flag " + flag);
                    System.exit(2);
                }
            }
        }
        run(new Config(records, reps, bytes), System.out);
    }

    static Result run(Config c, PrintStream out) throws Exception {
        LocalKafkaBroker.quietKafkaClients();
        Path dir = Files.createTempDirectory("hopper-kafka-bench-");
        try (LocalKafkaBroker broker = LocalKafkaBroker.start(dir.resolve("broker"))) {
            broker.createTopic("bench", 4);
            out.printf(Locale.ROOT, "kafka-bench: %,d records of %d B, %d interleaved repetitions, local broker %s,"
                    + " %d CPUs, Java %s%n", c.records(), c.valueBytes(), c.reps(), broker.bootstrapServers(),
                    Runtime.getRuntime().availableProcessors(), Runtime.version());
            Map<String, Object> config = new HashMap<>(Map.of("bootstrap.servers", broker.bootstrapServers()));
            String padding = "x".repeat(Math.max(0, c.valueBytes() - 24));
            Function<Integer, ProducerRecord<String, String>> record =
                    i -> new ProducerRecord<>("bench", "key-" + (i % 64), i + ":" + padding);
            List<Double> plain = new ArrayList<>();
            List<Double> forwarder = new ArrayList<>();
            List<Double> catchUp = new ArrayList<>();
            for (int rep = -1; rep < c.reps(); rep++) { // rep -1 warms up the JIT and the broker
                double p = plain(config, record, c.records());
                double f = forwarder(config, record, c.records(), dir.resolve("fwd-" + rep), false);
                double u = forwarder(config, record, c.records(), dir.resolve("catch-up-" + rep), true);
                if (rep >= 0) {
                    plain.add(p);
                    forwarder.add(f);
                    catchUp.add(u);
                }
                out.printf(Locale.ROOT, "%s plain producer %,10.0f/s   forwarder %,10.0f/s   catch-up %,10.0f/s%n",
                        rep < 0 ? "warm-up" : "rep " + rep + "  ", p, f, u);
            }
            out.printf(Locale.ROOT, "median (min-max) records/s: plain producer %s; forwarder %s; catch-up %s%n",
                    summary(plain), summary(forwarder), summary(catchUp));
            out.printf(Locale.ROOT, "forwarder / plain producer, ratio of medians: %.2f%n",
                    median(forwarder) / median(plain));
            return new Result(plain, forwarder, catchUp);
        } finally {
            deleteTree(dir);
        }
    }

    private static double plain(Map<String, Object> config, Function<Integer, ProducerRecord<String, String>> record,
                                int n) throws Exception {
        Map<String, Object> c = new HashMap<>(config);
        c.putAll(Map.of("acks", "all", "enable.idempotence", true, "linger.ms", 5));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(c, new StringSerializer(),
                new StringSerializer())) {
            CountDownLatch done = new CountDownLatch(n);
            AtomicReference<Exception> failure = new AtomicReference<>();
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                producer.send(record.apply(i), (md, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    }
                    done.countDown();
                });
            }
            if (!done.await(5, TimeUnit.MINUTES) || failure.get() != null) {
                throw new IllegalStateException("the plain producer failed: " + failure.get());
            }
            return n / ((System.nanoTime() - start) / 1e9);
        }
    }

    /**
     * The forwarder's rate. Healthy: a producer thread sends into the channel while the forwarder
     * runs. Catch-up: the channel holds the whole backlog first (a 4 MiB memory tier, the rest on
     * disk), then the forwarder starts.
     */
    private static double forwarder(Map<String, Object> config,
                                    Function<Integer, ProducerRecord<String, String>> record, int n, Path dir,
                                    boolean backlogFirst) throws Exception {
        try (Channel<Integer> ch = Hopper.builder(Integer.class, dir).commitMode(CommitMode.MANUAL)
                .inMemoryBytes(backlogFirst ? "4MiB" : "64MiB").diskBytes("2GiB").open()) {
            if (backlogFirst) {
                for (int i = 0; i < n; i++) {
                    ch.sender().send(i);
                }
            }
            long start = System.nanoTime();
            KafkaForwarder<Integer> fwd = KafkaForwarder.builder(ch, record::apply, new StringSerializer(),
                    new StringSerializer()).producerConfig(config).start();
            if (!backlogFirst) {
                for (int i = 0; i < n; i++) {
                    ch.sender().send(i);
                }
            }
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (fwd.stats().forwarded() < n) {
                if (System.nanoTime() > deadline || fwd.stats().failed() > 0) {
                    throw new IllegalStateException("the forwarder did not finish: " + fwd.stats());
                }
                Thread.sleep(1);
            }
            double rate = n / ((System.nanoTime() - start) / 1e9);
            fwd.close(Duration.ofSeconds(10));
            return rate;
        }
    }

    static double median(List<Double> xs) {
        List<Double> s = xs.stream().sorted().toList();
        int m = s.size() / 2;
        return s.size() % 2 == 1 ? s.get(m) : (s.get(m - 1) + s.get(m)) / 2;
    }

    private static String summary(List<Double> xs) {
        return String.format(Locale.ROOT, "%,.0f (%,.0f-%,.0f)", median(xs),
                xs.stream().mapToDouble(Double::doubleValue).min().orElse(0),
                xs.stream().mapToDouble(Double::doubleValue).max().orElse(0));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
