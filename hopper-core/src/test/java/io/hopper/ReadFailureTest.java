package io.hopper;

import io.hopper.internal.segment.ForwardingSegmentStorage;
import io.hopper.internal.segment.SegmentReader;
import io.hopper.internal.segment.SegmentStorage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A queue file that cannot be read for a while (an I/O error: a device hiccup, too many open
 * files), as opposed to bytes that fail their checks: never taken for damage. A read that fails is
 * repeated on a freshly opened handle; if that fails too, the receive throws
 * {@link StorageException} with nothing taken, skipped or counted, and the next receive reads
 * again. (Before, a failed read was taken for a file shorter than its header, and every record in
 * the file was written off.)
 */
class ReadFailureTest {
    @TempDir
    Path dir;

    /** Fails this many of the next reads and opens of queue files for reading. */
    private final AtomicInteger readFailures = new AtomicInteger();
    private final AtomicInteger openFailures = new AtomicInteger();

    private Channel<Long> open(StorageBackend storage) throws Exception {
        return Hopper.builder(Long.class, dir.resolve("ch")).storage(storage).inMemoryBytes(0)
                .diskBytes(1 << 20).maxDiskFiles(4).storageWrapper(s -> new Failing(s)).open();
    }

    private void send(Channel<Long> ch, long from, long to) {
        for (long i = from; i < to; i++) {
            assertTrue(ch.sender().offer(i));
        }
    }

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void aReadThatFailsOnceIsRepeatedOnAFreshHandle(StorageBackend storage) throws Exception {
        try (Channel<Long> ch = open(storage)) {
            send(ch, 0, 100);
            readFailures.set(1);
            for (long i = 0; i < 100; i++) {
                assertEquals(i, ch.receiver().poll());
            }
            assertEquals(0, readFailures.get(), "the failure happened");
            assertEquals(0, ch.stats().recordsLost() + ch.stats().corruptFramesSkipped(), ch.stats().toString());
        }
    }

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void aFileThatCannotBeReadForAWhileIsAStorageErrorNotDamage(StorageBackend storage) throws Exception {
        try (Channel<Long> ch = open(storage)) {
            send(ch, 0, 100);
            readFailures.set(4); // the read and its repeat fail, twice
            StorageException e = assertThrows(StorageException.class, () -> ch.receiver().poll());
            assertTrue(e.getMessage().contains("nothing was skipped"), e.getMessage());
            assertThrows(StorageException.class, () -> ch.receiver().poll());
            List<Long> sink = new ArrayList<>();
            assertEquals(100, ch.receiver().drainTo(sink, 1000), "the next receive reads again");
            for (long i = 0; i < 100; i++) {
                assertEquals(i, sink.get((int) i));
            }
            assertEquals(0, ch.stats().recordsLost() + ch.stats().corruptFramesSkipped(), ch.stats().toString());
        }
    }

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void aFileThatCannotBeOpenedIsAStorageErrorNotDamage(StorageBackend storage) throws Exception {
        try (Channel<Long> ch = open(storage)) {
            send(ch, 0, 10);
            openFailures.set(1);
            assertThrows(StorageException.class, () -> ch.receiver().poll());
            for (long i = 0; i < 10; i++) {
                assertEquals(i, ch.receiver().poll());
            }
            assertNull(ch.receiver().poll());
            assertEquals(0, ch.stats().recordsLost() + ch.stats().corruptFramesSkipped(), ch.stats().toString());
        }
    }

    /** A back end whose readers fail while the counters say so. */
    private final class Failing extends ForwardingSegmentStorage {
        Failing(SegmentStorage delegate) {
            super(delegate);
        }

        @Override
        public SegmentReader openForRead(Path path) throws IOException {
            if (openFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new IOException("Too many open files (injected)");
            }
            SegmentReader r = super.openForRead(path);
            return new SegmentReader() {
                @Override
                public int read(long position, byte[] dst, int off, int len) throws IOException {
                    if (readFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        throw new IOException("Input/output error (injected)");
                    }
                    return r.read(position, dst, off, len);
                }

                @Override
                public void close() throws IOException {
                    r.close();
                }
            };
        }
    }
}
