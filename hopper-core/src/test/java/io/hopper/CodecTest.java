package io.hopper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The default Kryo serializer round-trips plain classes and records through the disk tier without set-up. */
class CodecTest {

    record Event(long id, String host, Map<String, Double> metrics, List<String> tags) {
    }

    /** No no-arg constructor, final fields, a nested unregistered type. */
    static final class LogLine {
        final String message;
        final Level level;
        final int[] spans;

        LogLine(String message, Level level, int[] spans) {
            this.message = message;
            this.level = level;
            this.spans = spans;
        }
    }

    enum Level { INFO, WARN }

    @TempDir
    Path dir;

    @Test
    void javaRecordsRoundTripThroughDisk() throws Exception {
        try (Channel<Event> ch = Hopper.builder(Event.class, dir.resolve("ch")).inMemoryBytes(0).open()) {
            Event e = new Event(7, "web-1", Map.of("cpu", 0.5, "rss", 1e9), List.of("a", "b"));
            assertTrue(ch.sender().offer(e));
            assertEquals(1, ch.stats().recordsSpilled());
            assertEquals(e, ch.receiver().poll());
        }
    }

    @Test
    void plainClassesWithoutNoArgConstructorRoundTrip() throws Exception {
        try (Channel<LogLine> ch = Hopper.builder(LogLine.class, dir.resolve("ch"))
                .inMemoryBytes(0).compression(Compression.LZ4).open()) {
            String msg = "GET /index.html 200 ".repeat(20);
            assertTrue(ch.sender().offer(new LogLine(msg, Level.WARN, new int[] {1, 2, 3})));
            LogLine back = ch.receiver().poll();
            assertEquals(msg, back.message);
            assertEquals(Level.WARN, back.level);
            assertEquals(3, back.spans[2]);
            ChannelStats st = ch.stats();
            assertTrue(st.bytesWrittenToDisk() < msg.length(), "LZ4 shrank the repetitive record: " + st);
        }
    }
}
