package io.hopper.kafka;

import io.hopper.Channel;
import io.hopper.CommitMode;
import io.hopper.Durability;
import io.hopper.Hopper;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The forwarder against a healthy broker: volume, order, poison records, the contract checks at start. */
@Timeout(value = 10, unit = TimeUnit.MINUTES) // a hang guard for the waits, not a speed check
class KafkaForwarderTest {
    @TempDir
    static Path shared;

    static LocalKafkaBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = LocalKafkaBroker.start(shared.resolve("broker"));
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    static Map<String, Object> producerConfig() {
        return Map.of("bootstrap.servers", broker.bootstrapServers());
    }

    static KafkaForwarder.Builder<Event> forwarder(Channel<Event> ch, String topic) {
        return KafkaForwarder.builder(ch, (Event e) -> Delivery.toKafka(topic, e), new StringSerializer(),
                new StringSerializer());
    }

    /**
     * Waits until the forwarder has done {@code records} and holds none in flight. No deadline of
     * its own: the class's {@code @Timeout} stops a run that hangs.
     */
    static void awaitForwarded(KafkaForwarder<?> fwd, long records) throws InterruptedException {
        while (true) {
            ForwarderStats s = fwd.stats();
            if (s.forwarded() + s.failed() >= records && s.inFlight() == 0) {
                return;
            }
            Thread.sleep(20);
        }
    }

    @Test
    void severalProducersHundredThousandRecordsAllThereInOrderPerKey() throws Exception {
        String topic = "healthy";
        broker.createTopic(topic, 4);
        int producers = 4;
        int perProducer = 25_000;
        // A small memory tier: part of the stream goes through queue files on its way to Kafka.
        try (Channel<Event> ch = Hopper.builder(Event.class, dir.resolve("ch")).commitMode(CommitMode.MANUAL)
                .inMemoryBytes("256 KiB").open()) {
            KafkaForwarder<Event> fwd = forwarder(ch, topic).producerConfig(producerConfig()).jmxName("healthy").start();
            List<Thread> threads = new ArrayList<>();
            List<String> expected = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                String source = "p" + p;
                expected.addAll(Delivery.ids(source, 0, perProducer));
                Thread t = new Thread(() -> {
                    try {
                        for (long s = 0; s < perProducer; s++) {
                            ch.sender().send(Event.of(source, s));
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                t.start();
                threads.add(t);
            }
            for (Thread t : threads) {
                t.join();
            }
            awaitForwarded(fwd, (long) producers * perProducer);
            ObjectName on = new ObjectName("io.hopper:type=KafkaForwarder,name=\"healthy\"");
            assertEquals((long) producers * perProducer,
                    (Long) ManagementFactory.getPlatformMBeanServer().getAttribute(on, "Forwarded"));
            fwd.close(Duration.ofSeconds(10));
            assertTrue(!fwd.isRunning() && fwd.failure() == null, "stopped cleanly: " + fwd.failure());
            ForwarderStats s = fwd.stats();
            assertEquals(0, s.commitLag(), "everything acknowledged was committed: " + s);
            assertTrue(ch.stats().recordsSpilled() > 0, "some records went through disk: " + ch.stats());
            Delivery d = Delivery.check(TopicContents.readAll(broker, topic), expected);
            System.out.printf("healthy broker, %d producers: %s; %s%n", producers, d.summary(), s);
            assertEquals(List.of(), List.copyOf(d.missing()), d.summary());
            assertEquals(0, d.duplicates(), d.summary());
            assertEquals(0, d.outOfOrder(), d.summary());
        }
    }

    @Test
    void aPoisonRecordIsDeadLetteredAndTheRestFlows() throws Exception {
        String topic = "poison";
        try (var admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1)
                    .configs(Map.of("max.message.bytes", String.valueOf(64 * 1024))))).all().get(60, TimeUnit.SECONDS);
        }
        try (Channel<Event> ch = Hopper.builder(Event.class, dir.resolve("ch")).commitMode(CommitMode.MANUAL)
                .durability(Durability.WRITE_THROUGH).open();
             Channel<Event> dead = Hopper.builder(Event.class, dir.resolve("dead")).open()) {
            List<Exception> errors = new ArrayList<>();
            FailureHandler<Event> toDeadLetters = FailureHandler.deadLetter(dead.sender());
            KafkaForwarder<Event> fwd = KafkaForwarder.builder(ch, (Event e) -> {
                        if (e.seq() == 77) {
                            throw new IllegalArgumentException("this mapping cannot handle record 77");
                        }
                        return Delivery.toKafka(topic, e);
                    }, new StringSerializer(), new StringSerializer())
                    .producerConfig(producerConfig())
                    .onFailure((Event e, Exception error) -> {
                        synchronized (errors) {
                            errors.add(error);
                        }
                        return toDeadLetters.onFailure(e, error);
                    })
                    .start();
            List<String> expected = new ArrayList<>();
            for (long s = 0; s < 200; s++) {
                if (s == 50) {
                    ch.sender().send(new Event.Blob("p0", s, new byte[200 * 1024])); // > the topic's 64 KiB
                } else {
                    ch.sender().send(Event.of("p0", s));
                    if (s != 77) {
                        expected.add("p0:" + s);
                    }
                }
            }
            awaitForwarded(fwd, 200);
            fwd.close(Duration.ofSeconds(10));
            ForwarderStats s = fwd.stats();
            assertEquals(198, s.forwarded(), s.toString());
            assertEquals(2, s.failed(), s.toString());
            assertEquals(2, s.deadLettered(), s.toString());
            assertEquals(0, s.dropped(), s.toString());
            assertEquals(2, errors.size());
            assertTrue(errors.stream().anyMatch(e -> e instanceof RecordTooLargeException), errors.toString());
            assertTrue(errors.stream().anyMatch(e -> e instanceof SerializationException), errors.toString());
            List<Long> deadSeqs = new ArrayList<>();
            Event e;
            while ((e = dead.receiver().poll()) != null) {
                deadSeqs.add(e.seq());
            }
            assertEquals(List.of(50L, 77L), deadSeqs.stream().sorted().toList());
            List<ConsumerRecord<byte[], byte[]>> got = TopicContents.readAll(broker, topic);
            Delivery d = Delivery.check(got, expected);
            assertEquals(List.of(), List.copyOf(d.missing()), d.summary());
            assertEquals(198, d.records(), d.summary());
            assertEquals(0, d.outOfOrder(), d.summary());
        }
    }

