package io.hopper.cli;

import io.hopper.Channel;
import io.hopper.Compression;
import io.hopper.Hopper;
import io.hopper.StorageBackend;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the golden directory {@code src/test/resources/golden/format-1}: 80 records on disk in
 * 4 KiB files, the first 40 received and committed, then 5 records left in memory and saved by
 * the close in {@code snapshot.hop}. Run once per format version and check the result in:
 * {@code java -cp ... io.hopper.cli.GoldenDirectory src/test/resources/golden/format-1}.
 *
 * <p>With a second argument {@code blocks}, writes {@code golden/format-2}: 600 records with
 * {@code Compression.LZ4_BLOCKS} in 4 KiB files, every sealed file but the first rewritten in
 * blocks before the close, the first 40 received and committed.
 */
public final class GoldenDirectory {
    private GoldenDirectory() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        if (Files.exists(dir)) {
            throw new IllegalStateException(dir + " exists: the golden directory is written once");
        }
        if (args.length > 1 && args[1].equals("blocks")) {
            blocks(dir);
            return;
        }
        // A memory tier of 1 byte: everything goes to disk until the consumer drains it.
        try (Channel<String> ch = Hopper.builder(String.class, dir).storage(StorageBackend.FILE_CHANNEL)
                .inMemoryBytes(1).diskBytes(16 * 4096).maxDiskFiles(16).open()) {
            for (int i = 0; i < 80; i++) {
                ch.sender().send("golden record " + i);
            }
            for (int i = 0; i < 40; i++) {
                ch.receiver().receive();
            }
            ch.receiver().commit();
        }
        // Reopened with room in memory: these stay there and go to the snapshot at close.
        try (Channel<String> ch = Hopper.builder(String.class, dir).storage(StorageBackend.FILE_CHANNEL)
                .inMemoryBytes(1 << 20).diskBytes(16 * 4096).maxDiskFiles(16).open()) {
            for (int i = 0; i < 5; i++) {
                ch.sender().send("golden memory record " + i);
            }
        }
        Files.deleteIfExists(dir.resolve("hopper.lock"));
    }

    private static void blocks(Path dir) throws Exception {
        try (Channel<String> ch = Hopper.builder(String.class, dir).storage(StorageBackend.FILE_CHANNEL)
                .inMemoryBytes(1).diskBytes(64 * 4096).maxDiskFiles(64).compression(Compression.LZ4_BLOCKS).open()) {
            for (int i = 0; i < 600; i++) {
                ch.sender().send("golden record " + i);
            }
            while (ch.stats().filesCompacted() < ch.stats().diskFiles() - 2) {
                Thread.sleep(10); // the rewrites run on their own thread
            }
            for (int i = 0; i < 40; i++) {
                ch.receiver().receive();
            }
            ch.receiver().commit();
        }
        Files.deleteIfExists(dir.resolve("hopper.lock"));
    }
}
