package io.hopper.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.hopper.Channel;
import io.hopper.Compression;
import io.hopper.Hopper;
import io.hopper.StorageBackend;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The public API driven by the fuzzer against a model. The fuzzer's bytes pick the budgets,
 * the storage back end and compression, then a sequence of operations on one thread: send,
 * poll, timed poll, drainTo, flush, commit, close-and-reopen with new budgets, and flipping a
 * byte in a queue file. Until a byte is flipped, the channel must agree exactly with the model
 * (what was accepted and not yet received, in order). After one, it may lose records, but only
 * as counted damage: everything it returns must still be a record that was sent, in order, never
 * twice.
 *
 * <p>{@code hopper-fuzz/fuzz.sh operations MINUTES} fuzzes it.
 */
class OperationsFuzzTest {
    /** {@code -Dhopper.fuzz.trace=true} prints each operation, to read a finding. */
    private static final boolean TRACE = Boolean.getBoolean("hopper.fuzz.trace");

    @FuzzTest(maxDuration = "24h")
    void operations(FuzzedDataProvider data) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("hopper-fuzz-ops-");
        Path chDir = dir.resolve("ch");
        StorageBackend storage = data.consumeBoolean() ? StorageBackend.CHRONICLE_BYTES : StorageBackend.FILE_CHANNEL;
        Compression compression = data.consumeBoolean() ? Compression.LZ4 : Compression.NONE;
        Model model = new Model();
        Channel<Long> ch = open(chDir, storage, compression, data);
        try {
            for (int op = 0; op < 200 && data.remainingBytes() > 0; op++) {
                int kind = data.consumeInt(0, 7);
                if (TRACE) {
                    System.err.println("op " + kind + " pending=" + model.pending + " stats=" + ch.stats());
                }
                switch (kind) {
                    case 0 -> {
                        int n = data.consumeInt(1, 64);
                        for (int i = 0; i < n; i++) {
                            long v = model.nextValue;
                            if (!ch.sender().offer(v)) {
                                break;
                            }
                            model.accepted(v);
                        }
                    }
                    case 1 -> {
                        int n = data.consumeInt(1, 64);
                        for (int i = 0; i < n; i++) {
                            Long v = ch.receiver().poll();
                            if (v == null) {
                                model.nothingAvailable();
                                break;
                            }
                            model.received(v);
                        }
                    }
                    case 2 -> {
                        Long v = ch.receiver().poll(data.consumeInt(0, 2), TimeUnit.MILLISECONDS);
                        if (v == null) {
                            model.nothingAvailable();
                        } else {
                            model.received(v);
                        }
                    }
                    case 3 -> {
                        List<Long> sink = new ArrayList<>();
                        ch.receiver().drainTo(sink, data.consumeInt(0, 100));
                        sink.forEach(model::received);
                    }
                    case 4 -> ch.sender().flush();
                    case 5 -> ch.receiver().commit();
                    case 6 -> {
                        ch.close();
                        ch = open(chDir, storage, compression, data);
                    }
                    default -> {
                        if (flipAByte(chDir, data)) {
                            model.lossy = true;
                        }
                    }
                }
            }
            Long v;
            while ((v = ch.receiver().poll()) != null) {
                model.received(v);
            }
            model.nothingAvailable();
            assertTrue(ch.sender().offer(model.nextValue));
            assertEquals(model.nextValue, ch.receiver().poll());
        } finally {
            ch.close();
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static Channel<Long> open(Path dir, StorageBackend storage, Compression compression,
                                      FuzzedDataProvider data) throws IOException {
        int files = data.consumeInt(1, 8);
        // Read-ahead on for an odd file count: both ways covered, and the inputs kept as
        // regression cases still make the same choices they were found with.
        boolean readAhead = files % 2 == 1;
        if (TRACE) {
            System.err.println("open " + storage + " " + compression + " files=" + files + " readAhead=" + readAhead);
        }
        return Hopper.builder(Long.class, dir).storage(storage).compression(compression)
                .inMemoryBytes(data.consumeLong(0, 800)).weigher(x -> 8)
                .diskBytes(files * (long) data.consumeInt(256, 4096)).maxDiskFiles(files)
                .readAhead(readAhead).open();
    }

    /** Flips one byte of one queue file, chosen by the fuzzer; false when there is none to flip. */
    private static boolean flipAByte(Path dir, FuzzedDataProvider data) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().startsWith("segment-")).sorted().toList();
        }
        if (files.isEmpty()) {
            return false;
        }
        Path victim = files.get(data.consumeInt(0, files.size() - 1));
        try (RandomAccessFile raf = new RandomAccessFile(victim.toFile(), "rw")) {
            long len = raf.length();
            if (len == 0) {
                return false;
            }
            long at = data.consumeLong(0, len - 1);
            raf.seek(at);
            int b = raf.read();
            raf.seek(at);
            raf.write(b ^ (1 << data.consumeInt(0, 7)));
        } catch (java.nio.file.NoSuchFileException | java.io.FileNotFoundException gone) {
            return false; // the consumer deleted it meanwhile
        }
        return true;
    }

    /** What was accepted and not yet received, in order; lossy once a queue file was damaged. */
    static final class Model {
        final ArrayDeque<Long> pending = new ArrayDeque<>();
        long nextValue;
        boolean lossy;

        void accepted(long v) {
            pending.addLast(v);
            nextValue = v + 1;
        }

        void received(Long v) {
            if (!lossy) {
                assertEquals(pending.peekFirst(), v, "the model's next record");
                pending.removeFirst();
                return;
            }
            assertTrue(pending.contains(v), "a record that was not pending (never sent, or returned twice): " + v);
            while (!pending.removeFirst().equals(v)) {
                // records before v were lost to the damage (the channel counts them)
            }
        }

        void nothingAvailable() {
            if (!lossy) {
                assertNull(pending.peekFirst(), "the model still holds " + pending.size() + " records");
            }
        }
    }
}
