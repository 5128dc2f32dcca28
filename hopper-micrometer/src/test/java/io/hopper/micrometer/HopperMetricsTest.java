package io.hopper.micrometer;

import io.hopper.Channel;
import io.hopper.Hopper;
import io.hopper.SyncPolicy;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
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
            assertEquals(16, registry.getMeters().size(), "every documented meter is registered");
        }
    }
}