    @Test
    void recordsForATopicThatDoesNotExistGoToTheFailureHandlerWithoutStallingTheRest() throws Exception {
        String topic = "existing";
        broker.createTopic(topic, 1);
        Map<String, Object> config = new java.util.HashMap<>(producerConfig());
        config.put("max.block.ms", 1_000);
        try (Channel<Event> ch = Hopper.builder(Event.class, dir.resolve("ch")).commitMode(CommitMode.MANUAL).open()) {
            List<Exception> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            KafkaForwarder<Event> fwd = KafkaForwarder.builder(ch,
                            (Event e) -> Delivery.toKafka(e.seq() % 10 == 0 ? "missing" : topic, e),
                            new StringSerializer(), new StringSerializer())
                    .producerConfig(config)
                    .onFailure((Event e, Exception error) -> {
                        errors.add(error);
                        return FailureHandler.Disposition.DROPPED;
                    })
                    .start();
            List<String> expected = new ArrayList<>();
            for (long s = 0; s < 1000; s++) {
                ch.sender().send(Event.of("p0", s));
                if (s % 10 != 0) {
                    expected.add("p0:" + s);
                }
            }
            awaitForwarded(fwd, 1000);
            fwd.close();
            ForwarderStats s = fwd.stats();
            assertEquals(900, s.forwarded(), s.toString());
            assertEquals(100, s.failed(), s.toString());
            assertEquals(100, s.dropped(), s.toString());
            assertEquals(0, s.retried(), s.toString());
            assertTrue(errors.stream().allMatch(KafkaForwarder::unknownTopic), errors.toString());
            Delivery d = Delivery.check(TopicContents.readAll(broker, topic), expected);
            assertEquals(List.of(), List.copyOf(d.missing()), d.summary());
            assertEquals(900, d.records(), d.summary());
        }
    }

    @Test
    void aProducerHandedInIsUsedAndLeftOpen() throws Exception {
        String topic = "given";
        broker.createTopic(topic, 1);
        try (Channel<Event> ch = Hopper.builder(Event.class, dir.resolve("ch")).commitMode(CommitMode.MANUAL).open();
             KafkaProducer<byte[], byte[]> own = new KafkaProducer<>(producerConfig(), new ByteArraySerializer(),
                     new ByteArraySerializer())) {
            KafkaForwarder<Event> fwd = forwarder(ch, topic).producer(own).start();
            List<String> expected = new ArrayList<>();
            for (long s = 0; s < 50; s++) {
                ch.sender().send(Event.of("p0", s));
                expected.add("p0:" + s);
            }
            awaitForwarded(fwd, 50);
            fwd.close();
            own.send(new ProducerRecord<>(topic, "p1:0:after the forwarder".getBytes(StandardCharsets.UTF_8))).get();
            expected.add("p1:0");
            Delivery d = Delivery.check(TopicContents.readAll(broker, topic), expected);
            assertEquals(List.of(), List.copyOf(d.missing()), d.summary());
            assertEquals(51, d.records(), d.summary());
        }
    }

