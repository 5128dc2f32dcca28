package io.hopper.micrometer;

import io.hopper.Channel;
import io.hopper.ChannelStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Binds a channel's {@link ChannelStats} to a Micrometer registry, tagged
 * {@code channel=<name>}:
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>meter</th><th>type</th><th>from</th></tr>
 *   <tr><td>{@code hopper.memory.records}, {@code hopper.memory.bytes}, {@code hopper.memory.limit}</td>
 *       <td>gauge</td><td>records and bytes in the memory tier, its budget</td></tr>
 *   <tr><td>{@code hopper.disk.records}, {@code hopper.disk.bytes}, {@code hopper.disk.limit},
 *       {@code hopper.disk.files}</td><td>gauge</td><td>the disk tier's depth, budget and live files</td></tr>
 *   <tr><td>{@code hopper.compression.ratio}</td><td>gauge</td><td>{@link ChannelStats#compressionRatio()}</td></tr>
 *   <tr><td>{@code hopper.spilled}, {@code hopper.disk.read}</td><td>counter</td>
 *       <td>records written to and read back from disk</td></tr>
 *   <tr><td>{@code hopper.disk.written.bytes}, {@code hopper.disk.read.bytes}</td><td>counter</td>
 *       <td>bytes written to and read from queue files</td></tr>
 *   <tr><td>{@code hopper.files.deleted}, {@code hopper.corrupt.frames}, {@code hopper.records.lost}</td>
 *       <td>counter</td><td>consumed files deleted; damage skipped and the records it cost</td></tr>
 *   <tr><td>{@code hopper.records.evicted}, {@code hopper.records.dropped}, {@code hopper.files.evicted}</td>
 *       <td>counter</td><td>what the {@link io.hopper.OverflowPolicy} discarded: oldest records (and their
 *       files) from disk, new records at the door</td></tr>
 *   <tr><td>{@code hopper.force}</td><td>function timer</td><td>forces of queue files to the device</td></tr>
 * </table>
 *
 * <p>Each reading takes a fresh stats snapshot, which never blocks the channel. Like every
 * Micrometer gauge, the meters hold the channel weakly: remove them from the registry when the
 * channel is closed for good.
 */
public final class HopperMetrics implements MeterBinder {
    private final Channel<?> channel;
    private final Tags tags;

    /**
     * Prepares the meters of one channel; {@link #bindTo} registers them.
     *
     * @param channel the channel to observe
     * @param name    the value of the {@code channel} tag, to tell several channels apart
     */
    public HopperMetrics(Channel<?> channel, String name) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.tags = Tags.of(Tag.of("channel", Objects.requireNonNull(name, "name")));
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        gauge(registry, "hopper.memory.records", "records", "Records held in the memory tier", ChannelStats::recordsInMemory);
        gauge(registry, "hopper.memory.bytes", "bytes", "Bytes charged to the memory budget", ChannelStats::bytesInMemory);
        gauge(registry, "hopper.memory.limit", "bytes", "The memory budget", ChannelStats::inMemoryBytesLimit);
        gauge(registry, "hopper.disk.records", "records", "Records on disk, not yet received", ChannelStats::recordsOnDisk);
        gauge(registry, "hopper.disk.bytes", "bytes", "Bytes in live queue files", ChannelStats::bytesOnDisk);
        gauge(registry, "hopper.disk.limit", "bytes", "The disk budget", ChannelStats::diskBytesLimit);
        gauge(registry, "hopper.disk.files", "files", "Live queue files", ChannelStats::diskFiles);
        gauge(registry, "hopper.compression.ratio", null, "Serialized bytes over stored bytes on disk",
                ChannelStats::compressionRatio);
        counter(registry, "hopper.spilled", "records", "Records written to disk", ChannelStats::recordsSpilled);
        counter(registry, "hopper.disk.read", "records", "Records read back from disk", ChannelStats::recordsReadFromDisk);
        counter(registry, "hopper.disk.written.bytes", "bytes", "Bytes appended to queue files", ChannelStats::bytesWrittenToDisk);
        counter(registry, "hopper.disk.read.bytes", "bytes", "Frame bytes read from queue files", ChannelStats::bytesReadFromDisk);
        counter(registry, "hopper.files.deleted", "files", "Consumed queue files deleted", ChannelStats::filesDeleted);
        counter(registry, "hopper.corrupt.frames", "frames", "Damaged frames skipped", ChannelStats::corruptFramesSkipped);
        counter(registry, "hopper.records.lost", "records", "Records lost to damaged files", ChannelStats::recordsLost);
        counter(registry, "hopper.records.evicted", "records", "Unread records the overflow policy evicted from disk",
                ChannelStats::recordsEvicted);
        counter(registry, "hopper.records.dropped", "records", "New records the overflow policy dropped",
                ChannelStats::recordsDropped);
        counter(registry, "hopper.files.evicted", "files", "Queue files the overflow policy evicted",
                ChannelStats::filesEvicted);
        counter(registry, "hopper.files.compacted", "files", "Sealed queue files rewritten in shared LZ4 blocks",
                ChannelStats::filesCompacted);
        counter(registry, "hopper.compaction.saved.bytes", "bytes", "Bytes rewriting in blocks gave back to the disk budget",
                ChannelStats::bytesSavedByCompaction);
        FunctionTimer.builder("hopper.force", channel, c -> c.stats().forces(), c -> c.stats().forceNanos(),
                        TimeUnit.NANOSECONDS)
                .tags(tags).description("Forces of queue files to the storage device").register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String unit, String description,
                       ToDoubleFunction<ChannelStats> value) {
        Gauge.builder(name, channel, c -> value.applyAsDouble(c.stats()))
                .tags(tags).baseUnit(unit).description(description).register(registry);
    }

    private void counter(MeterRegistry registry, String name, String unit, String description,
                         ToDoubleFunction<ChannelStats> value) {
        FunctionCounter.builder(name, channel, c -> value.applyAsDouble(c.stats()))
                .tags(tags).baseUnit(unit).description(description).register(registry);
    }
}
