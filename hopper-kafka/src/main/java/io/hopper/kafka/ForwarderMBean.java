package io.hopper.kafka;

/** The {@link KafkaForwarderMXBean} of one forwarder: each getter reads a fresh snapshot. */
final class ForwarderMBean implements KafkaForwarderMXBean {
    private final KafkaForwarder<?> forwarder;

    ForwarderMBean(KafkaForwarder<?> forwarder) {
        this.forwarder = forwarder;
    }

    @Override
    public boolean isRunning() {
        return forwarder.isRunning();
    }

    @Override
    public long getForwarded() {
        return forwarder.stats().forwarded();
    }

    @Override
    public long getInFlight() {
        return forwarder.stats().inFlight();
    }

    @Override
    public long getInFlightBytes() {
        return forwarder.stats().inFlightBytes();
    }

    @Override
    public long getRetried() {
        return forwarder.stats().retried();
    }

    @Override
    public long getFailed() {
        return forwarder.stats().failed();
    }

    @Override
    public long getDeadLettered() {
        return forwarder.stats().deadLettered();
    }

    @Override
    public long getDropped() {
        return forwarder.stats().dropped();
    }

    @Override
    public long getCommitLag() {
        return forwarder.stats().commitLag();
    }

    @Override
    public long getCommits() {
        return forwarder.stats().commits();
    }

    @Override
    public long getBacklog() {
        return forwarder.stats().backlog();
    }

    @Override
    public long getProducerRestarts() {
        return forwarder.stats().producerRestarts();
    }
}
