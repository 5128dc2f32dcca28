package io.hopper.micrometer;

import io.hopper.kafka.ForwarderStats;
import io.hopper.kafka.KafkaForwarder;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Binds a {@link KafkaForwarder}'s {@link ForwarderStats} to a Micrometer registry, tagged
 * {@code forwarder=<name>} (needs hopper-kafka on the class path):
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>meter</th><th>type</th><th>from</th></tr>
 *   <tr><td>{@code hopper.kafka.forwarded}</td><td>counter</td><td>records the broker acknowledged</td></tr>
 *   <tr><td>{@code hopper.kafka.retried}</td><td>counter</td><td>sends repeated after a retriable error</td></tr>
 *   <tr><td>{@code hopper.kafka.failed}, {@code hopper.kafka.dead.lettered}, {@code hopper.kafka.dropped}</td>
 *       <td>counter</td><td>records Kafka refused for good, and what the failure handler did with them</td></tr>
 *   <tr><td>{@code hopper.kafka.commits}, {@code hopper.kafka.producer.restarts}</td><td>counter</td>
 *       <td>commits of the channel's position; producers replaced</td></tr>
 *   <tr><td>{@code hopper.kafka.in.flight}, {@code hopper.kafka.in.flight.bytes}</td><td>gauge</td>
 *       <td>records taken from the channel and not yet done, and their bytes</td></tr>
 *   <tr><td>{@code hopper.kafka.commit.lag}</td><td>gauge</td><td>disk records taken past the last commit: what a crash now would deliver again</td></tr>
 *   <tr><td>{@code hopper.kafka.backlog}</td><td>gauge</td><td>records waiting in the channel</td></tr>
 * </table>
 *
 * <p>Like every Micrometer gauge, the meters hold the forwarder weakly: remove them from the
 * registry when it is closed for good.
 */
public final class KafkaForwarderMetrics implements MeterBinder {
    private final KafkaForwarder<?> forwarder;
    private final Tags tags;

    /**
     * Prepares the meters of one forwarder; {@link #bindTo} registers them.
     *
     * @param forwarder the forwarder to observe
     * @param name      the value of the {@code forwarder} tag
     */
    public KafkaForwarderMetrics(KafkaForwarder<?> forwarder, String name) {
        this.forwarder = Objects.requireNonNull(forwarder, "forwarder");
        this.tags = Tags.of(Tag.of("forwarder", Objects.requireNonNull(name, "name")));
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        counter(registry, "hopper.kafka.forwarded", "Records the broker acknowledged", ForwarderStats::forwarded);
        counter(registry, "hopper.kafka.retried", "Sends repeated after a retriable error", ForwarderStats::retried);
        counter(registry, "hopper.kafka.failed", "Records Kafka refused for good", ForwarderStats::failed);
        counter(registry, "hopper.kafka.dead.lettered", "Refused records kept by the failure handler",
                ForwarderStats::deadLettered);
        counter(registry, "hopper.kafka.dropped", "Refused records given up", ForwarderStats::dropped);
        counter(registry, "hopper.kafka.commits", "Commits of the channel's position", ForwarderStats::commits);
        counter(registry, "hopper.kafka.producer.restarts", "Kafka producers replaced", ForwarderStats::producerRestarts);
        gauge(registry, "hopper.kafka.in.flight", "records", "Records taken and not yet done", ForwarderStats::inFlight);
        gauge(registry, "hopper.kafka.in.flight.bytes", "bytes", "Serialized bytes of the records in flight",
                ForwarderStats::inFlightBytes);
        gauge(registry, "hopper.kafka.commit.lag", "records", "Records a crash now would deliver again, at most",
                ForwarderStats::commitLag);
        gauge(registry, "hopper.kafka.backlog", "records", "Records waiting in the channel", ForwarderStats::backlog);
    }

    private void gauge(MeterRegistry registry, String name, String unit, String description,
                       ToDoubleFunction<ForwarderStats> value) {
        Gauge.builder(name, forwarder, f -> value.applyAsDouble(f.stats()))
                .tags(tags).baseUnit(unit).description(description).register(registry);
    }

    private void counter(MeterRegistry registry, String name, String description, ToDoubleFunction<ForwarderStats> value) {
        FunctionCounter.builder(name, forwarder, f -> value.applyAsDouble(f.stats()))
                .tags(tags).baseUnit("records").description(description).register(registry);
    }
}
