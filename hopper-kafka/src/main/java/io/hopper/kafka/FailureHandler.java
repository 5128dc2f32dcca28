package io.hopper.kafka;

import io.hopper.ChannelClosedException;
import io.hopper.Sender;

import java.util.Objects;

/**
 * What a {@link KafkaForwarder} does with a record Kafka will never take: one whose error is not
 * worth retrying (too large for the broker, a serializer or mapping that throws, an authorization
 * failure, an invalid topic; see {@link KafkaForwarder.Builder#retriable}). It runs on the
 * forwarder's thread, once per such record, while the records after it keep flowing; the record
 * counts as done (its position may be committed) once it returns. If it throws, the record is
 * counted as dropped and the exception is logged.
 *
 * <p>Every call is counted ({@link ForwarderStats#failed()}) and logged, at most once per ten
 * seconds per forwarder, whatever the handler answers: a record is never dropped silently.
 *
 * @param <T> the channel's record type
 */
@FunctionalInterface
public interface FailureHandler<T> {

    /** What became of a record that Kafka refused for good. */
    enum Disposition {
        /** The record was kept somewhere else (a dead-letter channel, a file, a table). */
        DEAD_LETTERED,
        /** The record was given up; it is counted in {@link ForwarderStats#dropped()}. */
        DROPPED
    }

    /**
     * Handles one record that cannot be delivered.
     *
     * @param record the record as the channel returned it
     * @param error  why it cannot be delivered (from the mapping, a serializer or the broker)
     * @return what became of it
     * @throws Exception if handling failed; the record is then counted as dropped
     */
    Disposition onFailure(T record, Exception error) throws Exception;

    /**
     * {@return a handler that gives the record up} It is counted in {@link ForwarderStats#dropped()}
     * and in the forwarder's periodic warning. The default.
     *
     * @param <T> the record type
     */
    static <T> FailureHandler<T> dropAndCount() {
        return (record, error) -> Disposition.DROPPED;
    }

    /**
     * {@return a handler that offers the record to another hopper channel} (a dead-letter channel,
     * with its own memory and disk budgets and its own consumer). The offer does not wait: if the
     * dead-letter channel is full, or closed, the record is counted as dropped, never blocking the
     * records behind it.
     *
     * @param deadLetters the dead-letter channel's sender
     * @param <T>         the record type
     */
    static <T> FailureHandler<T> deadLetter(Sender<? super T> deadLetters) {
        Objects.requireNonNull(deadLetters, "deadLetters");
        return (record, error) -> {
            try {
                return deadLetters.offer(record) ? Disposition.DEAD_LETTERED : Disposition.DROPPED;
            } catch (ChannelClosedException e) {
                return Disposition.DROPPED;
            }
        };
    }
}
