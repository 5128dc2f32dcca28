package io.hopper.kafka;

import io.hopper.Channel;
import io.hopper.ChannelStats;
import io.hopper.CommitMode;
import io.hopper.Hopper;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker goes away while producers keep sending: killed with {@code SIGKILL} and restarted on
 * its data, or hung with {@code SIGSTOP} and resumed; each time for longer than the producer's
 * {@code delivery.timeout.ms}, so Kafka itself gives up on the records in flight and the forwarder
 * must send them again. The producers must never be refused (the channel holds the backlog, and it
 * must reach disk), and every record must be in the topic at the end.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES) // a hang guard for the waits below; -Pstress outages run 30 s each
class KafkaOutageTest {
    private static final long OUTAGE_MILLIS = Long.getLong("hopper.kafka.outage.millis", 5_000);
    private static final long DELIVERY_TIMEOUT_MILLIS = 2_000;

    @TempDir
    Path dir;

    /** Something done to the broker, and its undoing. */
    private interface Step {
        void apply(LocalKafkaBroker broker) throws Exception;
    }

    private record Disruption(Step begin, Step end) {
    }

    private static final Disruption KILL = new Disruption(LocalKafkaBroker::kill, LocalKafkaBroker::start);
    private static final Disruption HANG = new Disruption(LocalKafkaBroker::suspend, LocalKafkaBroker::resume);

    /** Kafka gives up on the records in flight after 2 s: the forwarder's retries carry the outage. */
    private static Map<String, Object> shortTimeouts() {
        return Map.of("delivery.timeout.ms", (int) DELIVERY_TIMEOUT_MILLIS, "request.timeout.ms", 1_000,
                "max.block.ms", 1_000, "reconnect.backoff.max.ms", 200);
    }

    @Test
    void aBrokerKilledForLongerThanTheDeliveryTimeoutLosesNothing() throws Exception {
        Outcome o = run(KILL, shortTimeouts());
        System.out.println("broker killed for " + OUTAGE_MILLIS + " ms, delivery timeout " + DELIVERY_TIMEOUT_MILLIS
                + " ms: " + o);
        assertTrue(o.stats().retried() > 0, "the forwarder sent records again: " + o);
    }

    @Test
    void aBrokerKilledWithinTheDeliveryTimeoutCostsNeitherOrderNorDuplicates() throws Exception {
        Outcome o = run(KILL, Map.of("reconnect.backoff.max.ms", 200));
        System.out.println("broker killed for " + OUTAGE_MILLIS + " ms, Kafka's default delivery timeout: " + o);
        assertEquals(0, o.delivery().duplicates(), o.toString());
        assertEquals(0, o.delivery().outOfOrder(), o.toString());
    }

    @Test
    void aHungBrokerLosesNothingAndWhatItWroteAnywayIsCountedAsDuplicates() throws Exception {
        Outcome o = run(HANG, shortTimeouts());
        System.out.println("broker hung for " + OUTAGE_MILLIS + " ms, delivery timeout " + DELIVERY_TIMEOUT_MILLIS
                + " ms: " + o);
        assertTrue(o.stats().retried() > 0, "the forwarder sent records again: " + o);
    }

    @Test
    void closingDuringAnOutageKeepsTheRecordsInFlightForTheNextRun() throws Exception {
        String topic = "closing";
        Map<String, Object> config = new HashMap<>();
        try (LocalKafkaBroker broker = LocalKafkaBroker.start(dir.resolve("broker"))) {
            broker.createTopic(topic, 2);
            config.put("bootstrap.servers", broker.bootstrapServers());
            config.putAll(shortTimeouts());
            List<String> expected = new ArrayList<>();
            ForwarderStats atClose;
            // MEMORY_FIRST: the records in flight at close are memory-tier records, which the
            // channel delivers once; the forwarder must put them back or they are gone.
            try (Channel<Event> ch = Hopper.builder(Event.class, dir.resolve("ch")).commitMode(CommitMode.MANUAL)
                    .open()) {
                KafkaForwarder<Event> fwd = KafkaForwarder.builder(ch, (Event e) -> Delivery.toKafka(topic, e),
                        new StringSerializer(), new StringSerializer()).producerConfig(config).start();
                for (long s = 0; s < 100; s++) {
                    ch.sender().send(Event.of("p0", s));
                    expected.add("p0:" + s);
                }
                KafkaForwarderTest.awaitForwarded(fwd, 100);
                broker.kill();
                for (long s = 100; s < 1100; s++) {
                    ch.sender().send(Event.of("p0", s));
                    expected.add("p0:" + s);
                }
                while (fwd.stats().retried() == 0) { // Kafka gave up on the first ones: the forwarder retries
                    Thread.sleep(10);
                }
                ForwarderStats before = fwd.stats();
                fwd.close(Duration.ofMillis(500));
                atClose = fwd.stats();
                assertTrue(before.inFlight() > 0, before.toString());
                assertEquals(atClose.inFlight(), atClose.returnedAtClose(), atClose.toString());
                assertEquals(100, atClose.forwarded(), atClose.toString());
            }
            broker.start();
            try (Channel<Event> ch = Hopper.builder(Event.class, dir.resolve("ch")).commitMode(CommitMode.MANUAL)
                    .open()) {
                assertEquals(1000, ch.stats().recordsOnDisk(), "the records not taken, and those put back, kept by"
                        + " the channel's close");
                KafkaForwarder<Event> fwd = KafkaForwarder.builder(ch, (Event e) -> Delivery.toKafka(topic, e),
                        new StringSerializer(), new StringSerializer()).producerConfig(config).start();
                KafkaForwarderTest.awaitForwarded(fwd, 1000);
                fwd.close();
            }
            Delivery d = Delivery.check(TopicContents.readAll(broker, topic), expected);
            System.out.println("closed during an outage: " + atClose + "; after the restart: " + d.summary());
            assertEquals(List.of(), List.copyOf(d.missing()), d.summary());
        }
    }

