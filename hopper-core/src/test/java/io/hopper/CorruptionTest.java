package io.hopper;

import io.hopper.testkit.Records;
import io.hopper.testkit.TestDirs;

import io.hopper.internal.segment.SegmentFormat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Damaged queue files never crash the receiver and never yield garbage: each record that comes
 * back is one that was sent (self-checking records), in order, and every record that does not
 * come back is accounted for in {@link ChannelStats#recordsLost()}.
 */
class CorruptionTest {

    private static final int SCENARIOS = 60;
    private static final int RECORDS = 300;

    /**
     * A queue file whose header is damaged holds no record the receiver can return: a poll that
     * finds only it gives its room back at once, so a budget of one file is not stuck until a later
     * receiver call (found by the operations fuzzer, with one queue file).
     */
    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"CHRONICLE_BYTES", "FILE_CHANNEL"})
    void aFileLostWholeToDamageGivesItsRoomBackAtOnce(StorageBackend storage) throws Exception {
        Path dir = TestDirs.create();
        try (Channel<Long> ch = Hopper.builder(Long.class, dir).storage(storage)
                .inMemoryBytes(0).weigher(x -> 8).diskBytes(4096).maxDiskFiles(1).open()) {
            long sent = 0;
            while (ch.sender().offer(sent)) {
                sent++;
            }
            assertTrue(sent > 10, "the only queue file is full: " + sent);
            Path only;
            try (Stream<Path> s = Files.list(dir)) {
                only = s.filter(p -> p.getFileName().toString().startsWith("segment-")).findFirst().orElseThrow();
            }
            try (RandomAccessFile raf = new RandomAccessFile(only.toFile(), "rw")) {
                raf.seek(0);
                raf.write(raf.readByte() ^ 0x01); // its magic
            }
            assertEquals(null, ch.receiver().poll(), "nothing in the damaged file can be returned");
            assertEquals(sent, ch.stats().recordsLost());
            assertTrue(ch.sender().offer(sent), "the damaged file's room is free again: " + ch.stats());
            assertEquals(sent, ch.receiver().poll());
        } finally {
            TestDirs.delete(dir);
        }
    }

    /**
     * A frame naming a payload codec this build does not know (a file a later version wrote, or
     * damage that kept the checksums) costs exactly its record, counted and never misread; the
     * records around it arrive.
     */
    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"CHRONICLE_BYTES", "FILE_CHANNEL"})
    void aFrameOfAnUnknownCodecCostsExactlyItsRecord(StorageBackend storage) throws Exception {
        Path dir = TestDirs.create();
        try {
            try (Channel<String> ch = Hopper.builder(String.class, dir).storage(storage).inMemoryBytes(0).open()) {
                for (int i = 0; i < 10; i++) {
                    assertTrue(ch.sender().offer("record " + i));
                }
            }
            Path file;
            try (Stream<Path> s = Files.list(dir)) {
                file = s.filter(p -> p.getFileName().toString().startsWith("segment-")).findFirst().orElseThrow();
            }
            long at = io.hopper.internal.segment.Frames.offsetOfRecord(file, 4);
            byte[] header = new byte[io.hopper.internal.segment.SegmentFormat.FRAME_HEADER_BYTES];
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.seek(at);
                raf.readFully(header);
                int flags = io.hopper.internal.segment.SegmentFormat.frameFlags(header, 0)
                        | io.hopper.internal.segment.SegmentFormat.codecFlags(9);
                io.hopper.internal.segment.SegmentFormat.writeFrameHeader(header, 0,
                        io.hopper.internal.segment.SegmentFormat.framePayloadLength(header, 0),
                        io.hopper.internal.segment.SegmentFormat.framePayloadCrc(header, 0), flags, 1, 4);
                raf.seek(at);
                raf.write(header);
            }
            try (Channel<String> ch = Hopper.builder(String.class, dir).storage(storage).inMemoryBytes(0).open()) {
                List<String> got = new java.util.ArrayList<>();
                for (String r = ch.receiver().poll(); r != null; r = ch.receiver().poll()) {
                    got.add(r);
                }
                assertEquals(List.of("record 0", "record 1", "record 2", "record 3", "record 5", "record 6",
                        "record 7", "record 8", "record 9"), got);
                assertEquals(1, ch.stats().recordsLost());
                assertEquals(1, ch.stats().corruptFramesSkipped());
            }
        } finally {
            TestDirs.delete(dir);
        }
    }

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"CHRONICLE_BYTES", "FILE_CHANNEL"})
    void flippedBytesAndTruncatedFilesAreSkippedAndCounted(StorageBackend storage) throws Exception {
        for (int scenario = 0; scenario < SCENARIOS; scenario++) {
            Random rnd = new Random(scenario);
            Compression compression = rnd.nextBoolean() ? Compression.LZ4 : Compression.NONE;
            Path dir = TestDirs.create();
            try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir)
                    .storage(storage).compression(compression)
                    .inMemoryBytes(0).diskBytes(64 * 8192).maxDiskFiles(64)
                    .open()) {
                for (int i = 0; i < RECORDS; i++) {
                    assertTrue(ch.sender().offer(Records.make(0, i, 100 + rnd.nextInt(300))));
                }
                // Damage only sealed files: the one being written is still mapped by the writer.
                List<Path> files;
                try (Stream<Path> s = Files.list(dir)) {
                    files = s.filter(p -> p.getFileName().toString().startsWith("segment-")).sorted().toList();
                }
                List<Path> sealed = files.subList(0, files.size() - 1);
                int damaged = 1 + rnd.nextInt(3);
                for (int d = 0; d < damaged; d++) {
                    Path victim = sealed.get(rnd.nextInt(sealed.size()));
                    damage(victim, rnd);
                }
                long previous = -1;
                long received = 0;
                byte[] r;
                while ((r = ch.receiver().poll()) != null) {
                    assertTrue(Records.valid(r), "scenario " + scenario + ": garbage record returned");
                    assertTrue(Records.seq(r) > previous, "scenario " + scenario + ": out of order");
                    previous = Records.seq(r);
                    received++;
                }
                ChannelStats st = ch.stats();
                assertEquals(RECORDS, received + st.recordsLost(), "scenario " + scenario + ": " + st);
                assertTrue(st.corruptFramesSkipped() > 0 || st.recordsLost() == 0, st.toString());
                // The channel keeps working after the damage.
                assertTrue(ch.sender().offer(Records.make(0, RECORDS, 50)));
                assertEquals(RECORDS, Records.seq(ch.receiver().poll()));
            } finally {
                TestDirs.delete(dir);
            }
        }
    }

    private static void damage(Path file, Random rnd) throws Exception {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            long len = raf.length();
            if (len == 0) {
                return; // truncated to nothing by an earlier pick
            }
            switch (rnd.nextInt(4)) {
                case 0 -> raf.setLength(rnd.nextInt((int) Math.max(1, len))); // truncate anywhere
                case 1 -> { // flip bytes anywhere, header included
                    for (int i = 0, n = 1 + rnd.nextInt(8); i < n; i++) {
                        long at = rnd.nextInt((int) len);
                        raf.seek(at);
                        int b = raf.read();
                        raf.seek(at);
                        raf.write(b ^ (1 + rnd.nextInt(255)));
                    }
                }
                case 2 -> { // zero a run of bytes
                    long at = rnd.nextInt((int) len);
                    raf.seek(at);
                    raf.write(new byte[(int) Math.min(len - at, 1 + rnd.nextInt(200))]);
                }
                default -> Files.delete(file); // the file vanished
            }
        } catch (java.nio.file.NoSuchFileException alreadyGone) {
            // damaged twice: deleted by an earlier pick
        }
    }

    /**
     * Found by the operations fuzz target: damage in the file still being written made the reader
     * write off the file, but the writer kept appending to it, so records sent after the damage
     * was found were lost as well. The writer now starts a new file at its next append.
     */
    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"CHRONICLE_BYTES", "FILE_CHANNEL"})
    void recordsSentAfterDamageInTheFileBeingWrittenAreNotLost(StorageBackend storage) throws Exception {
        Path dir = TestDirs.create();
        try (Channel<Long> ch = Hopper.builder(Long.class, dir).storage(storage).inMemoryBytes(0)
                .diskBytes(64 * 1024).maxDiskFiles(4).open()) {
            for (long i = 0; i < 10; i++) {
                assertTrue(ch.sender().offer(i));
            }
            List<Path> files = TestDirs.segmentFileList(dir);
            assertEquals(1, files.size(), "one file, still being written");
            try (RandomAccessFile raf = new RandomAccessFile(files.get(0).toFile(), "rw")) {
                raf.seek(0);
                raf.write('X'); // the file header's magic: the whole file becomes unreadable
            }
            assertEquals(null, ch.receiver().poll(), "nothing in the damaged file can be read");
            assertEquals(10, ch.stats().recordsLost());
            for (long i = 10; i < 15; i++) {
                assertTrue(ch.sender().offer(i));
            }
            for (long i = 10; i < 15; i++) {
                assertEquals(i, ch.receiver().poll(), "record " + i + " was sent after the damage was found");
            }
            assertEquals(10, ch.stats().recordsLost(), ch.stats().toString());
        } finally {
            TestDirs.delete(dir);
        }
    }

    /**
     * Found by the operations fuzz target: when recovery had cut damaged records from a file, the
     * reader wrote off the gap and delivered the next disk record at once, even though a memory
     * snapshot placed it after records still to be replayed, so records came out of order.
     */
    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"CHRONICLE_BYTES", "FILE_CHANNEL"})
    void aGapCutFromADamagedFileDoesNotPullLaterDiskRecordsAheadOfTheSnapshot(StorageBackend storage)
            throws Exception {
        Path dir = TestDirs.create();
        try {
            try (Channel<Long> ch = open(dir, storage, 4)) {
                for (long v = 0; v < 12; v++) {
                    assertTrue(ch.sender().offer(v)); // 0..3 in memory, 4..11 in the first queue file
                }
            }
            Path first = TestDirs.segmentFileList(dir).get(0);
            try (Channel<Long> ch = open(dir, storage, 40)) {
                try (RandomAccessFile raf = new RandomAccessFile(first.toFile(), "rw")) {
                    byte[] header = new byte[SegmentFormat.FRAME_HEADER_BYTES];
                    raf.seek(SegmentFormat.FILE_HEADER_BYTES);
                    raf.readFully(header);
                    long second = SegmentFormat.FILE_HEADER_BYTES + SegmentFormat.FRAME_HEADER_BYTES
                            + SegmentFormat.framePayloadLength(header, 0);
                    raf.seek(second + 2);
                    int b = raf.read();
                    raf.seek(second + 2);
                    raf.write(b ^ 0x40); // the second record's frame header no longer checks out
                }
                for (long v = 12; v < 61; v++) {
                    assertTrue(ch.sender().offer(v)); // 12..51 in memory, 52..60 in a new queue file
                }
            } // the snapshot now holds 0..3, a marker for the first file, 12..51, a marker for 52..60
            try (Channel<Long> ch = open(dir, storage, 40)) {
                List<Long> got = new java.util.ArrayList<>();
                Long v;
                while ((v = ch.receiver().poll()) != null) {
                    got.add(v);
                }
                for (int i = 1; i < got.size(); i++) {
                    assertTrue(got.get(i) > got.get(i - 1), "out of order at " + i + ": " + got);
                }
                assertEquals(61, got.size() + ch.stats().recordsLost(), got + " " + ch.stats());
                assertEquals(60L, got.get(got.size() - 1));
            }
        } finally {
            TestDirs.delete(dir);
        }
    }

    /**
     * One flipped bit in a frame header costs that record alone: the reader resumes at the next
     * intact frame, both in the file still being written and, after a restart, in a sealed one.
     */
    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"CHRONICLE_BYTES", "FILE_CHANNEL"})
    void aDamagedFrameHeaderCostsOnlyItsOwnRecord(StorageBackend storage) throws Exception {
        Path dir = TestDirs.create();
        try {
            try (Channel<Long> ch = open(dir, storage, 0)) { // no memory: all 100 records in one queue file
                for (long v = 0; v < 100; v++) {
                    assertTrue(ch.sender().offer(v));
                }
                damageFrameHeader(TestDirs.segmentFileList(dir).get(0), 10);
                assertEquals(everyValueBut(100, 10), receiveAll(ch));
                assertEquals(1, ch.stats().recordsLost(), ch.stats().toString());
                for (long v = 100; v < 200; v++) {
                    assertTrue(ch.sender().offer(v));
                }
            } // records 100..199 stay on disk across the close; recovery seals their file
            damageFrameHeader(TestDirs.segmentFileList(dir).get(0), 150);
            try (Channel<Long> ch = open(dir, storage, 0)) {
                List<Long> expected = everyValueBut(200, 150).subList(100, 199);
                assertEquals(expected, receiveAll(ch));
                assertEquals(1, ch.stats().recordsLost(), ch.stats().toString());
                assertEquals(1, ch.stats().corruptFramesSkipped(), ch.stats().toString());
            }
        } finally {
            TestDirs.delete(dir);
        }
    }

    /** Flips a bit in the payload-length field of the frame of disk record {@code index}. */
    private static void damageFrameHeader(Path file, long index) throws Exception {
        long at = io.hopper.internal.segment.Frames.offsetOfRecord(file, index);
        assertTrue(at > 0, "record " + index + " is in " + file);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(at + 1);
            int b = raf.read();
            raf.seek(at + 1);
            raf.write(b ^ 0x04);
        }
    }

    private static List<Long> everyValueBut(long n, long missing) {
        List<Long> values = new java.util.ArrayList<>();
        for (long v = 0; v < n; v++) {
            if (v != missing) {
                values.add(v);
            }
        }
        return values;
    }

    private static List<Long> receiveAll(Channel<Long> ch) {
        List<Long> got = new java.util.ArrayList<>();
        Long v;
        while ((v = ch.receiver().poll()) != null) {
            got.add(v);
        }
        return got;
    }

    private static Channel<Long> open(Path dir, StorageBackend storage, int memoryRecords) throws Exception {
        return Hopper.builder(Long.class, dir).storage(storage).compression(Compression.NONE)
                .inMemoryBytes(8L * memoryRecords).weigher(x -> 8).diskBytes(64 * 1024).maxDiskFiles(4).open();
    }
}
