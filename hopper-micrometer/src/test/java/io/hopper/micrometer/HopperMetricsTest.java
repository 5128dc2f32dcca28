package io.hopper.micrometer;

import io.hopper.Channel;
import io.hopper.ChannelStats;
import io.hopper.Compression;
import io.hopper.Hopper;
import io.hopper.OverflowPolicy;
import io.hopper.SyncPolicy;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HopperMetricsTest {

    @TempDir
    Path dir;

    @Test
    void metersFollowTheChannel() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Channel<Long> ch = Hopper.builder(Long.class, dir.resolve("ch")).inMemoryBytes(4 * 8).weigher(x -> 8)
                .diskBytes(1 << 20).maxDiskFiles(4).syncPolicy(SyncPolicy.every(3)).open()) {
            new HopperMetrics(ch, "ingest").bindTo(registry);
            for (long i = 0; i < 10; i++) {
                ch.sender().offer(i);
            }
            assertEquals(4.0, registry.get("hopper.memory.records").tag("channel", "ingest").gauge().value());
            assertEquals(32.0, registry.get("hopper.memory.bytes").gauge().value());
            assertEquals(6.0, registry.get("hopper.disk.records").gauge().value());
            assertEquals(1.0, registry.get("hopper.disk.files").gauge().value());
            assertEquals(6.0, registry.get("hopper.spilled").functionCounter().count());
            assertTrue(registry.get("hopper.disk.written.bytes").functionCounter().count() > 0);
            FunctionTimer force = registry.get("hopper.force").functionTimer();
            assertEquals(2.0, force.count(), "every(3) forced after the 3rd and 6th spilled record");
            assertTrue(force.totalTime(TimeUnit.NANOSECONDS) > 0);
            for (long i = 0; i < 10; i++) {
                assertEquals(i, ch.receiver().poll());
            }
            assertEquals(0.0, registry.get("hopper.disk.records").gauge().value());
            assertEquals(6.0, registry.get("hopper.disk.read").functionCounter().count());
            assertEquals(0.0, registry.get("hopper.records.lost").functionCounter().count());
            assertEquals(0.0, registry.get("hopper.records.evicted").functionCounter().count());
            assertEquals(21, registry.getMeters().size(), "every documented meter is registered");
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // a hang guard, not a speed check
    void compactionMetersFollowTheRewrites() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Channel<String> ch = Hopper.builder(String.class, dir.resolve("blocks")).inMemoryBytes(0)
                .diskBytes(64 * 4096).maxDiskFiles(64).compression(Compression.LZ4_BLOCKS).open()) {
            new HopperMetrics(ch, "blocks").bindTo(registry);
            for (int i = 0; i < 2000; i++) {
                ch.sender().send("{\"level\":\"info\",\"line\":" + i + ",\"msg\":\"request served\"}");
            }
            while (ch.stats().filesCompacted() < ch.stats().diskFiles() - 2) {
                Thread.sleep(5); // the rewrites run on their own thread; @Timeout guards against a hang
            }
            ChannelStats s = ch.stats();
            assertTrue(s.filesCompacted() > 0 && s.bytesSavedByCompaction() > 0, s.toString());
            assertEquals(s.filesCompacted(), registry.get("hopper.files.compacted").tag("channel", "blocks")
                    .functionCounter().count());
            assertEquals(s.bytesSavedByCompaction(), registry.get("hopper.compaction.saved.bytes").functionCounter().count());
        }
    }

    @Test
    void overflowCountersFollowWhatThePoliciesDiscarded() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Channel<Long> oldest = Hopper.builder(Long.class, dir.resolve("oldest")).inMemoryBytes(8).weigher(x -> 8)
                     .diskBytes(2 * 4096).maxDiskFiles(2).overflow(OverflowPolicy.DROP_OLDEST).open();
             Channel<Long> newest = Hopper.builder(Long.class, dir.resolve("newest")).inMemoryBytes(8).weigher(x -> 8)
                     .diskBytes(2 * 4096).maxDiskFiles(2).overflow(OverflowPolicy.DROP_NEWEST).open()) {
            new HopperMetrics(oldest, "oldest").bindTo(registry);
            new HopperMetrics(newest, "newest").bindTo(registry);
            int refused = 0;
            for (long i = 0; i < 2000; i++) {
                assertTrue(oldest.sender().offer(i));
                refused += newest.sender().offer(i) ? 0 : 1;
            }
            ChannelStats o = oldest.stats();
            assertTrue(o.recordsEvicted() > 0 && o.filesEvicted() > 0, o.toString());
            assertEquals(o.recordsEvicted(), registry.get("hopper.records.evicted").tag("channel", "oldest")
                    .functionCounter().count());
            assertEquals(o.filesEvicted(), registry.get("hopper.files.evicted").tag("channel", "oldest")
                    .functionCounter().count());
            assertTrue(refused > 0);
            assertEquals(refused, registry.get("hopper.records.dropped").tag("channel", "newest")
                    .functionCounter().count());
            assertEquals(0.0, registry.get("hopper.records.dropped").tag("channel", "oldest").functionCounter().count());
        }
    }
}
