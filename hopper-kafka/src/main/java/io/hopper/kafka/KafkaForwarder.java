package io.hopper.kafka;

import io.hopper.Channel;
import io.hopper.CommitMode;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;

import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Forwards a hopper channel into Kafka on its own thread, committing the channel's position only
 * for the prefix of records the broker has acknowledged: a crash of the process at any moment
 * delivers records again, never loses them. While the broker is away the forwarder retries in
 * order with bounded exponential backoff and the producers keep sending into the channel, which
 * holds the backlog in memory and then on disk.
 *
 * <pre>{@code
 * Channel<Event> ch = Hopper.builder(Event.class, dir)
 *         .commitMode(CommitMode.MANUAL).durability(Durability.WRITE_THROUGH).open();
 * KafkaForwarder<Event> fwd = KafkaForwarder.builder(ch,
 *                 (Event e) -> new ProducerRecord<>("events", e.key(), e.json()),
 *                 new StringSerializer(), new StringSerializer())
 *         .producerConfig(Map.of("bootstrap.servers", "kafka:9092"))
 *         .onFailure(FailureHandler.deadLetter(deadLetters.sender()))
 *         .start();
 * ...
 * fwd.close(Duration.ofSeconds(10)); // then ch.close()
 * }</pre>
 *
 * <p><b>What it guarantees.</b> The channel must be in {@link CommitMode#MANUAL}, and the forwarder
 * must be its only consumer. Records are sent in the channel's order; many are in flight at once
 * (bounded by {@link Builder#maxInFlightRecords} and {@link Builder#maxInFlightBytes}); the
 * channel's position is committed up to the last record before which every record was
 * acknowledged or handed to the {@link FailureHandler}: every {@link Builder#commitInterval}, and
 * also as soon as {@link Builder#maxInFlightRecords} records were acknowledged since the last
 * commit (while catching up a backlog, the interval alone would leave tens of thousands). After a
 * crash the records taken since the last commit come again ({@link ForwarderStats#commitLag()}
 * shows how many at any moment), so Kafka may hold that many duplicates per crash: at most the
 * records in flight plus as many acknowledged and not yet committed, twice
 * {@link Builder#maxInFlightRecords} (plus records Kafka wrote but reported as failed). Under
 * {@link io.hopper.Durability#WRITE_THROUGH} every record whose {@code send} returned survives a
 * kill of the process; under {@code MEMORY_FIRST} a crash loses what the memory tier held, as it
 * does without a forwarder.
 *
 * <p><b>Shutdown.</b> The forwarder registers a shutdown task with its channel
 * ({@link Channel#addShutdownTask(Runnable)}): when the JVM shuts down (SIGTERM), the channel's
 * shutdown hook first closes the forwarder, which stops taking records, waits up to
 * {@link Builder#shutdownTimeout} for the records in flight, commits what was acknowledged and
 * gives memory-tier records back to the channel, and only then closes the channel. A SIGTERM with
 * the broker up therefore leaves nothing to send twice.
 *
 * <p><b>Order.</b> With the default producer settings (idempotence on, at most 5 requests in
 * flight per connection) Kafka retries on its own, in order and without duplicates, until
 * {@code delivery.timeout.ms} (Kafka's 2 minutes unless configured): an outage shorter than that
 * costs neither order nor duplicates. When Kafka gives up on a record, the forwarder stops taking
 * new records, fails every other send still in flight at once (it closes its producer without
 * waiting, and makes a new one; not when the record was refused inside {@code send}, waiting for
 * metadata, since it never entered Kafka's buffer and the sends before it keep Kafka's own
 * retries), waits the backoff, sends the first failed record again alone,
 * and once that one is through, the others in their original order before anything newer. A
 * record the broker wrote but did not acknowledge before that comes twice; a record of the same
 * partition that Kafka sent in the instant between giving up on an earlier one and the abort
 * lands ahead of it.
 *
 * <p><b>Errors.</b> An error is retried unless {@link Builder#retriable} says otherwise; by default
 * a record too large for the broker, a mapping or serializer that throws, an authorization error,
 * an invalid or unknown topic are not retried but handed to the {@link FailureHandler}. Everything
 * else (timeouts, a broker down or hung, not enough replicas, a producer closed under the
 * forwarder) is retried for as long as it takes, with backoff from {@link Builder#retryBackoff}.
 * A topic the broker says does not exist fails its record after {@code max.block.ms} (5 s by
 * default here), and for the next 10 s the records for that topic fail at once.
 * A producer the forwarder made itself is replaced when it can no longer send (a fatal producer
 * state); one handed in with {@link Builder#producer} is not, and its fatal error stops the
 * forwarder ({@link #failure()}).
 *
 * <p><b>User code that throws.</b> A mapping or serializer that throws fails that record into the
 * {@link FailureHandler}; a failure handler that throws counts the record as dropped and is logged.
 * An {@link Error} from either stops the forwarder ({@link #failure()}) with that record neither
 * committed nor lost: it comes again after a restart (a memory-tier record is given back to the
 * channel).
 *
 * <p>Thread safety: {@link #stats()}, {@link #isRunning()}, {@link #failure()} and
 * {@link #close()} may be called from any thread. The forwarder's own thread ignores interrupts:
 * only {@link #close()} stops it.
 *
 * @param <T> the channel's record type
 */
public final class KafkaForwarder<T> implements AutoCloseable {
    private final Channel<T> channel;
    private final ForwarderCounters counters;
    private final ForwardingLoop<T> loop;
    private final ObjectName mbeanName;
    /** How long the JVM shutdown hook lets the records in flight take (Builder.shutdownTimeout). */
    private final Duration shutdownTimeout;
    /** Registered with the channel while the forwarder runs: closes it at JVM shutdown. */
    private final Runnable shutdownTask = this::closeAtShutdown;

    private KafkaForwarder(Builder<T> b) {
        this.channel = b.channel;
        this.shutdownTimeout = b.shutdownTimeout;
        this.counters = new ForwarderCounters(b.channel.receiver().position());
        ProducerSlot producer;
        if (b.producer != null) {
            Producer<byte[], byte[]> given = b.producer;
            producer = new ProducerSlot(() -> given, false, counters);
        } else {
            Map<String, Object> config = ProducerSlot.config(b.producerConfig, b.channel);
            producer = new ProducerSlot(
                    () -> new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer()), true, counters);
        }
        this.loop = new ForwardingLoop<>(b, producer, counters);
        try {
            this.mbeanName = b.jmxName == null ? null : register(b.jmxName);
        } catch (RuntimeException | Error e) {
            producer.abandon(e); // the forwarder never starts: the producer it made must not outlive it
            throw e;
        }
    }

    /**
     * Starts building a forwarder.
     *
     * @param channel         the channel to drain; in {@link CommitMode#MANUAL}, with no other consumer
     * @param mapping         makes the Kafka record (topic, partition, timestamp, key, value, headers)
     *                        for each channel record; it may not return null
     * @param keySerializer   serializes the keys the mapping returns
     * @param valueSerializer serializes the values the mapping returns
     * @param <T>             the channel's record type
     * @param <K>             the Kafka key type
     * @param <V>             the Kafka value type
     * @return a builder
     */
    public static <T, K, V> Builder<T> builder(Channel<T> channel,
                                              Function<? super T, ? extends ProducerRecord<K, V>> mapping,
                                              Serializer<K> keySerializer, Serializer<V> valueSerializer) {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(mapping, "mapping");
        Objects.requireNonNull(keySerializer, "keySerializer");
        Objects.requireNonNull(valueSerializer, "valueSerializer");
        Function<? super T, ProducerRecord<byte[], byte[]>> encoder = t -> {
            ProducerRecord<K, V> r = mapping.apply(t);
            if (r == null) {
                throw new NullPointerException("the mapping returned null for " + t);
            }
            byte[] key = keySerializer.serialize(r.topic(), r.headers(), r.key());
            byte[] value = valueSerializer.serialize(r.topic(), r.headers(), r.value());
            return new ProducerRecord<>(r.topic(), r.partition(), r.timestamp(), key, value, r.headers());
        };
        return new Builder<>(channel, encoder, () -> {
            keySerializer.close();
            valueSerializer.close();
        });
    }

    /** Starts the forwarder thread, and registers its close with the channel's JVM shutdown. */
    private KafkaForwarder<T> begin() {
        channel.addShutdownTask(shutdownTask);
        loop.thread.start();
        return this;
    }

    /** JVM shutdown, before the channel closes: stop within the shutdown timeout. */
    private void closeAtShutdown() {
        closeUninterruptibly(shutdownTimeout);
    }

    // ------------------------------------------------------------------ public surface

    /** {@return whether the forwarder thread is still running} */
    public boolean isRunning() {
        return loop.thread.isAlive();
    }

    /** {@return why the forwarder stopped on its own (a fatal error of a producer handed in), or null} */
    public Throwable failure() {
        return loop.failure();
    }

    /** {@return a snapshot of the counters} Never blocks the forwarder. */
    public ForwarderStats stats() {
        return counters.snapshot(loop.backlog());
    }

    /**
     * {@link #close(Duration)} with 30 seconds, waiting for the forwarder thread even if this
     * thread is interrupted meanwhile (its interrupt status is set again before this returns).
     */
    @Override
    public void close() {
        closeUninterruptibly(Duration.ofSeconds(30));
    }

    private void closeUninterruptibly(Duration timeout) {
        boolean interrupted = false;
        while (true) {
            try {
                close(timeout);
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the deadline is already set: the next attempt only waits
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops forwarding: takes no more records, waits up to {@code timeout} for the records in
     * flight, commits the acknowledged prefix and closes the producer (one the forwarder made; one
     * handed in is flushed and left open). Records still unacknowledged stay uncommitted and come
     * again when the channel is next opened; those the channel would not deliver again (memory-tier
     * records under {@code MEMORY_FIRST}) are put back into it, behind the records waiting there.
     * Close the forwarder before its channel. Idempotent.
     *
     * @param timeout how long the records in flight may take
     * @throws InterruptedException if interrupted while waiting for the forwarder thread
     */
    public void close(Duration timeout) throws InterruptedException {
        loop.requestStop(timeout.toNanos());
        // The thread sees the request within one poll (at most 100 ms), then needs at most the timeout.
        loop.thread.join();
        channel.removeShutdownTask(shutdownTask);
        ObjectName on = mbeanName;
        if (on != null) {
            try {
                ManagementFactory.getPlatformMBeanServer().unregisterMBean(on);
            } catch (JMException e) {
                // Already gone.
            }
        }
    }

    private ObjectName register(String name) {
        try {
            ObjectName on = new ObjectName("io.hopper:type=KafkaForwarder,name=" + ObjectName.quote(name));
            ManagementFactory.getPlatformMBeanServer().registerMBean(new ForwarderMBean(this), on);
            return on;
        } catch (InstanceAlreadyExistsException e) {
            throw new IllegalStateException("jmxName \"" + name + "\" is already registered", e);
        } catch (JMException e) {
            throw new IllegalStateException("cannot register the MBean for jmxName \"" + name + "\"", e);
        }
    }

    /**
     * The default retry decision: retry everything except errors that cannot go away by
     * themselves for this record (see the class documentation).
     *
     * @param e the error of a send
     * @return whether to send the record again
     */
    public static boolean retriableByDefault(Exception e) {
        return !(unknownTopic(e)
                || e instanceof RecordTooLargeException
                || e instanceof RecordBatchTooLargeException
                || e instanceof org.apache.kafka.common.InvalidRecordException
                || e instanceof SerializationException
                || e instanceof AuthorizationException
                || e instanceof InvalidTopicException
                || e instanceof UnknownTopicOrPartitionException);
    }

    /**
     * Whether the broker answered that the record's topic does not exist: Kafka reports it as a
     * metadata timeout caused by {@link UnknownTopicOrPartitionException}. A broker that is down
     * gives the timeout without that cause.
     */
    static boolean unknownTopic(Exception e) {
        return e instanceof UnknownTopicOrPartitionException
                || (e instanceof org.apache.kafka.common.errors.TimeoutException
                && e.getCause() instanceof UnknownTopicOrPartitionException);
    }

    /**
     * Configures a {@link KafkaForwarder}; {@link #start()} makes and starts it.
     *
     * @param <T> the channel's record type
     */
    public static final class Builder<T> {
        final Channel<T> channel;
        final Function<? super T, ProducerRecord<byte[], byte[]>> encoder;
        final Runnable closeSerializers;
        Map<String, Object> producerConfig;
        Producer<byte[], byte[]> producer;
        FailureHandler<? super T> failureHandler = FailureHandler.dropAndCount();
        Predicate<? super Exception> retriable = KafkaForwarder::retriableByDefault;
        int maxInFlightRecords = 10_000;
        long maxInFlightBytes = 16L << 20;
        Duration commitInterval = Duration.ofMillis(100);
        Duration backoffInitial = Duration.ofMillis(100);
        Duration backoffMax = Duration.ofSeconds(5);
        Duration shutdownTimeout = Duration.ofSeconds(5);
        String jmxName;

        private Builder(Channel<T> channel, Function<? super T, ProducerRecord<byte[], byte[]>> encoder,
                        Runnable closeSerializers) {
            this.channel = channel;
            this.encoder = encoder;
            this.closeSerializers = closeSerializers;
        }

        /**
         * The forwarder makes (and replaces, after a fatal producer error) its own
         * {@link KafkaProducer} from this configuration, with these defaults under it:
         * {@code acks=all}, {@code enable.idempotence=true},
         * {@code max.in.flight.requests.per.connection=5}, {@code max.block.ms=5000},
         * {@code linger.ms=5}.
         * Serializer settings are ignored (the builder's serializers run first).
         *
         * @param config at least {@code bootstrap.servers}
         * @return this builder
         */
        public Builder<T> producerConfig(Map<String, ?> config) {
            Objects.requireNonNull(config, "config");
            if (!config.containsKey(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG)) {
                throw new IllegalArgumentException("the producer configuration needs bootstrap.servers");
            }
            this.producerConfig = Map.copyOf(config);
            this.producer = null;
            return this;
        }

        /**
         * Uses a producer the caller made (of serialized keys and values) instead. The forwarder
         * flushes it at close but does not close it, and cannot replace it: a fatal error of this
         * producer stops the forwarder.
         *
         * @param producer the producer
         * @return this builder
         */
        public Builder<T> producer(Producer<byte[], byte[]> producer) {
            this.producer = Objects.requireNonNull(producer, "producer");
            this.producerConfig = null;
            return this;
        }

        /**
         * What to do with records Kafka refuses for good. Default: {@link FailureHandler#dropAndCount()}.
         *
         * @param handler the handler
         * @return this builder
         */
        public Builder<T> onFailure(FailureHandler<? super T> handler) {
            this.failureHandler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Which send errors are retried; the others go to the {@link FailureHandler}. Default:
         * {@link KafkaForwarder#retriableByDefault(Exception)}.
         *
         * @param retriable true for errors worth sending the record again
         * @return this builder
         */
        public Builder<T> retriable(Predicate<? super Exception> retriable) {
            this.retriable = Objects.requireNonNull(retriable, "retriable");
            return this;
        }

        /**
         * The most records taken from the channel and not yet done. Default 10,000.
         *
         * @param records at least 1
         * @return this builder
         */
        public Builder<T> maxInFlightRecords(int records) {
            if (records < 1) {
                throw new IllegalArgumentException("maxInFlightRecords must be at least 1: " + records);
            }
            this.maxInFlightRecords = records;
            return this;
        }

        /**
         * The most serialized bytes (keys, values, headers) of records taken and not yet done.
         * Default 16 MiB, half of Kafka's default {@code buffer.memory}, so that {@code send}
         * never waits for room in the producer's buffer.
         *
         * @param bytes at least 1
         * @return this builder
         */
        public Builder<T> maxInFlightBytes(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxInFlightBytes must be at least 1: " + bytes);
            }
            this.maxInFlightBytes = bytes;
            return this;
        }

        /**
         * How often the channel's position is committed (each commit is a forced write); also as
         * soon as {@link #maxInFlightRecords} records are done since the last commit. Default
         * 100 ms. A crash delivers again what was taken since the last commit: at most twice
         * {@link #maxInFlightRecords}.
         *
         * @param interval zero or more
         * @return this builder
         */
        public Builder<T> commitInterval(Duration interval) {
            if (interval.isNegative()) {
                throw new IllegalArgumentException("commitInterval must not be negative: " + interval);
            }
            this.commitInterval = interval;
            return this;
        }

        /**
         * The wait before sending failed records again: {@code initial}, doubling after each failed
         * round up to {@code max}, back to {@code initial} once the broker acknowledges a record.
         * Default 100 ms to 5 s.
         *
         * @param initial the first wait
         * @param max     the longest wait
         * @return this builder
         */
        public Builder<T> retryBackoff(Duration initial, Duration max) {
            if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("retryBackoff needs 0 < initial <= max: " + initial + ", " + max);
            }
            this.backoffInitial = initial;
            this.backoffMax = max;
            return this;
        }

        /**
         * How long the records in flight may take when the JVM shuts down (SIGTERM): the channel's
         * shutdown hook closes the forwarder with this timeout before it closes the channel (see
         * {@link io.hopper.Hopper.Builder#shutdownHook(boolean)}). Keep it, with the channel's own
         * close, inside the platform's grace period (10 s for {@code docker stop}, 30 s for a
         * Kubernetes pod by default): what is still unacknowledged when it runs out is committed
         * no further, and comes again after the restart. Default 5 s.
         *
         * @param timeout zero or more
         * @return this builder
         */
        public Builder<T> shutdownTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("shutdownTimeout must not be negative: " + timeout);
            }
            this.shutdownTimeout = timeout;
            return this;
        }

        /**
         * Registers the forwarder's counters as the MXBean
         * {@code io.hopper:type=KafkaForwarder,name=<name>} while it runs.
         *
         * @param name the MBean's name
         * @return this builder
         */
        public Builder<T> jmxName(String name) {
            this.jmxName = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Makes the producer and starts the forwarder thread.
         *
         * @return the running forwarder
         * @throws IllegalStateException if the channel is not in {@link CommitMode#MANUAL}, or is
         *                               closed, or neither a configuration nor a producer was given
         */
        public KafkaForwarder<T> start() {
            if (channel.commitMode() != CommitMode.MANUAL) {
                throw new IllegalStateException("the channel must be opened with commitMode(CommitMode.MANUAL):"
                        + " under AUTO it would commit records the broker has not acknowledged yet");
            }
            if (channel.isClosed()) {
                throw new IllegalStateException("the channel is closed");
            }
            if (producerConfig == null && producer == null) {
                throw new IllegalStateException("give the forwarder a producer configuration or a producer");
            }
            return new KafkaForwarder<>(this).begin();
        }
    }
}
