package io.hopper.internal.segment;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The two storage back ends behind one interface: positional writes and reads, sealing, and no leaked mappings. */
class StorageBackendsTest {

    @TempDir
    Path dir;

    /** As {@code open()} does: Chronicle is only touched after the probe, which also sets its release mode. */
    static ChronicleStorage chronicle() {
        Assumptions.assumeTrue(ChronicleAvailability.check().available(), ChronicleAvailability.check().reason());
        return new ChronicleStorage();
    }

    private static SegmentStorage storage(String name) {
        return name.equals("file") ? new FileChannelStorage() : chronicle();
    }

    @Test
    void namesAreWhatStatsReport() {
        assertEquals("file-channel", new FileChannelStorage().name());
        assertEquals("chronicle-bytes", chronicle().name());
    }

    @Test
    void chronicleRoundsFileSizesDownToWholePages() {
        ChronicleStorage c = chronicle();
        long page = net.openhft.chronicle.core.OS.pageSize();
        assertEquals(3 * page, c.alignCapacity(3 * page + 1));
        assertEquals(3 * page, c.alignCapacity(4 * page - 1));
        assertEquals(page, c.alignCapacity(page));
        assertEquals(page - 1, c.alignCapacity(page - 1), "below a page: left alone");
        assertEquals(12345, new FileChannelStorage().alignCapacity(12345));
    }

    @Test
    void theChannelsOwnJvmHasEveryChronicleFlag() {
        assertEquals(java.util.List.of(), ChronicleAvailability.missingFlags(),
                "the test JVM runs with the flags in docs/configuration.md");
        assertTrue(ChronicleAvailability.check().available());
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "chronicle"})
    void writesLandAtTheirPositionAndSealingTrims(String kind) throws IOException {
        SegmentStorage s = storage(kind);
        Path p = dir.resolve("f.hop");
        long capacity = 64 * 1024;
        try (SegmentWriter w = s.create(p, capacity)) {
            w.write(0, new byte[] {1, 2, 3}, 0, 3);
            w.write(4096 + 7, new byte[] {9, 8, 7, 6, 5}, 1, 3);
            w.force();
            try (SegmentReader r = s.openForRead(p)) {
                byte[] got = new byte[3];
                assertEquals(3, r.read(4096 + 7, got, 0, 3));
                assertArrayEquals(new byte[] {8, 7, 6}, got);
                assertEquals(3, r.read(0, got, 0, 3));
                assertArrayEquals(new byte[] {1, 2, 3}, got);
            }
            w.seal(4096 + 10);
            w.force(); // after sealing: nothing left to force, no error
        }
        assertEquals(4096 + 10, Files.size(p));
        try (SegmentReader r = s.openForRead(p)) {
            byte[] got = new byte[8];
            assertEquals(3, r.read(4096 + 7, got, 0, 8), "a read past the end is short, not an error");
        }
    }

    @Test
    void chronicleRefusesWritesPastItsCapacityOrAfterSealing() throws IOException {
        Path p = dir.resolve("f.hop");
        SegmentWriter w = chronicle().create(p, 8192);
        assertThrows(IOException.class, () -> w.write(8190, new byte[4], 0, 4));
        assertThrows(IOException.class, () -> w.write(-1, new byte[4], 0, 4));
        w.write(8188, new byte[4], 0, 4);
        w.seal(100);
        assertThrows(IOException.class, () -> w.write(0, new byte[1], 0, 1));
        w.close();
    }

    @Test
    void chronicleChecksForSpaceBeforeMappingAFile() {
        Path p = dir.resolve("huge.hop");
        IOException e = assertThrows(IOException.class, () -> chronicle().create(p, Long.MAX_VALUE / 4));
        assertTrue(e.getMessage().contains("no space left"), e.getMessage());
        assertFalse(Files.exists(p));
    }

    private static long mappingsOf(Path p) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.endsWith(p.toString())).count();
    }

    @Test
    void chronicleUnmapsOnSealAndOnClose() throws IOException {
        Assumptions.assumeTrue(Files.exists(Path.of("/proc/self/maps")), "needs /proc/self/maps (Linux)");
        Path sealed = dir.resolve("sealed.hop");
        SegmentWriter a = chronicle().create(sealed, 1 << 20);
        a.write(0, new byte[10], 0, 10);
        assertTrue(mappingsOf(sealed) > 0, "mapped while written");
        a.seal(10);
        assertEquals(0, mappingsOf(sealed), "sealing unmaps");
        a.close();
        Path closed = dir.resolve("closed.hop");
        SegmentWriter b = chronicle().create(closed, 1 << 20);
        b.write(0, new byte[10], 0, 10);
        b.close();
        assertEquals(0, mappingsOf(closed), "closing unmaps");
    }
}
