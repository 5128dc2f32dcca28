package io.hopper.kafka;

import io.hopper.Channel;
import io.hopper.ChannelClosedException;
import io.hopper.ChannelStats;
import io.hopper.Receiver;
import io.hopper.StorageException;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The forwarder's thread: takes records from the channel into an in-flight window, sends them,
 * retries failures in order, and commits the channel's position for the done prefix of the window.
 * See {@link KafkaForwarder} for the guarantees.
 *
 * <p>Threads: everything here runs on the forwarder thread, except {@link #complete} (Kafka's
 * I/O thread) and {@link #requestStop} (the closing thread). The plain fields are the forwarder
 * thread's alone; the constructor's writes are published by {@code Thread.start}.
 */
final class ForwardingLoop<T> {
    private static final System.Logger LOG = System.getLogger("io.hopper.kafka");
    private static final long UNKNOWN_TOPIC_MEMORY_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long AWAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Channel<T> channel;
    private final Receiver<T> receiver;
    private final Function<? super T, ProducerRecord<byte[], byte[]>> encoder;
    private final Predicate<? super Exception> retriable;
    private final int maxInFlightRecords;
    private final long maxInFlightBytes;
    private final long commitIntervalNanos;
    private final long backoffInitialNanos;
    private final long backoffMaxNanos;
    private final Runnable closeSerializers;
    private final ForwarderCounters counters;
    private final ProducerSlot producer;
    private final FailureReporting<T> failures;
    final Thread thread;

    // Forwarder thread only.
    /** Records taken and not yet popped as done, in the channel's order. */
    private final ArrayDeque<Pending<T>> window = new ArrayDeque<>();
    /** Sends whose callback has not been drained yet. */
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
    /** Topics the broker said do not exist, until when (System.nanoTime) that answer is trusted. */
    private final Map<String, Long> unknownTopics = new HashMap<>();

    /**
     * Completed sends, queued by Kafka's callbacks (its I/O thread, or the forwarder thread for an
     * error raised inside {@code send}) and drained by the forwarder thread. The queue's own
     * ordering publishes each entry's {@code status} and {@code error} to the forwarder.
     */
    private final ConcurrentLinkedQueue<Pending<T>> completed = new ConcurrentLinkedQueue<>();
    /**
     * Writer: forwarder (volatile). Set just before it parks waiting for completions, cleared
     * after. A callback queues its entry and then reads this flag; the forwarder sets it and then
     * looks at the queue: both are volatile accesses, so at least one of them sees the other and
     * the forwarder never sleeps through a completion.
     */
    private volatile boolean parked;
    /** Writer: the closing thread, or the forwarder when its channel closed (volatile); read each turn. */
    private volatile boolean stopping;
    /** The stop deadline (System.nanoTime), written before {@link #stopping}. */
    private volatile long stopDeadlineNanos;
    /** Writer: forwarder, once (volatile). Why it stopped on its own, or null. */
    private volatile Throwable failure;

    ForwardingLoop(KafkaForwarder.Builder<T> b, ProducerSlot producer, ForwarderCounters counters) {
        this.channel = b.channel;
        this.receiver = b.channel.receiver();
        this.encoder = b.encoder;
        this.retriable = b.retriable;
        this.maxInFlightRecords = b.maxInFlightRecords;
        this.maxInFlightBytes = b.maxInFlightBytes;
        this.commitIntervalNanos = b.commitInterval.toNanos();
        this.backoffInitialNanos = b.backoffInitial.toNanos();
        this.backoffMaxNanos = b.backoffMax.toNanos();
        this.backoffNanos = backoffInitialNanos;
        this.closeSerializers = b.closeSerializers;
        this.counters = counters;
        this.producer = producer;
        this.failures = new FailureReporting<>(b.failureHandler, counters);
        this.committable = counters.lastPosition();
        this.thread = new Thread(this::run, "hopper-kafka-forwarder " + b.channel.directory().getFileName());
        this.thread.setDaemon(true);
    }

    Throwable failure() {
        return failure;
    }

    /** Any thread: asks the forwarder to stop within {@code nanos} (the first request's deadline holds). */
    void requestStop(long nanos) {
        if (!stopping) {
            stopDeadlineNanos = System.nanoTime() + nanos;
            stopping = true;
        }
        LockSupport.unpark(thread);
    }

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
                awaitCompletion(Math.min(left, AWAIT_NANOS));
                continue;
            }
            maybeCommit(now, false);
            failures.report(now);
            if (probe != null) {
                awaitCompletion(AWAIT_NANOS);
                continue;
            }
            if (retryNeeded) {
                if (sentUnanswered > 0) {
                    awaitCompletion(AWAIT_NANOS);
                } else if (now < retryAtNanos) {
                    awaitCompletion(Math.min(retryAtNanos - now, AWAIT_NANOS));
                } else {
                    resendFailed();
                }
                continue;
            }
            if (window.size() >= maxInFlightRecords || counters.inFlightBytes() >= maxInFlightBytes) {
                awaitCompletion(AWAIT_NANOS);
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
                requestStop(TimeUnit.SECONDS.toNanos(30));
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
        boolean once = position == counters.lastPosition();
        counters.taken(position);
        ProducerRecord<byte[], byte[]> out;
        try {
            out = encoder.apply(record);
        } catch (RuntimeException | Error e) {
            Pending<T> p = new Pending<>(this, record, position, once, null, 0);
            p.status = Pending.RETRY; // not done: neither committed past nor lost if what follows throws
            window.addLast(p);
            counters.window(window.size());
            if (e instanceof Error err) {
                throw err; // stops the forwarder; the record stays uncommitted (or goes back into the channel)
            }
            failures.settle(p, e instanceof SerializationException se ? se : new SerializationException(
                    "the mapping or a serializer failed for a record", e));
            return;
        }
        Pending<T> p = new Pending<>(this, record, position, once, out, size(out));
        window.addLast(p);
        counters.window(window.size());
        counters.addInFlightBytes(p.bytes);
        Long until = unknownTopics.isEmpty() ? null : unknownTopics.get(out.topic());
        if (until != null) {
            if (System.nanoTime() - until < 0) {
                // Found missing moments ago: fail it now instead of waiting max.block.ms again.
                failures.settle(p, new UnknownTopicOrPartitionException("topic " + out.topic()
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
        p.status = Pending.IN_FLIGHT;
        p.error = null;
        sentUnanswered++;
        try {
            var kafka = producer.get();
            sending = true;
            try {
                kafka.send(p.out, p);
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
            producer.replace(e);
        }
    }

    /** A send finished, on Kafka's I/O thread (or on this thread for an error raised inside send). */
    void complete(Pending<T> p, Exception e) {
        p.failedInSend = e != null && Thread.currentThread() == thread && sending;
        p.error = e;
        p.status = e == null ? Pending.ACKED : Pending.RETRY;
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
            if (p.status == Pending.ACKED) {
                counters.acknowledged();
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
                    producer.abortInFlight(sentUnanswered);
                }
            } else {
                if (KafkaForwarder.unknownTopic(p.error) && p.out != null) {
                    unknownTopics.put(p.out.topic(), System.nanoTime() + UNKNOWN_TOPIC_MEMORY_NANOS);
                }
                failures.settle(p, p.error);
            }
        }
        if (probeDone && !retryNeeded) {
            resendRest();
        }
    }

    /** Pops the done prefix of the window: what may be committed. */
    private void popDone() {
        Pending<T> head;
        while ((head = window.peekFirst()) != null && head.done()) {
            window.pollFirst();
            committable = head.position;
            counters.addInFlightBytes(-head.bytes);
        }
        counters.window(window.size());
    }

    /** After the backoff: sends the first failed record of the window again, alone (the probe). */
    private void resendFailed() {
        retryNeeded = false;
        long waiting = 0;
        for (Pending<T> p : window) {
            if (p.status == Pending.RETRY) {
                if (probe == null) {
                    probe = p;
                }
                waiting++;
            }
        }
        if (probe == null) {
            return; // every failed record was settled meanwhile
        }
        failures.retrying(System.nanoTime(), waiting, retryCause, backoffNanos, this::backlog);
        backoffNanos = Math.min(backoffMaxNanos, backoffNanos * 2);
        counters.retried(1);
        send(probe);
    }

    /** The probe went through: sends the other failed records of the window, in order, before anything new. */
    private void resendRest() {
        long again = 0;
        for (Pending<T> p : window) {
            if (p.status == Pending.RETRY) {
                again++;
                send(p);
            }
        }
        counters.retried(again);
    }

    /**
     * Commits the done prefix every commit interval, and as soon as a window's worth of records
     * ({@code maxInFlightRecords}) is done since the last commit: what a crash sends again is then
     * at most the records in flight plus as many done and uncommitted, whatever the rate.
     */
    private void maybeCommit(long now, boolean force) {
        long committed = counters.committed();
        if (committable != committed && (force || now - lastCommitNanos >= commitIntervalNanos
                || committable - committed >= maxInFlightRecords)) {
            try {
                receiver.commit(committable);
                counters.committed(committable);
            } catch (StorageException e) {
                LOG.log(System.Logger.Level.WARNING, "hopper-kafka: committing the position failed (records"
                        + " will come again after a restart; retried): " + e.getMessage());
            } catch (ChannelClosedException e) {
                // Closed under the forwarder: the stop path reports it.
            }
            lastCommitNanos = now;
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
        producer.finish(nanos);
        drainCompletions();
        popDone();
        maybeCommit(System.nanoTime(), true);
        failures.report(Long.MAX_VALUE / 2);
        long back = 0;
        long lost = 0;
        for (Pending<T> p : window) {
            if (p.deliveredOnce && !p.done()) {
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
        counters.returnedAtClose(back);
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

    /** Records waiting in the channel, in memory and on disk. Any thread. */
    long backlog() {
        ChannelStats s = channel.stats();
        return s.recordsInMemory() + s.recordsOnDisk();
    }
}
