package io.hopper.kafka;

/**
 * A forwarder's counters as JMX attributes, registered with {@link KafkaForwarder.Builder#jmxName(String)}.
 * Each attribute is read from a fresh {@link ForwarderStats}; see there for its meaning.
 */
public interface KafkaForwarderMXBean {
    /** {@return whether the forwarder thread runs} */
    boolean isRunning();

    /** {@return {@link ForwarderStats#forwarded()}} */
    long getForwarded();

    /** {@return {@link ForwarderStats#inFlight()}} */
    long getInFlight();

    /** {@return {@link ForwarderStats#inFlightBytes()}} */
    long getInFlightBytes();

    /** {@return {@link ForwarderStats#retried()}} */
    long getRetried();

    /** {@return {@link ForwarderStats#failed()}} */
    long getFailed();

    /** {@return {@link ForwarderStats#deadLettered()}} */
    long getDeadLettered();

    /** {@return {@link ForwarderStats#dropped()}} */
    long getDropped();

    /** {@return {@link ForwarderStats#commitLag()}} */
    long getCommitLag();

    /** {@return {@link ForwarderStats#commits()}} */
    long getCommits();

    /** {@return {@link ForwarderStats#backlog()}} */
    long getBacklog();

    /** {@return {@link ForwarderStats#producerRestarts()}} */
    long getProducerRestarts();
}
