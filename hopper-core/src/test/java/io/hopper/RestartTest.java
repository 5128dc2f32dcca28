package io.hopper;

import io.hopper.testkit.ChildJvm;
import io.hopper.testkit.TestDirs;

import io.hopper.internal.segment.SegmentFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What survives closing and reopening a channel directory, and a process that stops without closing. */
class RestartTest {

    @TempDir
    Path tmp;

    private static Channel<Long> open(Path dir, StorageBackend storage) throws Exception {
        return Hopper.builder(Long.class, dir).storage(storage)
                .inMemoryBytes(0).diskBytes(64 * 1024).maxDiskFiles(16)
                .open();
    }

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"CHRONICLE_BYTES", "FILE_CHANNEL"})
    void recordsOnDiskSurviveCloseAndReopenExactlyOnce(StorageBackend storage) throws Exception {
        Path dir = tmp.resolve("ch");
        try (Channel<Long> ch = open(dir, storage)) {
            for (long i = 0; i < 500; i++) {
                assertTrue(ch.sender().offer(i));
            }
            for (long i = 0; i < 120; i++) {
                assertEquals(i, ch.receiver().poll());
            }
        }
        try (Channel<Long> ch = open(dir, storage)) {
            assertTrue(ch.stats().recordsRecovered() >= 380, ch.stats().toString());
            for (long i = 500; i < 520; i++) {
                assertTrue(ch.sender().offer(i)); // new records follow the recovered ones
            }
            for (long i = 120; i < 520; i++) {
                assertEquals(i, ch.receiver().poll(), "record " + i);
            }
            assertNull(ch.receiver().poll());
        }
        try (Channel<Long> ch = open(dir, storage)) {
            assertNull(ch.receiver().poll(), "everything was consumed");
            assertEquals(0, ch.stats().recordsOnDisk());
        }
    }

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"CHRONICLE_BYTES", "FILE_CHANNEL"})
    void recordsInMemorySurviveCloseInTheirPlaceInTheOrder(StorageBackend storage) throws Exception {
        Path dir = tmp.resolve("ch");
        try (Channel<Long> ch = Hopper.builder(Long.class, dir).storage(storage)
                .inMemoryBytes(8 * 20).weigher(x -> 8).diskBytes(64 * 1024).maxDiskFiles(16).open()) {
            for (long i = 0; i < 200; i++) {
                assertTrue(ch.sender().offer(i));
            }
            for (long i = 0; i < 5; i++) {
                assertEquals(i, ch.receiver().poll());
            }
            for (long i = 200; i < 210; i++) { // memory has room again: memory and disk interleave
                assertTrue(ch.sender().offer(i));
            }
            assertTrue(ch.stats().recordsInMemory() > 0 && ch.stats().recordsOnDisk() > 0, ch.stats().toString());
        }
        assertTrue(Files.exists(dir.resolve("snapshot.hop")));
        // Reopen with room for only two records in memory: the snapshot is replayed from its file.
        try (Channel<Long> ch = Hopper.builder(Long.class, dir).storage(storage)
                .inMemoryBytes(16).weigher(x -> 8).diskBytes(64 * 1024).maxDiskFiles(16).open()) {
            for (long i = 210; i < 220; i++) {
                assertTrue(ch.sender().offer(i));
            }
            for (long i = 5; i < 220; i++) {
                assertEquals(i, ch.receiver().poll(), "record " + i);
            }
            assertNull(ch.receiver().poll());
        }
        assertTrue(!Files.exists(dir.resolve("snapshot.hop")), "a replayed snapshot is deleted");
    }

    /**
     * The read cursor only saves redelivery: with {@code cursor.hop} damaged or gone, every record
     * not received yet still comes back, in order, none counted lost; records already received
     * from a queue file may come again.
     */
    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"CHRONICLE_BYTES", "FILE_CHANNEL"})
    void aDamagedOrMissingCursorLosesNothing(StorageBackend storage) throws Exception {
        for (boolean delete : new boolean[] {false, true}) {
            Path dir = tmp.resolve("ch-" + storage + "-" + delete);
            try (Channel<Long> ch = Hopper.builder(Long.class, dir).storage(storage)
                    .inMemoryBytes(8 * 20).weigher(x -> 8).diskBytes(64 * 1024).maxDiskFiles(16).open()) {
                for (long i = 0; i < 200; i++) {
                    assertTrue(ch.sender().offer(i));
                }
                for (long i = 0; i < 30; i++) { // past the memory records, into the first queue file
                    assertEquals(i, ch.receiver().poll());
                }
                for (long i = 200; i < 210; i++) {
                    assertTrue(ch.sender().offer(i));
                }
            } // snapshot.hop holds the memory tier, cursor.hop says 30 records were received
            Path cursor = dir.resolve("cursor.hop");
            if (delete) {
                Files.delete(cursor);
            } else {
                try (RandomAccessFile raf = new RandomAccessFile(cursor.toFile(), "rw")) {
                    raf.seek(10);
                    int b = raf.read();
                    raf.seek(10);
                    raf.write(b ^ 0x01);
                }
            }
            try (Channel<Long> ch = Hopper.builder(Long.class, dir).storage(storage)
                    .inMemoryBytes(8 * 20).weigher(x -> 8).diskBytes(64 * 1024).maxDiskFiles(16).open()) {
                assertTrue(ch.sender().offer(210L));
                List<Long> unreceived = new ArrayList<>();
                Long v;
                while ((v = ch.receiver().poll()) != null) {
                    if (v >= 30) {
                        unreceived.add(v);
                    }
                }
                List<Long> expected = new ArrayList<>();
                for (long i = 30; i <= 210; i++) {
                    expected.add(i);
                }
                assertEquals(expected, unreceived, (delete ? "deleted" : "damaged") + " cursor");
                assertEquals(0, ch.stats().recordsLost(), ch.stats().toString());
            }
        }
    }

    @Test
    void aSecondOpenOfTheSameDirectoryIsRefusedNamingIt() throws Exception {
        Path dir = tmp.resolve("ch");
        try (Channel<Long> ch = open(dir, StorageBackend.AUTO)) {
            StorageException e = assertThrows(StorageException.class, () -> open(dir, StorageBackend.AUTO));
            assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
            ChildJvm.Result other = ChildJvm.run(CrashingProducer.class, ChildJvm.chronicleFlags(),
                    dir.toString(), "open-only");
            assertTrue(other.exitCode() != 0 && other.output().contains("already open in another process")
                    && other.output().contains(dir.toString()), other.output());
            assertTrue(ch.sender().offer(1L), "the first channel is unaffected");
        }
        try (Channel<Long> again = open(dir, StorageBackend.AUTO)) {
            assertEquals(1L, again.receiver().poll(), "closing released the directory");
        }
    }

    @Test
    void aProcessThatStopsWithoutClosingResumesFromItsLastCommit() throws Exception {
        Path dir = tmp.resolve("ch");
        ChildJvm.Result r = ChildJvm.run(CrashingProducer.class, ChildJvm.chronicleFlags(), dir.toString(), "crash");
        assertEquals(0, r.exitCode(), r.output());
        try (Channel<Long> ch = open(dir, StorageBackend.AUTO)) {
            // The child committed after record 29 and received 30..39 before it halted:
            // those ten come again (at-least-once), nothing is lost, order holds.
            for (long i = 30; i < 1000; i++) {
                assertEquals(i, ch.receiver().poll(), "record " + i);
            }
            assertNull(ch.receiver().poll());
            // The file being written had no end frame: it is sealed at open, which is what every
            // stop without close() leaves, not damage (an operator alerting on repairs is not
            // paged for it). And the records "recovered" are those still to deliver, not those
            // below the committed position.
            assertEquals(0, ch.stats().filesRepaired(), ch.stats().toString());
            assertEquals(970, ch.stats().recordsRecovered(), ch.stats().toString());
        }
    }

    /**
     * Sends records 0..299 to disk, closes, then makes the last queue file look as a crash leaves
     * it: the END frame cut off and {@code tail} written where the next frame would start.
     */
    private void crashTheLastFileWith(Path dir, StorageBackend storage, byte[]... tail) throws Exception {
        try (Channel<Long> ch = open(dir, storage)) {
            for (long i = 0; i < 300; i++) {
                assertTrue(ch.sender().offer(i));
            }
        }
        List<Path> files = TestDirs.segmentFileList(dir);
        try (RandomAccessFile raf = new RandomAccessFile(files.get(files.size() - 1).toFile(), "rw")) {
            long end = raf.length() - SegmentFormat.END_FRAME_BYTES;
            raf.setLength(end);
            raf.seek(end);
            for (byte[] t : tail) {
                raf.write(t);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"CHRONICLE_BYTES", "FILE_CHANNEL"})
    void aTornTailIsCutOffAndEverythingBeforeItDelivered(StorageBackend storage) throws Exception {
        Path dir = tmp.resolve("ch");
        // A frame that was being written when the process died: a header and half a payload.
        crashTheLastFileWith(dir, storage,
                new byte[] {40, 0, 0, 0, 1, 2, 3, 4, 0, 0, 1, 0, 9, 9, 9, 9, 9, 9, 9, 9, 7, 7, 7, 7, 1, 2, 3});
        try (Channel<Long> ch = open(dir, storage)) {
            for (long i = 0; i < 300; i++) {
                assertEquals(i, ch.receiver().poll(), "record " + i);
            }
            assertNull(ch.receiver().poll());
            assertTrue(ch.stats().filesRepaired() >= 1, ch.stats().toString());
        }
    }

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"CHRONICLE_BYTES", "FILE_CHANNEL"})
    void aLastFrameWhosePayloadWasTornIsCutNotCountedAsLost(StorageBackend storage) throws Exception {
        Path dir = tmp.resolve("ch");
        // A kill in the middle of copying record 300 into the mapping: its whole header landed,
        // its payload did not (the rest of a fresh mapping reads as zeros).
        byte[] header = new byte[SegmentFormat.FRAME_HEADER_BYTES];
        SegmentFormat.writeFrameHeader(header, 0, 40, 0x5eed, 0, 1, 300);
        crashTheLastFileWith(dir, storage, header, new byte[40]);
        try (Channel<Long> ch = open(dir, storage)) {
            for (long i = 0; i < 300; i++) {
                assertEquals(i, ch.receiver().poll(), "record " + i);
            }
            assertNull(ch.receiver().poll());
            ChannelStats s = ch.stats();
            assertEquals(1, s.filesRepaired(), s.toString());
            assertEquals(0, s.recordsLost(), "a record whose send never returned is not a loss: " + s);
            assertEquals(0, s.corruptFramesSkipped(), s.toString());
            assertTrue(ch.sender().offer(300L));
            assertEquals(300L, ch.receiver().poll(), "the torn record's index is reused by the next send");
        }
    }

    @Test
    void aFileWithAnUnreadableHeaderIsSetAsideAndTheRestDelivered() throws Exception {
        Path dir = tmp.resolve("ch");
        try (Channel<Long> ch = open(dir, StorageBackend.FILE_CHANNEL)) {
            for (long i = 0; i < 1000; i++) {
                assertTrue(ch.sender().offer(i));
            }
        }
        List<Path> files = TestDirs.segmentFileList(dir);
        assertTrue(files.size() >= 3);
        try (RandomAccessFile raf = new RandomAccessFile(files.get(0).toFile(), "rw")) {
            raf.write("NOTHOPPR".getBytes());
        }
        try (Channel<Long> ch = open(dir, StorageBackend.FILE_CHANNEL)) {
            List<Long> got = new ArrayList<>();
            Long v;
            while ((v = ch.receiver().poll()) != null) {
                got.add(v);
            }
            assertTrue(!got.isEmpty() && got.get(got.size() - 1) == 999L, got + " " + ch.stats());
            for (int i = 1; i < got.size(); i++) {
                assertEquals(got.get(i - 1) + 1, got.get(i), "contiguous after the lost file");
            }
            assertEquals(1, ch.stats().filesRepaired());
            assertTrue(Files.exists(files.get(0).resolveSibling(files.get(0).getFileName() + ".corrupt")));
        }
    }

    /** Child process: sends 1,000 records to disk, receives 40, committing after 30, then halts without closing. */
    public static final class CrashingProducer {
        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            try {
                Channel<Long> ch = Hopper.builder(Long.class, dir).inMemoryBytes(0)
                        .diskBytes(64 * 1024).maxDiskFiles(16).open();
                if (args[1].equals("open-only")) {
                    ch.close();
                    return;
                }
                for (long i = 0; i < 1000; i++) {
                    ch.sender().send(i);
                }
                for (long i = 0; i < 40; i++) {
                    if (ch.receiver().receive() != i) {
                        System.exit(3);
                    }
                    if (i == 29) {
                        ch.receiver().commit();
                    }
                }
                System.out.flush();
                Runtime.getRuntime().halt(0); // no close, no shutdown hooks
            } catch (StorageException e) {
                System.out.println(e.getMessage());
                System.exit(2);
            }
        }
    }
}
