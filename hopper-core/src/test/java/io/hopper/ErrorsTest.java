package io.hopper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input gets a clear, typed error and the channel loses nothing. */
class ErrorsTest {

    @TempDir
    Path dir;

    @Test
    void recordTooLargeForBothTiersNamesTheSizes() throws Exception {
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir.resolve("ch"))
                .inMemoryBytes(1000).diskBytes(4 * 1024).maxDiskFiles(4).compression(Compression.NONE).open()) {
            byte[] big = new byte[5000];
            RecordTooLargeException e = assertThrows(RecordTooLargeException.class, () -> ch.sender().offer(big));
            assertEquals(5016, e.recordWeight());
            assertEquals(1000, e.inMemoryBytes());
            assertTrue(e.encodedBytes() > e.maxFrameBytes());
            assertTrue(e.getMessage().contains("5016") && e.getMessage().contains("1000"), e.getMessage());
            // The channel still works.
            assertTrue(ch.sender().offer(new byte[10]));
            assertEquals(10, ch.receiver().poll().length);
        }
    }

    @Test
    void recordTooHeavyForMemoryGoesToDisk() throws Exception {
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir.resolve("ch"))
                .inMemoryBytes(100).diskBytes(1 << 20).maxDiskFiles(4).open()) {
            byte[] heavy = new byte[500];
            heavy[7] = 7;
            assertTrue(ch.sender().offer(heavy));
            assertEquals(1, ch.stats().recordsSpilled());
            assertArrayEquals(heavy, ch.receiver().poll());
        }
    }

    @Test
    void nullRecordsAndNegativeWeightsAreRejected() throws Exception {
        try (Channel<Long> ch = Hopper.builder(Long.class, dir.resolve("ch")).weigher(x -> -1).open()) {
            assertThrows(NullPointerException.class, () -> ch.sender().offer(null));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ch.sender().offer(1L));
            assertTrue(e.getMessage().contains("negative"), e.getMessage());
        }
    }

    @Test
    void builderValidatesEagerlyNamingTheParameter() {
        var b = Hopper.builder(Long.class, dir);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.inMemoryBytes(-1)).getMessage().contains("inMemoryBytes"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.diskBytes(10)).getMessage().contains("diskBytes"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.maxDiskFiles(0)).getMessage().contains("maxDiskFiles"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.inMemoryRecords(1)).getMessage().contains("inMemoryRecords"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Hopper.builder(Long.class, dir.resolve("x")).diskBytes(1000).maxDiskFiles(100).open())
                .getMessage().contains("maxDiskFiles"));
    }

    @Test
    void failingSerializerLeavesTheRecordWithTheCallerAndTheChannelUsable() throws Exception {
        Serializer<Long> flaky = new Serializer<>() {
            @Override
            public void serialize(Long value, OutputStream out) throws IOException {
                if (value == 13L) {
                    throw new IOException("cannot encode 13");
                }
                Serializer.kryo(Long.class).serialize(value, out);
            }

            @Override
            public Long deserialize(byte[] bytes, int offset, int length) throws IOException {
                return Serializer.kryo(Long.class).deserialize(bytes, offset, length);
            }
        };
        try (Channel<Long> ch = Hopper.builder(Long.class, dir.resolve("ch"))
                .inMemoryBytes(0).serializer(flaky).open()) {
            assertTrue(ch.sender().offer(12L));
            UnsupportedRecordException e = assertThrows(UnsupportedRecordException.class, () -> ch.sender().offer(13L));
            assertEquals("java.lang.Long", e.recordClass());
            assertTrue(e.getMessage().contains("cannot encode 13"), e.getMessage());
            assertTrue(ch.sender().offer(14L));
            assertEquals(12L, ch.receiver().poll());
            assertEquals(14L, ch.receiver().poll());
        }
    }

    @Test
    void unwritableDirectoryIsAStorageErrorAndTheRecordStaysWithTheCaller() throws Exception {
        Path chDir = dir.resolve("ch");
        try (Channel<Long> ch = Hopper.builder(Long.class, chDir)
                .storage(StorageBackend.FILE_CHANNEL).inMemoryBytes(8).weigher(x -> 8).open()) {
            assertTrue(ch.sender().offer(1L)); // memory
            // Replace the directory by a file: creating a queue file now fails with an I/O error.
            Path away = chDir.resolveSibling("moved-away");
            Files.move(chDir, away);
            Files.writeString(chDir, "not a directory");
            StorageException e = assertThrows(StorageException.class, () -> ch.sender().offer(2L));
            assertTrue(e.getMessage().contains(chDir.toString()), e.getMessage());
            assertEquals(1L, ch.receiver().poll());
            Files.delete(chDir);
            Files.move(away, chDir);
            assertTrue(ch.sender().offer(2L), "works again once the directory is back");
            assertTrue(ch.sender().offer(3L));
            assertEquals(2L, ch.receiver().poll());
            assertEquals(3L, ch.receiver().poll());
        }
    }
}