    @Test
    void aChannelThatCommitsOnItsOwnIsRefused() throws Exception {
        try (Channel<Event> ch = Hopper.builder(Event.class, dir.resolve("auto")).open()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> forwarder(ch, "t").producerConfig(producerConfig()).start());
            assertTrue(e.getMessage().contains("MANUAL"), e.getMessage());
        }
    }

    @Test
    void aProducerConfigurationWithoutBootstrapServersIsRefused() throws Exception {
        try (Channel<Event> ch = Hopper.builder(Event.class, dir.resolve("m")).commitMode(CommitMode.MANUAL).open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> forwarder(ch, "t").producerConfig(Map.of("acks", "all")));
            assertTrue(e.getMessage().contains("bootstrap.servers"), e.getMessage());
            assertInstanceOf(IllegalStateException.class,
                    assertThrows(IllegalStateException.class, () -> forwarder(ch, "t").start()));
        }
    }

    /**
     * A forwarder whose MBean cannot be registered (the name is taken) never starts, and the
     * producer it made is closed: it used to stay open, with its network thread, for the life of
     * the process.
     */
    @Test
    void aForwarderThatCannotRegisterItsMBeanClosesTheProducerItMade() throws Exception {
        try (Channel<Event> a = Hopper.builder(Event.class, dir.resolve("a")).commitMode(CommitMode.MANUAL).open();
             Channel<Event> b = Hopper.builder(Event.class, dir.resolve("b")).commitMode(CommitMode.MANUAL).open()) {
            KafkaForwarder<Event> first = forwarder(a, "t").producerConfig(producerConfig()).jmxName("taken").start();
            Map<String, Object> config = new java.util.HashMap<>(producerConfig());
            config.put("client.id", "never-started");
            ObjectName appInfo = new ObjectName("kafka.producer:type=app-info,id=never-started");
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> forwarder(b, "t").producerConfig(config).jmxName("taken").start());
            assertTrue(e.getMessage().contains("already registered"), e.getMessage());
            assertTrue(!ManagementFactory.getPlatformMBeanServer().isRegistered(appInfo),
                    "the producer made for the forwarder that did not start is closed");
            first.close();
        }
    }

    /**
     * User code that throws an {@link Error} (a mapping, a failure handler) stops the forwarder,
     * which reports it, with the record neither committed nor lost: after a restart with code that
     * works, it and everything after it reach the topic, in order.
     */
    @Test
    void anErrorFromTheMappingOrTheFailureHandlerStopsTheForwarderWithTheRecordUncommitted() throws Exception {
        for (String where : List.of("mapping", "handler")) {
            String topic = "error-" + where;
            broker.createTopic(topic, 1);
            Path d = dir.resolve(where);
            List<String> expected = new ArrayList<>();
            try (Channel<Event> ch = Hopper.builder(Event.class, d).commitMode(CommitMode.MANUAL)
                    .durability(Durability.WRITE_THROUGH).open()) {
                KafkaForwarder<Event> fwd = KafkaForwarder.builder(ch, (Event e) -> {
                            if (e.seq() == 30) {
                                if (where.equals("mapping")) {
                                    throw new AssertionError("a mapping with a bug");
                                }
                                throw new IllegalArgumentException("refused, for the handler");
                            }
                            return Delivery.toKafka(topic, e);
                        }, new StringSerializer(), new StringSerializer())
                        .producerConfig(producerConfig())
                        .onFailure((Event e, Exception error) -> {
                            throw new AssertionError("a failure handler with a bug");
                        })
                        .start();
                for (long s = 0; s < 60; s++) {
                    ch.sender().send(Event.of("p0", s));
                    expected.add("p0:" + s);
                }
                while (fwd.isRunning()) {
                    Thread.sleep(10);
                }
                assertInstanceOf(AssertionError.class, fwd.failure(), where);
                assertTrue(fwd.failure().getMessage().contains(where.equals("mapping") ? "mapping" : "handler"),
                        fwd.failure().toString());
                fwd.close();
            }
            try (Channel<Event> ch = Hopper.builder(Event.class, d).commitMode(CommitMode.MANUAL)
                    .durability(Durability.WRITE_THROUGH).open()) {
                KafkaForwarder<Event> fwd = forwarder(ch, topic).producerConfig(producerConfig()).start();
                awaitForwarded(fwd, 30); // record 30 and the ones after it
                fwd.close();
                assertEquals(null, fwd.failure());
            }
            Delivery delivery = Delivery.check(TopicContents.readAll(broker, topic), expected);
            assertEquals(List.of(), List.copyOf(delivery.missing()), where + ": " + delivery.summary());
            assertEquals(0, delivery.outOfOrder(), delivery.summary());
        }
    }
}
