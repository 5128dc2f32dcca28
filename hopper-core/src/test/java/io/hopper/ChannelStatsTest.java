package io.hopper;

import io.hopper.internal.segment.SegmentFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The counters added for observability agree with each other and with what was done. */
class ChannelStatsTest {

    @TempDir
    Path dir;

    private static String line(int i) {
        return "{\"ts\":" + (1_700_000_000_000L + i) + ",\"host\":\"web-01\",\"level\":\"INFO\",\"msg\":\"request served\",\"status\":200}";
    }

    @Test
    void spilledAndReadBytesAndCompressionRatioAddUp() throws Exception {
        try (Channel<String> ch = Hopper.builder(String.class, dir.resolve("lz4")).inMemoryBytes(0)
                .diskBytes(1 << 20).maxDiskFiles(4).open()) {
            for (int i = 0; i < 1000; i++) {
                assertTrue(ch.sender().offer(line(i)));
            }
            ChannelStats written = ch.stats();
            assertEquals(1000, written.recordsSpilled());
            assertTrue(written.recordBytesSpilled() >= 1000L * line(0).length(), written.toString());
            assertTrue(written.compressionRatio() > 1.0, "JSON-like lines compress: " + written);
            for (int i = 0; i < 1000; i++) {
                assertEquals(line(i), ch.receiver().poll());
            }
            ChannelStats read = ch.stats();
            assertEquals(1000, read.recordsReadFromDisk());
            assertEquals(1000L * SegmentFormat.FRAME_HEADER_BYTES + read.payloadBytesSpilled(), read.bytesReadFromDisk(),
                    "every frame written was read once: " + read);
        }
        try (Channel<String> ch = Hopper.builder(String.class, dir.resolve("plain")).inMemoryBytes(0)
                .compression(Compression.NONE).diskBytes(1 << 20).maxDiskFiles(4).open()) {
            assertEquals(1.0, ch.stats().compressionRatio(), "nothing written yet");
            ch.sender().offer(line(0));
            ChannelStats s = ch.stats();
            assertEquals(1.0, s.compressionRatio());
            assertEquals(s.recordBytesSpilled(), s.payloadBytesSpilled());
        }
    }

    @Test
    void forcesAreCountedAndTimed() throws Exception {
        try (Channel<Long> ch = Hopper.builder(Long.class, dir.resolve("always")).inMemoryBytes(0)
                .syncPolicy(SyncPolicy.ALWAYS).diskBytes(1 << 20).maxDiskFiles(4).open()) {
            assertEquals(0, ch.stats().meanForceNanos());
            for (long i = 0; i < 5; i++) {
                ch.sender().send(i);
            }
            ChannelStats s = ch.stats();
            assertEquals(5, s.forces(), "one force per send from a single producer: " + s);
            assertTrue(s.forceNanos() > 0 && s.maxForceNanos() > 0, s.toString());
            assertTrue(s.maxForceNanos() <= s.forceNanos(), s.toString());
            assertTrue(s.meanForceNanos() <= s.maxForceNanos() && s.meanForceNanos() > 0, s.toString());
        }
    }
}
