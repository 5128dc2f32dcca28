package io.hopper.kafka;

import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * One record taken from the channel, and the callback of its send. Owned by the forwarder thread,
 * except as noted.
 */
final class Pending<T> implements Callback {
    static final int IN_FLIGHT = 0;
    static final int ACKED = 1;
    static final int RETRY = 2;
    /** Done without the broker: handed to the failure handler. */
    static final int SETTLED = 3;

    final ForwardingLoop<T> owner;
    final T record;
    /** The channel's position after this record: committing it marks this record and those before it done. */
    final long position;
    /** Whether the channel delivers this record once only (its position did not move: a memory-tier record). */
    final boolean deliveredOnce;
    final ProducerRecord<byte[], byte[]> out;
    final long bytes;
    /**
     * Writer: Kafka's callback (its I/O thread) before the entry is queued; read by the forwarder
     * after it is polled (the queue publishes it).
     */
    Exception error;
    /** Like {@link #error}; also written by the forwarder before each send. */
    int status;
    /** The producer refused it inside send() (a metadata timeout): it never entered Kafka's buffer. */
    boolean failedInSend;

    Pending(ForwardingLoop<T> owner, T record, long position, boolean deliveredOnce,
            ProducerRecord<byte[], byte[]> out, long bytes) {
        this.owner = owner;
        this.record = record;
        this.position = position;
        this.deliveredOnce = deliveredOnce;
        this.out = out;
        this.bytes = bytes;
    }

    /** Done: acknowledged, or settled through the failure handler. */
    boolean done() {
        return status == ACKED || status == SETTLED;
    }

    /** Kafka's callback, on its I/O thread (or on the forwarder thread for an error raised inside send). */
    @Override
    public void onCompletion(RecordMetadata metadata, Exception e) {
        owner.complete(this, e);
    }
}