    record Outcome(long sent, Delivery delivery, long maxOnDisk, long maxInMemory, ForwarderStats stats) {
        @Override
        public String toString() {
            return sent + " sent; " + delivery.summary() + "; most on disk during the outage " + maxOnDisk
                    + " records (in memory " + maxInMemory + "); " + stats;
        }
    }

    private Outcome run(Disruption disruption, Map<String, Object> producerOverrides) throws Exception {
        String topic = "events";
        try (LocalKafkaBroker broker = LocalKafkaBroker.start(dir.resolve("broker"))) {
            broker.createTopic(topic, 4);
            Map<String, Object> config = new HashMap<>();
            config.put("bootstrap.servers", broker.bootstrapServers());
            config.putAll(producerOverrides);
            try (Channel<Event> ch = Hopper.builder(Event.class, dir.resolve("ch")).commitMode(CommitMode.MANUAL)
                    .inMemoryBytes("256 KiB").diskBytes("256 MiB").open()) {
                KafkaForwarder<Event> fwd = KafkaForwarder.builder(ch, (Event e) -> Delivery.toKafka(topic, e),
                                new StringSerializer(), new StringSerializer())
                        .producerConfig(config).retryBackoff(Duration.ofMillis(50), Duration.ofMillis(500)).start();
                AtomicBoolean stop = new AtomicBoolean();
                AtomicLong refused = new AtomicLong();
                Map<String, Long> sentPerSource = new ConcurrentHashMap<>();
                List<Thread> producers = new ArrayList<>();
                for (int p = 0; p < 2; p++) {
                    String source = "p" + p;
                    Thread t = new Thread(() -> {
                        long s = 0;
                        while (!stop.get()) {
                            // A few thousand records a second per producer: a steady ingest load.
                            for (int i = 0; i < 4; i++, s++) {
                                if (!ch.sender().offer(Event.of(source, s))) {
                                    refused.incrementAndGet();
                                }
                            }
                            sleepQuietly(1);
                        }
                        sentPerSource.put(source, s);
                    });
                    t.start();
                    producers.add(t);
                }
                Thread.sleep(1_000);
                disruption.begin().apply(broker);
                long maxOnDisk = 0;
                long maxInMemory = 0;
                long until = System.nanoTime() + OUTAGE_MILLIS * 1_000_000;
                while (System.nanoTime() < until) {
                    ChannelStats s = ch.stats();
                    maxOnDisk = Math.max(maxOnDisk, s.recordsOnDisk());
                    maxInMemory = Math.max(maxInMemory, s.recordsInMemory());
                    Thread.sleep(50);
                }
                disruption.end().apply(broker);
                Thread.sleep(1_000);
                stop.set(true);
                for (Thread t : producers) {
                    t.join();
                }
                long sent = sentPerSource.values().stream().mapToLong(Long::longValue).sum();
                KafkaForwarderTest.awaitForwarded(fwd, sent);
                fwd.close(Duration.ofSeconds(10));
                ForwarderStats stats = fwd.stats();
                assertEquals(0, refused.get(), "the channel refused sends during the outage");
                assertTrue(maxOnDisk > 0, "the backlog went to disk: " + maxOnDisk);
                assertEquals(0, ch.stats().recordsOnDisk(), "the disk backlog drained: " + ch.stats());
                assertEquals(0, stats.commitLag(), stats.toString());
                List<String> expected = new ArrayList<>();
                sentPerSource.forEach((source, n) -> expected.addAll(Delivery.ids(source, 0, n)));
                Delivery d = Delivery.check(TopicContents.readAll(broker, topic), expected);
                Outcome o = new Outcome(sent, d, maxOnDisk, maxInMemory, stats);
                assertEquals(List.of(), List.copyOf(d.missing()), o.toString());
                assertEquals(sent, stats.forwarded(), o.toString());
                return o;
            }
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
