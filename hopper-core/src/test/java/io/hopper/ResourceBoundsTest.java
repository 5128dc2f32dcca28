package io.hopper;

import io.hopper.testkit.TestDirs;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Open file handles stay a small constant however many queue files exist (hopper once ran out of them). */
class ResourceBoundsTest {

    @TempDir
    Path dir;

    private static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    private static long mappings() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).size();
    }

    /**
     * Regression: each Chronicle-mapped queue file used to leak its mapping (one reference stayed
     * on the mapped store), until the process hit the kernel's map-count limit. 300 channels of
     * three or more files each leaked about 1,800 mappings before the fix.
     */
    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"CHRONICLE_BYTES", "FILE_CHANNEL"})
    void memoryMappingsAreReleasedWithTheirFiles(StorageBackend storage) throws Exception {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/self/maps")), "needs /proc/self/maps (Linux)");
        long before = mappings();
        for (int i = 0; i < 300; i++) {
            Path chDir = dir.resolve("ch" + i);
            try (Channel<String> ch = Hopper.builder(String.class, chDir).storage(storage)
                    .inMemoryBytes(0).diskBytes(16 * 1024).maxDiskFiles(16).open()) {
                for (int r = 0; r < 60; r++) {
                    assertTrue(ch.sender().offer("event-" + r + "x".repeat(r % 40)));
                }
                for (int r = 0; r < 30; r++) {
                    assertTrue(ch.receiver().poll() != null);
                }
            }
            TestDirs.delete(chDir);
        }
        long grown = mappings() - before;
        assertTrue(grown < 20, "mappings grew by " + grown + " over 300 channels");
    }

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"CHRONICLE_BYTES", "FILE_CHANNEL"})
    void openFileHandlesDoNotGrowWithTheNumberOfFiles(StorageBackend storage) throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc/self/fd (Linux)");
        try (Channel<Long> ch = Hopper.builder(Long.class, dir.resolve("ch"))
                .storage(storage).inMemoryBytes(0)
                .diskBytes(500L * 4096).maxDiskFiles(500)
                .open()) {
            long before = openFds();
            for (long i = 0; i < 20_000; i++) {
                assertTrue(ch.sender().offer(i));
            }
            long files = TestDirs.segmentFiles(ch.directory());
            assertTrue(files > 100, "spread over many files: " + files);
            long during = openFds();
            for (long i = 0; i < 10_000; i++) {
                assertEquals(i, ch.receiver().poll());
            }
            long reading = openFds();
            // The Chronicle writer holds its mapping's descriptor and the one it forces through.
            int writer = storage == StorageBackend.CHRONICLE_BYTES ? 2 : 1;
            assertTrue(during - before <= writer + 1, "the writer holds one file (" + writer + " descriptors): "
                    + before + " -> " + during);
            assertTrue(reading - before <= writer + 2, "the writer and the reader hold one file each: " + before
                    + " -> " + reading);
        }
    }
}
