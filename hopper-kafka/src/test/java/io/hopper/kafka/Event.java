package io.hopper.kafka;

/**
 * What the tests forward: a sealed interface of records, the way services model their events.
 * Each event names its source (the Kafka key) and its number within the source.
 */
sealed interface Event permits Event.Click, Event.Metric, Event.Blob {
    String source();

    long seq();

    /** The id the topic is checked by: {@code source:seq}. */
    default String id() {
        return source() + ":" + seq();
    }

    record Click(String source, long seq, String page) implements Event {
    }

    record Metric(String source, long seq, String name, double value) implements Event {
    }

    /** A large payload: the poison record when the topic takes less. */
    record Blob(String source, long seq, byte[] data) implements Event {
    }

    /** Click or metric, by number. */
    static Event of(String source, long seq) {
        return seq % 3 == 0 ? new Metric(source, seq, "latency", seq * 0.5)
                : new Click(source, seq, "/page/" + (seq % 17));
    }
}
