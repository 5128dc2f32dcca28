package io.hopper.internal.segment;

import io.hopper.Compression;
import io.hopper.internal.codec.EncodedRecord;
import io.hopper.internal.codec.RawBytes;
import io.hopper.internal.codec.RecordCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Touching the pages of the file being written ahead of the producers: it never changes a byte,
 * even racing the writer over the same page; it never touches a sealed or closed file; it stays
 * within its window ahead of the appends; its thread ends with the stream. Real mapped files.
 */
class PretoucherTest {

    @TempDir
    Path dir;

    private static long seed() {
        long seed = Long.getLong("hopper.pretouch.seed", System.nanoTime());
        System.out.println("PretoucherTest seed " + seed + " (rerun with -Dhopper.pretouch.seed=" + seed + ")");
        return seed;
    }

    @Test
    void touchingRacingTheWriterNeverChangesAByte() throws Exception {
        long seed = seed();
        Random rnd = new Random(seed);
        int capacity = 1 << 20;
        for (int round = 0; round < 5; round++) {
            Path file = dir.resolve("race-" + round);
            SegmentWriter w = StorageBackendsTest.chronicle().create(file, capacity);
            assertTrue(w.pretouchable());
            byte[] expected = new byte[capacity];
            AtomicLong written = new AtomicLong();
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long touchSeed = rnd.nextLong();
            // Touches pages around the writer's position, behind it and ahead of it, as fast as it can.
            Thread toucher = new Thread(() -> {
                Random r = new Random(touchSeed);
                try {
                    while (!done.get()) {
                        long at = written.get() + r.nextInt(64 << 10) - (16 << 10);
                        assertTrue(w.pretouch(at, at + r.nextInt(32 << 10)), "an open file accepts touching");
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            toucher.start();
            long pos = 0;
            // Writes of every size, none page-aligned on purpose, many straddling a page edge.
            while (pos < capacity - 8192) {
                int len = 1 + rnd.nextInt(rnd.nextBoolean() ? 64 : 6000);
                byte[] chunk = new byte[len];
                rnd.nextBytes(chunk);
                chunk[0] = (byte) (chunk[0] | 1); // non-zero where a touch lands on its first byte
                w.write(pos, chunk, 0, len);
                System.arraycopy(chunk, 0, expected, (int) pos, len);
                pos += len;
                written.set(pos);
            }
            done.set(true);
            toucher.join();
            assertNull(failure.get(), "seed " + seed);
            w.seal(capacity);
            byte[] actual = Files.readAllBytes(file);
            assertEquals(capacity, actual.length);
            for (int i = 0; i < capacity; i++) {
                if (actual[i] != expected[i]) {
                    throw new AssertionError("seed " + seed + ", round " + round + ": byte " + i + " is " + actual[i]
                            + ", written " + expected[i]);
                }
            }
        }
    }

    @Test
    void aSealedOrClosedFileRefusesToBeTouched() throws Exception {
        for (int round = 0; round < 50; round++) {
            SegmentWriter w = StorageBackendsTest.chronicle().create(dir.resolve("seal-" + round), 256 << 10);
            AtomicBoolean refused = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            // Touches the whole file over and over while the main thread seals (or closes) it.
            Thread toucher = new Thread(() -> {
                try {
                    while (w.pretouch(0, 256 << 10)) {
                        Thread.onSpinWait();
                    }
                    refused.set(true);
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            toucher.start();
            byte[] data = new byte[100];
            Arrays.fill(data, (byte) 7);
            w.write(4096 * 3 - 50, data, 0, data.length);
            if (round % 2 == 0) {
                w.seal(4096 * 4);
            } else {
                w.close();
            }
            toucher.join(TimeUnit.SECONDS.toMillis(30));
            assertNull(failure.get());
            assertTrue(refused.get(), "round " + round + ": touching stops at the seal");
            assertFalse(w.pretouch(0, 4096), "and stays refused");
            w.close();
        }
        byte[] sealed = Files.readAllBytes(dir.resolve("seal-0"));
        assertEquals(4096 * 4, sealed.length);
        assertEquals(7, sealed[4096 * 3 - 50]);
        assertEquals(7, sealed[4096 * 3 + 49]);
    }

    @Test
    void aPositionalWriteBackEndHasNothingToTouch() throws IOException {
        SegmentWriter w = new FileChannelStorage().create(dir.resolve("plain"), 64 << 10);
        assertFalse(w.pretouchable());
        assertFalse(w.pretouch(0, 64 << 10));
        w.close();
        Files.createDirectories(dir.resolve("plain-log"));
        SegmentLog log = new SegmentLog(dir.resolve("plain-log"), new FileChannelStorage(), 4 << 20, 4);
        SegmentAppender a = new SegmentAppender(log, 0, 0, false);
        assertTrue(a.tryAppend(record(100)));
        assertEquals(-1, a.pretoucher().touched(), "no target: nothing to touch");
        assertFalse(toucherThreadAlive(dir.resolve("plain-log")), "and no thread started");
        a.close();
    }

    @Test
    void forcedFilesAreNotTouchedAhead() throws IOException {
        Path logDir = dir.resolve("forced");
        Files.createDirectories(logDir);
        SegmentLog log = new SegmentLog(logDir, StorageBackendsTest.chronicle(), 4 << 20, 4);
        SegmentAppender a = new SegmentAppender(log, 0, 0, true); // any sync policy but NONE
        assertTrue(a.tryAppend(record(100)));
        assertEquals(-1, a.pretoucher().touched(), "a force would write the touched zeros to the device");
        assertFalse(toucherThreadAlive(logDir));
        a.close();
    }

    private final RecordCodec<byte[]> codec = new RecordCodec<>(new RawBytes(), Compression.NONE,
            SegmentFormat.FRAME_HEADER_BYTES);

    private EncodedRecord record(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 1);
        return codec.encode(b);
    }

    private static boolean toucherThreadAlive(Path logDir) {
        String name = "hopper-pretouch " + logDir;
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name) && t.isAlive());
    }

    /** Waits until {@code p} has touched at least {@code at} of the current file; false after 30 s. */
    private static boolean touchedTo(Pretoucher p, long at) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (p.touched() < at) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    @Test
    void theToucherKeepsAWindowAheadOfTheAppendsAndEndsWithTheStream() throws Exception {
        Path logDir = dir.resolve("log");
        Files.createDirectories(logDir);
        long segment = 8L << 20;
        SegmentLog log = new SegmentLog(logDir, StorageBackendsTest.chronicle(), segment * 4, 4);
        SegmentAppender a = new SegmentAppender(log, 0, 0, false);
        Pretoucher p = a.pretoucher();
        assertEquals(-1, p.touched(), "nothing before the first file");
        assertTrue(a.tryAppend(record(1000)));
        long end = log.bytes(); // where the first file's appends end
        long frame = end - SegmentFormat.FILE_HEADER_BYTES;
        assertTrue(touchedTo(p, SegmentFormat.FILE_HEADER_BYTES + Pretoucher.WINDOW), "the first window is touched once the file exists");
        Thread.sleep(20);
        assertTrue(p.touched() <= SegmentFormat.FILE_HEADER_BYTES + Pretoucher.WINDOW,
                "no further than a window ahead: " + p.touched());
        assertTrue(toucherThreadAlive(logDir));
        // The append that brings the touched region within the low-water mark asks for the next stretch.
        while (end + Pretoucher.LOW_WATER <= SegmentFormat.FILE_HEADER_BYTES + Pretoucher.WINDOW) {
            assertTrue(a.tryAppend(record(1000)));
            end = log.bytes();
        }
        assertTrue(touchedTo(p, end + Pretoucher.WINDOW), "the window moves with the appends: touched " + p.touched() + ", appends end at " + end);
        Thread.sleep(20);
        assertTrue(p.touched() <= end + Pretoucher.WINDOW, "still no further than a window: " + p.touched());
        // Rotating to the next file starts over at its beginning; the sealed one is left alone.
        long first = SegmentFormat.FILE_HEADER_BYTES;
        while (log.files() < 2) {
            assertTrue(a.tryAppend(record(1000)));
        }
        assertTrue(touchedTo(p, first + Pretoucher.WINDOW));
        assertTrue(p.touched() <= first + frame + Pretoucher.WINDOW, "the new file's window: " + p.touched());
        a.close();
        assertFalse(toucherThreadAlive(logDir), "the thread ends with the stream");
        assertEquals(-1, p.touched());
        // The sealed files read back as written: every frame is intact.
        try (var files = Files.list(logDir)) {
            for (Path f : files.sorted().toList()) {
                byte[] b = Files.readAllBytes(f);
                int at = SegmentFormat.FILE_HEADER_BYTES;
                while (SegmentFormat.frameFlags(b, at) != SegmentFormat.FLAG_END) {
                    assertTrue(SegmentFormat.frameHeaderValid(b, at), f + " at " + at);
                    at += SegmentFormat.FRAME_HEADER_BYTES + SegmentFormat.framePayloadLength(b, at);
                }
                assertEquals(b.length, at + SegmentFormat.END_FRAME_BYTES, "trimmed after its END frame");
            }
        }
    }
}
