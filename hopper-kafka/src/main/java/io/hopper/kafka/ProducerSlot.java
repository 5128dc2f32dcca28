package io.hopper.kafka;

import io.hopper.Channel;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The forwarder's Kafka producer, and its replacement: after Kafka gave up on a record (to abort
 * the sends still in flight, so the failed record and everything after it go again in order) and
 * after a fatal producer error. A producer handed in by the user is never closed or replaced.
 *
 * <p>Writer: the forwarder thread alone (the constructor's write is published by
 * {@code Thread.start}).
 */
final class ProducerSlot {
    private static final System.Logger LOG = System.getLogger("io.hopper.kafka");

    private final Supplier<Producer<byte[], byte[]>> factory;
    private final boolean owned;
    private final ForwarderCounters counters;
    /** Forwarder thread only; null between an abort and the next send. */
    private Producer<byte[], byte[]> producer;

    ProducerSlot(Supplier<Producer<byte[], byte[]>> factory, boolean owned, ForwarderCounters counters) {
        this.factory = factory;
        this.owned = owned;
        this.counters = counters;
        this.producer = factory.get();
    }

    /** The defaults a forwarder's own producer gets, under what the user set. */
    static Map<String, Object> config(Map<String, Object> user, Channel<?> channel) {
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

    /** Whether the forwarder made the producer (and may close and replace it). */
    boolean owned() {
        return owned;
    }

    /** The producer, made again if an abort or a replacement dropped it. */
    Producer<byte[], byte[]> get() {
        if (producer == null) {
            producer = factory.get();
        }
        return producer;
    }

    /**
     * After Kafka gave up on a record, fails every other send still in flight at once, so that
     * the failed records and everything after them go again in order on a fresh producer.
     * Without this, Kafka could still deliver records of the same partition sent after the failed
     * one (their own delivery timeouts run later) and the resent record would land behind them.
     * A record the broker wrote but did not acknowledge before the abort comes twice.
     */
    void abortInFlight(int sentUnanswered) {
        if (!owned || producer == null || sentUnanswered == 0) {
            return;
        }
        Producer<byte[], byte[]> old = producer;
        producer = null; // made again when the failed records are resent
        old.close(Duration.ZERO);
        counters.producerRestarted();
    }

    /** The producer cannot send at all (closed, or in a fatal state): replace it. */
    void replace(RuntimeException cause) {
        if (!owned) {
            throw new IllegalStateException("the producer handed to the forwarder cannot send", cause);
        }
        LOG.log(System.Logger.Level.WARNING, "hopper-kafka: replacing the Kafka producer after: " + cause);
        Producer<byte[], byte[]> old = producer;
        producer = null; // made again by the next send
        // Its callbacks fail what it still held; those records are retried on the new producer.
        old.close(Duration.ZERO);
        counters.producerRestarted();
    }

    /** At the end of the forwarder: closes a producer it made (within {@code nanos}), flushes one handed in. */
    void finish(long nanos) {
        try {
            if (owned) {
                if (producer != null) {
                    producer.close(Duration.ofNanos(nanos));
                }
            } else {
                producer.flush();
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "hopper-kafka: closing the producer failed: " + e);
        }
    }

    /** The forwarder never starts (its constructor failed after making the producer): close one it made. */
    void abandon(Throwable cause) {
        if (owned) {
            try {
                producer.close(Duration.ZERO);
            } catch (RuntimeException suppressed) {
                cause.addSuppressed(suppressed);
            }
        }
    }
}
