package io.hopper;

import io.hopper.testkit.Records;
import io.hopper.testkit.TestDirs;

import io.hopper.internal.segment.SegmentFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Numbers a channel reports about itself: remaining capacity, what an open recovered and repaired, its sync thread. */
class ChannelAccountingTest {

    @TempDir
    Path dir;

    private static long expectedRemaining(ChannelStats st, int slots, long spilledFrameBytes, long spilled) {
        long freeSlots = slots - st.recordsInMemory();
        long freeBytes = st.inMemoryBytesLimit() - st.bytesInMemory();
        long memory = st.recordsInMemory() == 0 ? (freeBytes > 0 ? freeSlots : 0)
                : Math.min(freeSlots, freeBytes / Math.max(1, st.bytesInMemory() / st.recordsInMemory()));
        long segment = st.diskBytesLimit() / st.maxDiskFiles();
        long frame = spilled > 0 ? Math.max(1, spilledFrameBytes / spilled) : Hopper.DEFAULT_RECORD_WEIGHT;
        return memory + (long) (st.maxDiskFiles() - st.diskFiles()) * segment / frame;
    }

    @Test
    void remainingCapacityFollowsTheRecordsSeenSoFar() throws Exception {
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).inMemoryBytes(800).inMemoryRecords(64)
                .weigher(b -> 8L * b.length).compression(Compression.NONE)
                .diskBytes(4 * 4096).maxDiskFiles(4).open()) {
            BlockingQueue<byte[]> q = ch.asBlockingQueue();
            assertEquals(64 + 4 * 4096 / Hopper.DEFAULT_RECORD_WEIGHT, q.remainingCapacity(), "empty: free slots");
            for (int i = 0; i < 3; i++) {
                ch.sender().offer(new byte[10]); // 80 bytes each
            }
            ChannelStats st = ch.stats();
            assertEquals(240, st.bytesInMemory());
            assertEquals(Math.min(61, 560 / 80) + 4 * 4096 / Hopper.DEFAULT_RECORD_WEIGHT, q.remainingCapacity());
            for (int i = 0; i < 7; i++) {
                ch.sender().offer(new byte[10]);
            }
            for (int i = 0; i < 5; i++) {
                ch.sender().offer(new byte[10]); // memory full: to disk
            }
            st = ch.stats();
            assertEquals(5, st.recordsSpilled());
            assertEquals(expectedRemaining(st, 64, st.bytesWrittenToDisk(), 5), q.remainingCapacity());
            assertTrue(q.remainingCapacity() < 4 * 4096 / 10, "disk room is counted in frames, not payload bytes");
        }
    }

    @Test
    void reopeningReportsTheRecordsFoundAfterTheFirstDeletedFile() throws Exception {
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).inMemoryBytes(0).compression(Compression.NONE)
                .diskBytes(8 * 1024).maxDiskFiles(8).open()) {
            for (int i = 0; i < 20; i++) {
                assertTrue(ch.sender().offer(Records.make(0, i, 200)));
            }
            for (int i = 0; i < 10; i++) {
                assertEquals(i, Records.seq(ch.receiver().poll()));
            }
            assertTrue(ch.stats().filesDeleted() > 0, "small files: some were consumed and deleted");
        }
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).inMemoryBytes(0).compression(Compression.NONE)
                .diskBytes(8 * 1024).maxDiskFiles(8).open()) {
            long recovered = ch.stats().recordsRecovered();
            assertTrue(recovered >= 10 && recovered < 20, "records 10..19 and the rest of their first file: "
                    + recovered);
            for (int i = 10; i < 20; i++) {
                assertEquals(i, Records.seq(ch.receiver().poll()));
            }
        }
    }

    @Test
    void filesRepairedCountsTornAndSetAsideFiles() throws Exception {
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).inMemoryBytes(0).compression(Compression.NONE)
                .diskBytes(8 * 1024).maxDiskFiles(8).open()) {
            for (int i = 0; i < 20; i++) {
                assertTrue(ch.sender().offer(Records.make(0, i, 200)));
            }
        }
        List<Path> files = TestDirs.segmentFileList(dir);
        assertTrue(files.size() >= 3, files.toString());
        try (RandomAccessFile raf = new RandomAccessFile(files.get(0).toFile(), "rw")) {
            raf.seek(2);
            raf.write('!'); // unreadable header: set aside
        }
        Path last = files.get(files.size() - 1);
        try (RandomAccessFile raf = new RandomAccessFile(last.toFile(), "rw")) {
            raf.setLength(raf.length() - SegmentFormat.END_FRAME_BYTES - 7); // torn: no END frame, half a payload
        }
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).inMemoryBytes(0).compression(Compression.NONE)
                .diskBytes(8 * 1024).maxDiskFiles(8).open()) {
            assertEquals(2, ch.stats().filesRepaired());
            assertTrue(Files.exists(files.get(0).resolveSibling(files.get(0).getFileName() + ".corrupt")));
        }
    }

    @Test
    void theIntervalSyncThreadDoesNotKeepTheJvmAlive() throws Exception {
        try (Channel<Long> ch = Hopper.builder(Long.class, dir).syncPolicy(SyncPolicy.interval(Duration.ofMillis(50)))
                .open()) {
            ch.sender().offer(1L);
            Thread sync = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("hopper-sync " + dir.getFileName())).findFirst().orElseThrow();
            assertTrue(sync.isDaemon());
        }
    }
}
