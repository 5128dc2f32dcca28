package io.hopper.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.hopper.Channel;
import io.hopper.Hopper;
import io.hopper.HopperException;
import io.hopper.internal.recovery.ReadCursorFile;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reopening a channel whose read cursor ({@code cursor.hop}) and memory snapshot
 * ({@code snapshot.hop}) the fuzzer has rewritten: raw bytes, truncations, or a well-formed cursor
 * (right magic and checksum) holding fuzzer-chosen positions. {@code open()} must either fail with
 * a typed error or give a channel that returns only records that were sent, in order, never
 * hangs, and accepts and delivers new records afterwards.
 *
 * <p>{@code hopper-fuzz/fuzz.sh damagedStateFiles MINUTES} fuzzes it.
 */
class DamagedStateFileFuzzTest {

    private static final int RECORDS = 60;

    @FuzzTest(maxDuration = "24h")
    void damagedStateFiles(FuzzedDataProvider data) throws IOException {
        Path dir = Files.createTempDirectory("hopper-fuzz-state-");
        Path ch = dir.resolve("ch");
        try {
            int received = data.consumeInt(0, 30);
            try (Channel<String> c = open(ch)) {
                for (int i = 0; i < RECORDS; i++) {
                    assertTrue(c.sender().offer(DamagedQueueFileFuzzTest.record(i)));
                }
                for (int i = 0; i < received; i++) {
                    assertEquals(DamagedQueueFileFuzzTest.record(i), c.receiver().poll());
                }
                if (data.consumeBoolean()) {
                    c.receiver().commit();
                }
            } // close writes snapshot.hop (the memory tier) and cursor.hop
            for (int round = 0; round < 3 && data.remainingBytes() > 0; round++) {
                damage(ch, data);
            }
            Channel<String> c;
            try {
                c = open(ch);
            } catch (HopperException | IOException typed) {
                assertNotNull(typed.getMessage());
                return;
            }
            try (c) {
                int previous = -1;
                String r;
                int polls = 0;
                while ((r = c.receiver().poll()) != null) {
                    assertTrue(DamagedQueueFileFuzzTest.genuine(r), "a record that was never sent: " + r);
                    int seq = DamagedQueueFileFuzzTest.seqOf(r);
                    assertTrue(seq > previous, "out of order: " + seq + " after " + previous);
                    previous = seq;
                    assertTrue(++polls <= RECORDS, "more records than were ever sent");
                }
                String fresh = DamagedQueueFileFuzzTest.record(RECORDS);
                assertTrue(c.sender().offer(fresh), c.stats().toString());
                assertEquals(fresh, c.receiver().poll(), c.stats().toString());
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static Channel<String> open(Path ch) throws IOException {
        return Hopper.builder(String.class, ch).inMemoryBytes(20 * 100).weigher(s -> 100)
                .diskBytes(16 * 1024).maxDiskFiles(16).open();
    }

    private static void damage(Path ch, FuzzedDataProvider data) throws IOException {
        Path cursor = ch.resolve(ReadCursorFile.FILE_NAME);
        Path snapshot = ch.resolve("snapshot.hop");
        switch (data.consumeInt(0, 4)) {
            case 0 -> {
                if (data.consumeBoolean()) {
                    Files.write(cursor, data.consumeBytes(data.consumeInt(0, 128)));
                } else {
                    overwrite(cursor, data); // inside either of its two slots
                }
            }
            case 1 -> ReadCursorFile.store(ch, new ReadCursorFile.State(data.consumeLong(), data.consumeLong(),
                    data.consumeLong(), data.consumeLong(), data.consumeLong(), data.consumeLong()));
            case 2 -> overwrite(snapshot, data);
            case 3 -> Files.deleteIfExists(data.consumeBoolean() ? cursor : snapshot);
            default -> {
                if (Files.exists(snapshot)) {
                    try (RandomAccessFile raf = new RandomAccessFile(snapshot.toFile(), "rw")) {
                        raf.setLength(data.consumeLong(0, raf.length()));
                    }
                }
            }
        }
    }

    private static void overwrite(Path file, FuzzedDataProvider data) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(data.consumeLong(0, raf.length()));
            raf.write(data.consumeBytes(data.consumeInt(1, 64)));
        }
    }
}
