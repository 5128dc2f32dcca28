package io.hopper;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real full disk (ENOSPC): the channel lives on a 1 MiB tmpfs that the test mounts (as root;
 * skipped with the reason otherwise). A ballast file leaves little room, the channel fills it,
 * the send that finds no space gets a {@link StorageException} and keeps its record; once the
 * ballast is deleted the same record goes through, and nothing accepted earlier is lost.
 */
class DiskFullTest {

    @TempDir
    Path tmp;
    private Path mount;

    @BeforeEach
    void mountSmallFileSystem() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "needs root to mount a size-limited tmpfs (ENOSPC test skipped)");
        mount = Files.createDirectory(tmp.resolve("fs"));
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        boolean mounted = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        if (!mounted) {
            mount = null;
        }
        Assumptions.assumeTrue(mounted, "cannot mount tmpfs here (" + out.trim() + "): ENOSPC test skipped");
    }

    @AfterEach
    void unmount() throws Exception {
        if (mount != null) {
            new ProcessBuilder("umount", mount.toString()).start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"CHRONICLE_BYTES", "FILE_CHANNEL"})
    void fullDiskIsATypedErrorLosesNothingAndRecovers(StorageBackend storage) throws Exception {
        Path ballast = mount.resolve("ballast");
        Files.write(ballast, new byte[600 * 1024]);
        Random rnd = new Random(1);
        List<byte[]> accepted = new ArrayList<>();
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, mount.resolve("ch")).storage(storage)
                .compression(Compression.NONE).inMemoryBytes(0)
                .diskBytes(16L * 64 * 1024).maxDiskFiles(16) // a 1 MiB budget: more than the disk has
                .open()) {
            StorageException full = null;
            byte[] refused = null;
            for (int i = 0; i < 2000 && full == null; i++) {
                byte[] r = new byte[1000];
                rnd.nextBytes(r);
                try {
                    assertTrue(ch.sender().offer(r), "the budget is not what fills up here");
                    accepted.add(r);
                } catch (StorageException e) {
                    full = e;
                    refused = r;
                }
            }
            assertTrue(full != null, "the 1 MiB file system never filled up");
            assertTrue(accepted.size() > 50, "some records fitted before: " + accepted.size());
            // Still full: the same record is refused again, with the same typed error.
            byte[] again = refused;
            StorageException second = null;
            try {
                ch.sender().offer(again);
            } catch (StorageException e) {
                second = e;
            }
            assertTrue(second != null, "still no space");
            // Space returns: the refused record goes through, and then more.
            Files.delete(ballast);
            assertTrue(ch.sender().offer(refused));
            accepted.add(refused);
            for (int i = 0; i < 20; i++) {
                byte[] r = new byte[1000];
                rnd.nextBytes(r);
                assertTrue(ch.sender().offer(r));
                accepted.add(r);
            }
            for (byte[] expected : accepted) {
                assertArrayEquals(expected, ch.receiver().poll());
            }
            assertNull(ch.receiver().poll());
            System.out.printf("ENOSPC (%s): %d records accepted around a full disk, error was: %s%n",
                    storage, accepted.size(), full.getMessage());
        }
    }
}
