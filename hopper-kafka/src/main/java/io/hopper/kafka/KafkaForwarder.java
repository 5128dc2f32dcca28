package io.hopper.kafka;

import io.hopper.Channel;
import io.hopper.ChannelClosedException;
import io.hopper.ChannelStats;
import io.hopper.CommitMode;
import io.hopper.Receiver;
import io.hopper.StorageException;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;

import javax.management.InstanceAlreadyExistsException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import javax.management.JMException;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

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
    private static final System.Logger LOG = System.getLogger("io.hopper.kafka");
    private static final long REPORT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long UNKNOWN_TOPIC_MEMORY_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final VarHandle FORWARDED;
    private static final VarHandle IN_FLIGHT_RECORDS;
    private static final VarHandle IN_FLIGHT_BYTES;
    private static final VarHandle LAST_POSITION;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            FORWARDED = l.findVarHandle(KafkaForwarder.class, "forwarded", long.class);
            IN_FLIGHT_RECORDS = l.findVarHandle(KafkaForwarder.class, "inFlightRecords", long.class);
            IN_FLIGHT_BYTES = l.findVarHandle(KafkaForwarder.class, "inFlightBytes", long.class);
            LAST_POSITION = l.findVarHandle(KafkaForwarder.class, "lastPosition", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One record taken from the channel, and the callback of its send. Owned by the forwarder thread, except as noted. */
    private static final class Pending<T> implements Callback {
        final KafkaForwarder<T> owner;
        final T record;
        /** The channel's position after this record: committing it marks this record and those before it done. */
        final long position;
        /** Whether the channel delivers this record once only (its position did not move: a memory-tier record). */
        final boolean deliveredOnce;
        final ProducerRecord<byte[], byte[]> out;
        final long bytes;
        /** Written by the Kafka callback (I/O thread) before it is queued; read by the forwarder after it is polled. */
        Exception error;
        int status;
        /** The producer refused it inside send() (a metadata timeout): it never entered Kafka's buffer. */
        boolean failedInSend;

        Pending(KafkaForwarder<T> owner, T record, long position, boolean deliveredOnce,
                ProducerRecord<byte[], byte[]> out, long bytes) {
            this.owner = owner;
            this.record = record;
            this.position = position;
            this.deliveredOnce = deliveredOnce;
            this.out = out;
            this.bytes = bytes;
        }

        /** Kafka's callback, on its I/O thread (or on the forwarder thread for an error raised inside send). */
        @Override
        public void onCompletion(RecordMetadata metadata, Exception e) {
            owner.complete(this, e);
        }
    }

    private static final int IN_FLIGHT = 0;
    private static final int ACKED = 1;
    private static final int RETRY = 2;
    /** Done without the broker: handed to the failure handler. */
    private static final int SETTLED = 3;

    private final Channel<T> channel;
    private final Receiver<T> receiver;
    private final Function<? super T, ProducerRecord<byte[], byte[]>> encoder;
    private final Supplier<Producer<byte[], byte[]>> producerFactory;
    private final boolean ownsProducer;
    private final FailureHandler<? super T> failureHandler;
    private final Predicate<? super Exception> retriable;
    private final int maxInFlightRecords;
    private final long maxInFlightBytes;
    private final long commitIntervalNanos;
    private final long backoffInitialNanos;
    private final long backoffMaxNanos;
    private final Runnable closeSerializers;
    private final Thread thread;
    private final ObjectName mbeanName;
    /** How long the JVM shutdown hook lets the records in flight take (Builder.shutdownTimeout). */
    private final Duration shutdownTimeout;
    /** Registered with the channel while the forwarder runs: closes it at JVM shutdown. */
    private final Runnable shutdownTask = this::closeAtShutdown;

    // ---- Forwarder thread only (plain fields). The constructor's writes to them (producer,
    // committable, lastPosition, committed) happen before Thread.start, which publishes them. ----
    private Producer<byte[], byte[]> producer;
    private final ArrayDeque<Pending<T>> window = new ArrayDeque<>();
    private int sentUnanswered;
    private boolean retryNeeded;
    /** The error that started the current retry; for the log. */
    private Exception retryCause;
    /** True while this thread is inside producer.send(); read only by this thread. */
    private boolean sending;
    /**
     * The first failed record, sent again alone after a backoff: the others follow once it is
     * done, so a broker still away costs one record per round, and a broker that comes back
     * takes the rest in order while it is up.
     */
    private Pending<T> probe;
    private long backoffNanos;
    private long retryAtNanos;
    /** Position after the last record of the done prefix (popped from the window). */
    private long committable;
    private long lastCommitNanos;
    private long lastReportNanos;
    private long failedSinceReport;
    private Exception lastFailure;
    private long lastRetryReportNanos;
    /** Topics the broker said do not exist, until when (System.nanoTime) that answer is trusted. */
    private final Map<String, Long> unknownTopics = new HashMap<>();

    /**
     * Completed sends, queued by Kafka's callbacks (its I/O thread, or the forwarder thread for an
     * error raised inside {@code send}) and drained by the forwarder thread. The queue's own
     * ordering publishes each entry's {@code status} and {@code error} to the forwarder.
     */
    private final ConcurrentLinkedQueue<Pending<T>> completed = new ConcurrentLinkedQueue<>();
    /**
     * Set by the forwarder thread just before it parks waiting for completions, cleared after.
     * A callback queues its entry and then reads this flag; the forwarder sets it and then looks
     * at the queue: both are volatile accesses, so at least one of them sees the other and the
     * forwarder never sleeps through a completion.
     */
    private volatile boolean parked;
    /** Set once by {@link #close}; read by the forwarder thread each turn. */
    private volatile boolean stopping;
    /** The close deadline (System.nanoTime), written by close() before {@code stopping}. */
    private volatile long stopDeadlineNanos;
    /** Why the forwarder stopped on its own, or null; written once by the forwarder thread. */
    private volatile Throwable failure;

    // ---- Counters: written by the forwarder thread only, read by stats() on any thread. ----
    // The four written per record are plain fields stored with release semantics (VarHandle
    // setRelease, a plain store on x86) and read by stats() with getAcquire: each reading is a
    // value the forwarder wrote, without a full fence per record on the forwarder's side. The
    // forwarder reads its own writes plainly. The rest change rarely and are volatile.
    private long forwarded;
    /** window.size(), published for stats(): the window itself is not safe to read from other threads. */
    private long inFlightRecords;
    private long inFlightBytes;
    private volatile long retried;
    private volatile long failed;
    private volatile long deadLettered;
    private volatile long dropped;
    /** The channel's position after the last record taken. */
    private long lastPosition;
    /** The last position committed. */
    private volatile long committed;
    private volatile long commits;
    private volatile long producerRestarts;
    private volatile long returnedAtClose;

    private KafkaForwarder(Builder<T> b) {
        this.channel = b.channel;
        this.receiver = b.channel.receiver();
        this.encoder = b.encoder;
        this.failureHandler = b.failureHandler;
        this.retriable = b.retriable;
        this.maxInFlightRecords = b.maxInFlightRecords;
        this.maxInFlightBytes = b.maxInFlightBytes;
        this.commitIntervalNanos = b.commitInterval.toNanos();
        this.backoffInitialNanos = b.backoffInitial.toNanos();
        this.backoffMaxNanos = b.backoffMax.toNanos();
        this.backoffNanos = backoffInitialNanos;
        this.closeSerializers = b.closeSerializers;
        if (b.producer != null) {
            Producer<byte[], byte[]> given = b.producer;
            this.producerFactory = () -> given;
            this.ownsProducer = false;
        } else {
            Map<String, Object> config = producerConfig(b.producerConfig, b.channel);
            this.producerFactory = () -> new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
            this.ownsProducer = true;
        }
        this.shutdownTimeout = b.shutdownTimeout;
        this.lastPosition = receiver.position();
        this.committed = lastPosition;
        this.committable = lastPosition;
        this.thread = new Thread(this::run, "hopper-kafka-forwarder " + b.channel.directory().getFileName());
        this.thread.setDaemon(true);
        this.producer = producerFactory.get();
        try {
            this.mbeanName = b.jmxName == null ? null : register(b.jmxName);
        } catch (RuntimeException | Error e) {
            // The forwarder never starts: the producer it made must not outlive it.
            if (ownsProducer) {
                try {
                    producer.close(Duration.ZERO);
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** The defaults a forwarder's own producer gets, under what the user set. */
    static Map<String, Object> producerConfig(Map<String, Object> user, Channel<?> channel) {
        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        c.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        // delivery.timeout.ms stays Kafka's (2 minutes): within it, Kafka's own retries keep each
        // partition in order without duplicates; the forwarder's take over beyond it.
        // send() waits this long at most (for metadata while the broker is away), not a minute.
        c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        c.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        c.put(ProducerConfig.CLIENT_ID_CONFIG, "hopper-" + channel.directory().getFileName());
        c.putAll(user);
        c.remove(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG);
        c.remove(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);
        return c;
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
        thread.start();
        return this;
    }

    /** JVM shutdown, before the channel closes: stop within the shutdown timeout. */
    private void closeAtShutdown() {
        closeUninterruptibly(shutdownTimeout);
    }

    // ------------------------------------------------------------------ the drain loop

    private void run() {
        try {
            loop();
        } catch (Throwable t) {
            failure = t;
            LOG.log(System.Logger.Level.ERROR, "hopper-kafka: the forwarder for " + channel.directory()
                    + " stopped; records not acknowledged stay uncommitted", t);
            shutDown(0);
        }
    }

    private void loop() {
        lastCommitNanos = System.nanoTime();
        while (true) {
            drainCompletions();
            popDone();
            long now = System.nanoTime();
            if (stopping) {
                long left = stopDeadlineNanos - now;
                if (sentUnanswered == 0 || left <= 0) {
                    shutDown(Math.max(0, left));
                    return;
                }
                awaitCompletion(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
                continue;
            }
            maybeCommit(now, false);
            report(now);
            if (probe != null) {
                awaitCompletion(TimeUnit.MILLISECONDS.toNanos(50));
                continue;
            }
            if (retryNeeded) {
                if (sentUnanswered > 0) {
                    awaitCompletion(TimeUnit.MILLISECONDS.toNanos(50));
                } else if (now < retryAtNanos) {
                    awaitCompletion(Math.min(retryAtNanos - now, TimeUnit.MILLISECONDS.toNanos(50)));
                } else {
                    resendFailed();
                }
                continue;
            }
            if (window.size() >= maxInFlightRecords || inFlightBytes >= maxInFlightBytes) {
                awaitCompletion(TimeUnit.MILLISECONDS.toNanos(50));
                continue;
            }
            T record;
            try {
                record = window.isEmpty() ? receiver.poll(100, TimeUnit.MILLISECONDS) : receiver.poll();
                if (record == null && !window.isEmpty()) {
                    record = receiver.poll(1, TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                continue; // not a stop: only close() stops the forwarder (the wait took nothing)
            } catch (ChannelClosedException e) {
                LOG.log(System.Logger.Level.WARNING, "hopper-kafka: channel " + channel.directory()
                        + " was closed before its forwarder; records in flight stay uncommitted");
                stopDeadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                stopping = true;
                continue;
            }
            if (record != null) {
                take(record);
            }
        }
    }

    /** Encodes and sends one record just received. */
    private void take(T record) {
        long position = receiver.position();
        boolean once = position == lastPosition;
        LAST_POSITION.setRelease(this, position);
        ProducerRecord<byte[], byte[]> out;
        try {
            out = encoder.apply(record);
        } catch (RuntimeException | Error e) {
            Pending<T> p = new Pending<>(this, record, position, once, null, 0);
            p.status = RETRY; // not done: neither committed past nor lost if what follows throws
            window.addLast(p);
            IN_FLIGHT_RECORDS.setRelease(this, (long) window.size());
            if (e instanceof Error err) {
                throw err; // stops the forwarder; the record stays uncommitted (or goes back into the channel)
            }
            settle(p, e instanceof SerializationException se ? se : new SerializationException(
                    "the mapping or a serializer failed for a record", e));
            return;
        }
        Pending<T> p = new Pending<>(this, record, position, once, out, size(out));
        window.addLast(p);
        IN_FLIGHT_RECORDS.setRelease(this, (long) window.size());
        IN_FLIGHT_BYTES.setRelease(this, inFlightBytes + p.bytes);
        Long until = unknownTopics.isEmpty() ? null : unknownTopics.get(out.topic());
        if (until != null) {
            if (System.nanoTime() - until < 0) {
                // Found missing moments ago: fail it now instead of waiting max.block.ms again.
                settle(p, new UnknownTopicOrPartitionException("topic " + out.topic()
                        + " does not exist (the broker said so less than 10 s ago)"));
                return;
            }
            unknownTopics.remove(out.topic());
        }
        send(p);
    }

    private static long size(ProducerRecord<byte[], byte[]> r) {
        long n = (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
        for (Header h : r.headers()) {
            n += h.key().length() + (h.value() == null ? 0 : h.value().length);
        }
        return n;
    }

    private void send(Pending<T> p) {
        p.status = IN_FLIGHT;
        p.error = null;
        sentUnanswered++;
        try {
            if (producer == null) {
                producer = producerFactory.get();
            }
            sending = true;
            try {
                producer.send(p.out, p);
            } finally {
                sending = false;
            }
        } catch (ApiException e) {
            // Kafka reports these through the callback; a producer that throws one instead still
            // gets the same treatment.
            complete(p, e);
        } catch (RuntimeException e) {
            // The producer cannot send at all (closed, or in a fatal state).
            complete(p, e);
            replaceProducer(e);
        }
    }

    /** A send finished, on Kafka's I/O thread (or on this thread for an error raised inside send). */
    private void complete(Pending<T> p, Exception e) {
        p.failedInSend = e != null && Thread.currentThread() == thread && sending;
        p.error = e;
        p.status = e == null ? ACKED : RETRY;
        completed.add(p);
        if (parked) {
            LockSupport.unpark(thread);
        }
    }

    private void drainCompletions() {
        Pending<T> p;
        boolean probeDone = false;
        while ((p = completed.poll()) != null) {
            sentUnanswered--;
            if (p == probe) {
                probe = null;
                probeDone = true;
            }
            if (p.status == ACKED) {
                FORWARDED.setRelease(this, forwarded + 1);
                backoffNanos = backoffInitialNanos;
            } else if (retriable.test(p.error)) {
                if (!retryNeeded) {
                    retryNeeded = true;
                    retryCause = p.error;
                    retryAtNanos = System.nanoTime() + backoffNanos;
                }
                if (!p.failedInSend) {
                    // Kafka gave up on a record it held: later ones of its partition may still go
                    // through unless they fail too. One refused inside send() never entered Kafka,
                    // and nothing newer was sent after it: the records in flight keep Kafka's own
                    // in-order retries.
                    abortInFlight();
                }
            } else {
                if (unknownTopic(p.error) && p.out != null) {
                    unknownTopics.put(p.out.topic(), System.nanoTime() + UNKNOWN_TOPIC_MEMORY_NANOS);
                }
                settle(p, p.error);
            }
        }
        if (probeDone && !retryNeeded) {
            resendRest();
        }
    }

    /** Hands a record Kafka will never take to the failure handler; it then counts as done. */
    private void settle(Pending<T> p, Exception error) {
        failed = failed + 1;
        failedSinceReport++;
        lastFailure = error;
        FailureHandler.Disposition d;
        try {
            d = failureHandler.onFailure(p.record, error);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "hopper-kafka: the failure handler threw; the record is dropped", e);
            d = FailureHandler.Disposition.DROPPED;
        }
        // Done only once the handler returned: an Error from it stops the forwarder with the
        // record neither committed past nor lost.
        p.status = SETTLED;
        if (d == FailureHandler.Disposition.DEAD_LETTERED) {
            deadLettered = deadLettered + 1;
        } else {
            dropped = dropped + 1;
        }
    }

    /** Pops the done prefix of the window: what may be committed. */
    private void popDone() {
        Pending<T> head;
        while ((head = window.peekFirst()) != null && (head.status == ACKED || head.status == SETTLED)) {
            window.pollFirst();
            committable = head.position;
            IN_FLIGHT_BYTES.setRelease(this, inFlightBytes - head.bytes);
        }
        IN_FLIGHT_RECORDS.setRelease(this, (long) window.size());
    }

    /** After the backoff: sends the first failed record of the window again, alone (the probe). */
    private void resendFailed() {
        retryNeeded = false;
        long waiting = 0;
        for (Pending<T> p : window) {
            if (p.status == RETRY) {
                if (probe == null) {
                    probe = p;
                }
                waiting++;
            }
        }
        if (probe == null) {
            return; // every failed record was settled meanwhile
        }
        long now = System.nanoTime();
        if (now - lastRetryReportNanos >= REPORT_INTERVAL_NANOS) {
            lastRetryReportNanos = now;
            LOG.log(System.Logger.Level.WARNING, "hopper-kafka: " + waiting + " records failed (" + retryCause
                    + "); trying again after " + TimeUnit.NANOSECONDS.toMillis(backoffNanos) + " ms; the channel"
                    + " holds the backlog (" + backlog() + " records)");
        }
        backoffNanos = Math.min(backoffMaxNanos, backoffNanos * 2);
        retried = retried + 1;
        send(probe);
    }

    /** The probe went through: sends the other failed records of the window, in order, before anything new. */
    private void resendRest() {
        long again = 0;
        for (Pending<T> p : window) {
            if (p.status == RETRY) {
                again++;
                send(p);
            }
        }
        retried = retried + again;
    }

    /**
     * After Kafka gave up on a record, fails every other send still in flight at once, so that
     * the failed records and everything after them go again in order on a fresh producer.
     * Without this, Kafka could still deliver records of the same partition sent after the failed
     * one (their own delivery timeouts run later) and the resent record would land behind them.
     * A record the broker wrote but did not acknowledge before the abort comes twice.
     */
    private void abortInFlight() {
        if (!ownsProducer || producer == null || sentUnanswered == 0) {
            return;
        }
        Producer<byte[], byte[]> old = producer;
        producer = null; // made again when the failed records are resent
        old.close(Duration.ZERO);
        producerRestarts = producerRestarts + 1;
    }

    private void replaceProducer(RuntimeException cause) {
        if (!ownsProducer) {
            throw new IllegalStateException("the producer handed to the forwarder cannot send", cause);
        }
        LOG.log(System.Logger.Level.WARNING, "hopper-kafka: replacing the Kafka producer after: " + cause);
        Producer<byte[], byte[]> old = producer;
        producer = null; // made again by the next send
        // Its callbacks fail what it still held; those records are retried on the new producer.
        old.close(Duration.ZERO);
        producerRestarts = producerRestarts + 1;
    }

    /**
     * Commits the done prefix every commit interval, and as soon as a window's worth of records
     * ({@code maxInFlightRecords}) is done since the last commit: what a crash sends again is then
     * at most the records in flight plus as many done and uncommitted, whatever the rate.
     */
    private void maybeCommit(long now, boolean force) {
        if (committable != committed && (force || now - lastCommitNanos >= commitIntervalNanos
                || committable - committed >= maxInFlightRecords)) {
            try {
                receiver.commit(committable);
                committed = committable;
                commits = commits + 1;
            } catch (StorageException e) {
                LOG.log(System.Logger.Level.WARNING, "hopper-kafka: committing the position failed (records"
                        + " will come again after a restart; retried): " + e.getMessage());
            } catch (ChannelClosedException e) {
                // Closed under the forwarder: the stop path reports it.
            }
            lastCommitNanos = now;
        }
    }

    private void report(long now) {
        if (failedSinceReport > 0 && now - lastReportNanos >= REPORT_INTERVAL_NANOS) {
            LOG.log(System.Logger.Level.WARNING, "hopper-kafka: " + failedSinceReport + " records refused by Kafka"
                    + " for good since the last report (" + deadLettered + " dead-lettered, " + dropped
                    + " dropped in all); the last error: " + lastFailure);
            failedSinceReport = 0;
            lastReportNanos = now;
        }
    }

    private void awaitCompletion(long nanos) {
        parked = true;
        try {
            if (completed.isEmpty() && !stopping) {
                LockSupport.parkNanos(this, nanos);
            }
        } finally {
            parked = false;
        }
    }

    /**
     * The end of the thread: commits what the broker acknowledged, closes the producer (within
     * {@code nanos}), commits what its close completed, and puts unacknowledged memory-tier
     * records back into the channel (the channel would not deliver them again).
     */
    private void shutDown(long nanos) {
        try {
            if (ownsProducer) {
                if (producer != null) {
                    producer.close(Duration.ofNanos(nanos));
                }
            } else {
                producer.flush();
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "hopper-kafka: closing the producer failed: " + e);
        }
        drainCompletions();
        popDone();
        maybeCommit(System.nanoTime(), true);
        report(Long.MAX_VALUE / 2);
        long back = 0;
        long lost = 0;
        for (Pending<T> p : window) {
            if (p.deliveredOnce && p.status != ACKED && p.status != SETTLED) {
                boolean ok;
                try {
                    ok = channel.sender().offer(p.record);
                } catch (RuntimeException e) {
                    ok = false;
                }
                if (ok) {
                    back++;
                } else {
                    lost++;
                }
            }
        }
        returnedAtClose = back;
        if (lost > 0) {
            LOG.log(System.Logger.Level.ERROR, "hopper-kafka: " + lost + " unacknowledged memory-tier records could"
                    + " not be put back into the channel (full or closed) and are lost");
        }
        try {
            closeSerializers.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "hopper-kafka: closing a serializer failed: " + e);
        }
    }

    // ------------------------------------------------------------------ public surface

    /** {@return whether the forwarder thread is still running} */
    public boolean isRunning() {
        return thread.isAlive();
    }

    /** {@return why the forwarder stopped on its own (a fatal error of a producer handed in), or null} */
    public Throwable failure() {
        return failure;
    }

    /** {@return a snapshot of the counters} Never blocks the forwarder. */
    public ForwarderStats stats() {
        return new ForwarderStats((long) FORWARDED.getAcquire(this), (long) IN_FLIGHT_RECORDS.getAcquire(this),
                (long) IN_FLIGHT_BYTES.getAcquire(this), retried, failed, deadLettered, dropped,
                Math.max(0, (long) LAST_POSITION.getAcquire(this) - committed), commits, backlog(), producerRestarts, returnedAtClose);
    }

    private long backlog() {
        ChannelStats s = channel.stats();
        return s.recordsInMemory() + s.recordsOnDisk();
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
        if (!stopping) {
            stopDeadlineNanos = System.nanoTime() + timeout.toNanos();
            stopping = true;
        }
        LockSupport.unpark(thread);
        // The thread sees `stopping` within one poll (at most 100 ms), then needs at most the timeout.
        thread.join();
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
        private final Channel<T> channel;
        private final Function<? super T, ProducerRecord<byte[], byte[]>> encoder;
        private final Runnable closeSerializers;
        private Map<String, Object> producerConfig;
        private Producer<byte[], byte[]> producer;
        private FailureHandler<? super T> failureHandler = FailureHandler.dropAndCount();
        private Predicate<? super Exception> retriable = KafkaForwarder::retriableByDefault;
        private int maxInFlightRecords = 10_000;
        private long maxInFlightBytes = 16L << 20;
        private Duration commitInterval = Duration.ofMillis(100);
        private Duration backoffInitial = Duration.ofMillis(100);
        private Duration backoffMax = Duration.ofSeconds(5);
        private Duration shutdownTimeout = Duration.ofSeconds(5);
        private String jmxName;

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
