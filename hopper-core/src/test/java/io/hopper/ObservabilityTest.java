package io.hopper;

import io.hopper.testkit.TestDirs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JMX MBean, human-readable sizes and eager builder validation. */
class ObservabilityTest {

    @TempDir
    Path dir;

    @Test
    void theMBeanShowsLiveStatsAndGoesAwayOnClose() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("io.hopper:type=Channel,name=" + ObjectName.quote("ingest, main"));
        try (Channel<Long> ch = Hopper.builder(Long.class, dir.resolve("ch")).inMemoryBytes(8 * 4).weigher(x -> 8)
                .diskBytes(1 << 20).maxDiskFiles(4).jmxName("ingest, main").open()) {
            assertTrue(server.isRegistered(name));
            for (long i = 0; i < 10; i++) {
                ch.sender().offer(i);
            }
            assertEquals(4L, server.getAttribute(name, "RecordsInMemory"));
            assertEquals(6L, server.getAttribute(name, "RecordsOnDisk"));
            assertEquals(6L, server.getAttribute(name, "RecordsSpilled"));
            assertEquals(ch.directory().toString(), server.getAttribute(name, "Directory"));
            assertEquals(false, server.getAttribute(name, "Closed"));
            assertEquals(ch.stats().storage(), server.getAttribute(name, "Storage"));

            IllegalStateException taken = assertThrows(IllegalStateException.class, () -> Hopper.builder(Long.class,
                    dir.resolve("other")).jmxName("ingest, main").open());
            assertTrue(taken.getMessage().contains("ingest, main"), taken.getMessage());
            try (Channel<Long> again = Hopper.builder(Long.class, dir.resolve("other")).open()) {
                assertFalse(again.isClosed(), "the refused open released its directory");
            }
        }
        assertFalse(server.isRegistered(name), "close unregisters the MBean");
    }

    @Test
    void everyMBeanAttributeIsTheMatchingStatsField() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("io.hopper:type=Channel,name=" + ObjectName.quote("attributes"));
        Path chDir = dir.resolve("ch");
        Hopper.Builder<byte[]> b = Hopper.builder(byte[].class, chDir).inMemoryBytes(100).weigher(r -> 50)
                .compression(Compression.NONE).diskBytes(4 * 4096).maxDiskFiles(4).syncPolicy(SyncPolicy.every(1));
        try (Channel<byte[]> ch = b.open()) {
            for (int i = 0; i < 40; i++) {
                byte[] r = new byte[200];
                new java.util.Random(i).nextBytes(r); // 2 in memory, the rest on disk over several files
                ch.sender().offer(r);
            }
        }
        // Damage what the next open and the reader will meet: a torn last file, a bad payload in the first.
        java.util.List<Path> files = TestDirs.segmentFileList(chDir);
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(files.get(files.size() - 1).toFile(), "rw")) {
            raf.setLength(raf.length() - io.hopper.internal.segment.SegmentFormat.END_FRAME_BYTES - 5);
        }
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(files.get(0).toFile(), "rw")) {
            long at = io.hopper.internal.segment.SegmentFormat.FILE_HEADER_BYTES
                    + io.hopper.internal.segment.SegmentFormat.FRAME_HEADER_BYTES + 7;
            raf.seek(at);
            int v = raf.read();
            raf.seek(at);
            raf.write(v ^ 1);
        }
        try (Channel<byte[]> ch = b.jmxName("attributes").open()) {
            ch.sender().offer(new byte[200]);
            for (int i = 0; i < 30; i++) {
                ch.receiver().poll();
            }
            for (int i = 0; i < 5; i++) {
                ch.sender().offer(new byte[200]); // memory holds two: the rest spills and is forced
            }
            ChannelStats st = ch.stats();
            assertTrue(st.filesDeleted() > 0 && st.recordsReadFromDisk() > 0 && st.forces() > 0
                    && st.bytesInMemory() > 0 && st.corruptFramesSkipped() > 0 && st.recordsLost() > 0
                    && st.recordsRecovered() > 0 && st.filesRepaired() > 0, st.toString());
            assertEquals(st.recordsInMemory(), server.getAttribute(name, "RecordsInMemory"));
            assertEquals(st.bytesInMemory(), server.getAttribute(name, "BytesInMemory"));
            assertEquals(st.inMemoryBytesLimit(), server.getAttribute(name, "InMemoryBytesLimit"));
            assertEquals(st.recordsOnDisk(), server.getAttribute(name, "RecordsOnDisk"));
            assertEquals(st.bytesOnDisk(), server.getAttribute(name, "BytesOnDisk"));
            assertEquals(st.diskBytesLimit(), server.getAttribute(name, "DiskBytesLimit"));
            assertEquals(st.diskFiles(), server.getAttribute(name, "DiskFiles"));
            assertEquals(st.maxDiskFiles(), server.getAttribute(name, "MaxDiskFiles"));
            assertEquals(st.recordsSpilled(), server.getAttribute(name, "RecordsSpilled"));
            assertEquals(st.recordsReadFromDisk(), server.getAttribute(name, "RecordsReadFromDisk"));
            assertEquals(st.filesDeleted(), server.getAttribute(name, "FilesDeleted"));
            assertEquals(st.bytesWrittenToDisk(), server.getAttribute(name, "BytesWrittenToDisk"));
            assertEquals(st.bytesReadFromDisk(), server.getAttribute(name, "BytesReadFromDisk"));
            assertEquals(st.compressionRatio(), (double) server.getAttribute(name, "CompressionRatio"), 1e-9);
            assertEquals(st.corruptFramesSkipped(), server.getAttribute(name, "CorruptFramesSkipped"));
            assertEquals(st.recordsLost(), server.getAttribute(name, "RecordsLost"));
            assertEquals(st.recordsRecovered(), server.getAttribute(name, "RecordsRecovered"));
            assertEquals(st.filesRepaired(), server.getAttribute(name, "FilesRepaired"));
            assertEquals(st.forces(), server.getAttribute(name, "Forces"));
            assertEquals(st.meanForceNanos(), server.getAttribute(name, "MeanForceNanos"));
            assertEquals(st.maxForceNanos(), server.getAttribute(name, "MaxForceNanos"));
            assertTrue((long) server.getAttribute(name, "BytesOnDisk") > 0);
            assertTrue((long) server.getAttribute(name, "MaxForceNanos") > 0);
            assertTrue(st.maxForceNanos() < java.util.concurrent.TimeUnit.MINUTES.toNanos(1),
                    "a force is timed from its start: " + st.maxForceNanos());
            assertTrue(st.storage().equals("chronicle-bytes") || st.storage().equals("file-channel"), st.storage());
            ChannelMBean direct = new ChannelMBean(ch);
            assertEquals(false, direct.isClosed());
            ch.close();
            assertEquals(true, direct.isClosed(), "the attribute follows the channel");
        }
    }

    @Test
    void theMBeanShowsThePolicyAndWhatItDiscarded() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("io.hopper:type=Channel,name=\"overflow\"");
        try (Channel<Long> ch = Hopper.builder(Long.class, dir.resolve("overflow")).inMemoryBytes(8).weigher(x -> 8)
                .diskBytes(2 * 4096).maxDiskFiles(2).overflow(OverflowPolicy.DROP_OLDEST).jmxName("overflow").open()) {
            for (long i = 0; i < 2000; i++) {
                ch.sender().send(i);
            }
            ChannelStats st = ch.stats();
            assertTrue(st.recordsEvicted() > 0, st.toString());
            assertEquals("DROP_OLDEST", server.getAttribute(name, "OverflowPolicy"));
            assertEquals(st.recordsEvicted(), server.getAttribute(name, "RecordsEvicted"));
            assertEquals(st.filesEvicted(), server.getAttribute(name, "FilesEvicted"));
            assertEquals(0L, server.getAttribute(name, "RecordsDropped"));
            assertEquals(0L, server.getAttribute(name, "RecordsLost"), "evictions are not losses");
        }
    }

    @Test
    void sizesParseInBinaryAndDecimalUnits() {
        assertEquals(64L << 20, ByteSize.parse("64MiB"));
        assertEquals(10L << 30, ByteSize.parse("10 GiB"));
        assertEquals(512L << 10, ByteSize.parse("512kib"));
        assertEquals(1_500_000_000L, ByteSize.parse("1.5GB"));
        assertEquals(3L << 39, ByteSize.parse("1.5TiB"));
        assertEquals(4096, ByteSize.parse("4096"));
        assertEquals(100, ByteSize.parse(" 100 B "));
        assertEquals(0, ByteSize.parse("0KiB"));
        for (String bad : new String[] {"", "MiB", "64M", "64 K", "-1GiB", "1.2.3MB", "0.5B", "1e3", "99999999TiB", "ten MiB"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(bad), bad);
            assertTrue(e.getMessage().contains("\"" + bad + "\""), e.getMessage());
        }
        assertEquals("64.0 MiB", ByteSize.format(64L << 20));
        assertEquals("1.5 GiB", ByteSize.format(3L << 29));
        assertEquals("1000 B", ByteSize.format(1000));
    }

    @Test
    void builderTakesHumanSizesAndRejectsBadValuesNamingParameterValueAndRange() throws Exception {
        try (Channel<Long> ch = Hopper.builder(Long.class, dir.resolve("sized"))
                .inMemoryBytes("1MiB").diskBytes("8 MiB").maxDiskFiles(4).open()) {
            assertEquals(1L << 20, ch.stats().inMemoryBytesLimit());
            assertEquals(8L << 20, ch.stats().diskBytesLimit());
        }
        Hopper.Builder<Long> b = Hopper.builder(Long.class, dir.resolve("bad"));
        assertMessage(() -> b.inMemoryBytes(-1), "inMemoryBytes", "-1", "[0, ");
        assertMessage(() -> b.inMemoryBytes("65GiB"), "inMemoryBytes", "69793218560", "68719476735");
        assertMessage(() -> b.inMemoryBytes("64M"), "inMemoryBytes", "64M", "KiB");
        assertMessage(() -> b.diskBytes(10), "diskBytes", "10", ">= ");
        assertMessage(() -> b.diskBytes("lots"), "diskBytes", "lots", "MiB");
        assertMessage(() -> b.maxDiskFiles(0), "maxDiskFiles", "0", ">= 1");
        assertMessage(() -> b.inMemoryRecords(1), "inMemoryRecords", "1", "[2, ");
        assertMessage(() -> b.inMemoryRecords(Integer.MAX_VALUE), "inMemoryRecords", "2147483647", "[2, ");
        assertMessage(() -> b.jmxName(" "), "jmxName", "\" \"", "blank");
        assertThrows(NullPointerException.class, () -> b.weigher(null));
        assertThrows(NullPointerException.class, () -> b.inMemoryBytes((String) null));
    }

    private static void assertMessage(Runnable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "\"" + e.getMessage() + "\" should mention " + p);
        }
    }
}
