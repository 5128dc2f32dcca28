package io.hopper.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.hopper.Channel;
import io.hopper.ChannelStats;
import io.hopper.Compression;
import io.hopper.Hopper;
import io.hopper.StorageBackend;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The receiver reading queue files whose bytes the fuzzer controls. Records are spilled to disk,
 * then the fuzzer rewrites, overwrites or truncates the sealed files; the receiver must only ever
 * return records that were sent, in order, count every record it could not return, throw nothing,
 * and keep working afterwards.
 *
 * <p>{@code mvn test} replays the inputs under {@code src/test/resources/.../DamagedQueueFileFuzzTestInputs};
 * {@code hopper-fuzz/fuzz.sh damagedQueueFiles MINUTES} fuzzes for real.
 */
class DamagedQueueFileFuzzTest {

    private static final int RECORDS = 60;

    static String record(int seq) {
        String body = "event-" + seq + "-" + "x".repeat(seq % 40);
        CRC32C crc = new CRC32C();
        crc.update(body.getBytes());
        return Long.toHexString(crc.getValue()) + ":" + body;
    }

    static boolean genuine(String r) {
        int colon = r.indexOf(':');
        if (colon < 0) {
            return false;
        }
        CRC32C crc = new CRC32C();
        crc.update(r.substring(colon + 1).getBytes());
        return r.substring(0, colon).equals(Long.toHexString(crc.getValue()));
    }

    static int seqOf(String r) {
        String body = r.substring(r.indexOf(':') + 1);
        return Integer.parseInt(body.substring(6, body.indexOf('-', 6)));
    }

    @FuzzTest(maxDuration = "24h")
    void damagedQueueFiles(FuzzedDataProvider data) throws IOException {
        StorageBackend storage = data.consumeBoolean() ? StorageBackend.CHRONICLE_BYTES : StorageBackend.FILE_CHANNEL;
        Compression compression = data.consumeBoolean() ? Compression.LZ4 : Compression.NONE;
        Path dir = Files.createTempDirectory("hopper-fuzz-");
        try (Channel<String> ch = Hopper.builder(String.class, dir.resolve("ch"))
                .storage(storage).compression(compression)
                .inMemoryBytes(0).diskBytes(16 * 1024).maxDiskFiles(16)
                // Read-ahead for half the cases, derived from choices already made so that the
                // inputs kept as regression cases still mean what they meant.
                .readAhead((storage == StorageBackend.CHRONICLE_BYTES) != (compression == Compression.LZ4))
                .open()) {
            for (int i = 0; i < RECORDS; i++) {
                assertTrue(ch.sender().offer(record(i)));
            }
            List<Path> files;
            try (Stream<Path> s = Files.list(ch.directory())) {
                files = s.filter(p -> p.getFileName().toString().startsWith("segment-")).sorted().toList();
            }
            // Only sealed files: the file being written is still mapped by the writer.
            List<Path> sealed = files.subList(0, files.size() - 1);
            while (data.remainingBytes() > 0 && !sealed.isEmpty()) {
                Path victim = sealed.get(data.consumeInt(0, sealed.size() - 1));
                damage(victim, data);
            }
            readBack(ch);
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * The same for files rewritten in shared blocks ({@link Compression#LZ4_BLOCKS}, format version
     * 2): written and rewritten first, the channel closed, the rewritten files damaged, then read
     * by a channel that does not rewrite (so nothing but the fuzzer's bytes changes the files).
     * {@code hopper-fuzz/fuzz.sh damagedBlockFiles MINUTES}.
     */
    @FuzzTest(maxDuration = "24h")
    void damagedBlockFiles(FuzzedDataProvider data) throws IOException, InterruptedException {
        StorageBackend storage = data.consumeBoolean() ? StorageBackend.CHRONICLE_BYTES : StorageBackend.FILE_CHANNEL;
        Path dir = Files.createTempDirectory("hopper-fuzz-");
        try {
            try (Channel<String> ch = Hopper.builder(String.class, dir.resolve("ch")).storage(storage)
                    .compression(Compression.LZ4_BLOCKS).inMemoryBytes(0).diskBytes(16 * 1024).maxDiskFiles(16)
                    .open()) {
                for (int i = 0; i < RECORDS; i++) {
                    assertTrue(ch.sender().offer(record(i)));
                }
                while (ch.stats().filesCompacted() < ch.stats().diskFiles() - 2) {
                    Thread.sleep(1); // the rewrites run on their own thread (a hang is a fuzzer timeout)
                }
            }
            List<Path> rewritten = new ArrayList<>();
            try (Stream<Path> s = Files.list(dir.resolve("ch"))) {
                for (Path p : s.filter(p -> p.getFileName().toString().startsWith("segment-")).sorted().toList()) {
                    byte[] head = new byte[12];
                    try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "r")) {
                        raf.readFully(head);
                    }
                    if (head[8] == 2) {
                        rewritten.add(p);
                    }
                }
            }
            assertTrue(!rewritten.isEmpty(), "no file was rewritten in blocks");
            while (data.remainingBytes() > 0) {
                damage(rewritten.get(data.consumeInt(0, rewritten.size() - 1)), data);
            }
            try (Channel<String> ch = Hopper.builder(String.class, dir.resolve("ch")).storage(storage)
                    .compression(Compression.LZ4).inMemoryBytes(0).diskBytes(16 * 1024).maxDiskFiles(16).open()) {
                readBack(ch);
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * Reads everything the damaged files still give: only records that were sent, in order, and
     * every other one counted as lost; the channel then takes and returns a new record.
     */
    private static void readBack(Channel<String> ch) throws IOException {
        int previous = -1;
        int received = 0;
        String r;
        while ((r = ch.receiver().poll()) != null) {
            assertTrue(genuine(r), "a record that was never sent: " + r);
            int seq = seqOf(r);
            assertTrue(seq > previous, "out of order: " + seq + " after " + previous);
            previous = seq;
            received++;
        }
        ChannelStats st = ch.stats();
        assertEquals(RECORDS, received + st.recordsLost(), st.toString());
        assertTrue(ch.sender().offer(record(RECORDS)));
        assertEquals(record(RECORDS), ch.receiver().poll());
        assertNull(ch.receiver().poll());
    }

    private static void damage(Path file, FuzzedDataProvider data) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            long len = raf.length();
            switch (data.consumeInt(0, 3)) {
                case 0 -> raf.setLength(data.consumeLong(0, len));
                case 1 -> { // overwrite a run with fuzzer bytes
                    long at = data.consumeLong(0, len);
                    raf.seek(at);
                    raf.write(data.consumeBytes(data.consumeInt(1, 64)));
                }
                case 2 -> { // replace the whole file with fuzzer bytes
                    raf.setLength(0);
                    raf.write(data.consumeBytes(data.consumeInt(0, 4096)));
                }
                default -> { // keep the header, fuzzer bytes after it
                    long keep = Math.min(len, 32);
                    raf.setLength(keep);
                    raf.seek(keep);
                    raf.write(data.consumeBytes(data.consumeInt(0, 4096)));
                }
            }
        }
    }
}
