package io.hopper.internal.segment;

import io.hopper.Compression;
import io.hopper.internal.codec.RawBytes;
import io.hopper.internal.codec.RecordCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reading end of the disk stream, white-box: the cursor with its head files, on real queue
 * files written by a real appender, without the channel around it. The channel-level tests show
 * these behaviours through the API; here each is pinned where it happens.
 */
class SegmentCursorTest {
    private static final int RECORD = 100;
    private static final long FILE_BYTES = 4096;

    @TempDir
    Path dir;

    private final RecordCodec<byte[]> codec = new RecordCodec<>(new RawBytes(), Compression.NONE,
            SegmentFormat.FRAME_HEADER_BYTES);
    private final RecordCodec.DecodeScratch scratch = new RecordCodec.DecodeScratch();
    private final ReentrantLock backLock = new ReentrantLock();

    private static byte[] record(long index) {
        byte[] b = new byte[RECORD];
        Arrays.fill(b, (byte) index);
        b[0] = (byte) (index >>> 8);
        return b;
    }

    private SegmentLog log;
    private SegmentAppender a;

    /**
     * Real queue files of 4 KiB, {@code files} of them in the budget, holding records 0, 1, ...:
     * {@code records} of them, or, with -1, as many as the budget takes.
     *
     * @return how many went in
     */
    private long write(int files, long records) throws IOException {
        log = new SegmentLog(dir, new FileChannelStorage(), FILE_BYTES * files, files);
        a = new SegmentAppender(log, 0, 0, false);
        long n = 0;
        while ((records < 0 || n < records) && a.tryAppend(codec.encode(record(n)))) {
            n++;
        }
        if (records >= 0) {
            assertEquals(records, n, "the budget takes every record");
        }
        return n;
    }

    private byte[] located(SegmentCursor c) {
        return codec.decode(c.window(), c.payloadOffset(), c.payloadLength(), c.codec(), scratch);
    }

    /** Reads the next record: locates it (skipping file ends) and consumes it. */
    private byte[] take(SegmentCursor c) {
        for (int tries = 0; tries < 10; tries++) {
            if (c.locate(c.readIndex()) == SegmentCursor.LOCATED) {
                byte[] v = located(c);
                c.consumedAndReleased(); // as the receiver does after each record
                return v;
            }
        }
        throw new AssertionError("no record at " + c.readIndex());
    }

    @Test
    void evictingTheFileOfALocatedFrameCountsItDeliveredAndTheReadIndexNeverMovesBack() throws IOException {
        long written = write(3, -1);
        SegmentCursor c = new SegmentCursor(log, backLock, 0, false);
        List<Long> storedBeforeEvict = new ArrayList<>();
        c.onBeforeEvict(storedBeforeEvict::add);
        SegmentMeta first = log.live.peekFirst();
        long firstEnd = first.endIndex;

        assertTrue(c.locate(0) == SegmentCursor.LOCATED, "record 0 is located (a peek leaves it so)");
        assertArrayEquals(record(0), located(c));
        long discarded = c.evictOldest();

        assertEquals(firstEnd - 1, discarded, "the located record counts as delivered, the rest of its file is evicted");
        assertEquals(List.of(firstEnd), storedBeforeEvict, "the position past the file is stored before it goes");
        assertFalse(Files.exists(first.path));
        assertTrue(c.locatedFrameEvicted());
        assertEquals(firstEnd, c.readIndex());
        assertArrayEquals(record(0), located(c), "the located record's bytes stay readable after its file went");
        c.consumedAndReleased(); // as the receiver does after each record
        assertEquals(firstEnd, c.readIndex(), "consuming it does not move the read index back");
        assertFalse(c.locatedFrameEvicted());
        assertArrayEquals(record(firstEnd), take(c), "reading goes on at the next file's first record");
        assertEquals(firstEnd - 1, c.recordsEvicted());
        assertEquals(1, c.filesEvicted());
        assertTrue(written > firstEnd + 1);
        a.close();
        c.close();
    }

    @Test
    void aStaleReadIndexLocatesNothingAfterAnEviction() throws IOException {
        write(3, -1);
        SegmentCursor c = new SegmentCursor(log, backLock, 0, false);
        long firstEnd = log.live.peekFirst().endIndex;
        c.evictOldest();
        assertFalse(c.locate(0) == SegmentCursor.LOCATED, "the caller's limit check was made for index 0: it must look again");
        assertTrue(c.locate(firstEnd) == SegmentCursor.LOCATED);
        assertArrayEquals(record(firstEnd), located(c));
        a.close();
        c.close();
    }

    @Test
    void underManualCommitsAReadFileStaysUntilACommitPassesIt() throws IOException {
        write(4, 60);
        SegmentCursor c = new SegmentCursor(log, backLock, 0, true);
        List<Long> storedBeforeDelete = new ArrayList<>();
        c.onBeforeDelete(storedBeforeDelete::add);
        SegmentMeta first = log.live.peekFirst();
        assertTrue(first.sealed, "60 records of 100 B fill more than one 4 KiB file");
        long firstEnd = first.endIndex;
        for (long i = 0; i <= firstEnd; i++) { // through the first file, and one record of the second
            assertArrayEquals(record(i), take(c));
        }
        assertTrue(Files.exists(first.path), "read, but not committed: kept");
        assertFalse(c.settle(), "MANUAL: a receiver call does not release anything");
        assertFalse(c.releaseDrainedFiles());
        assertTrue(Files.exists(first.path));

        c.fileLock().lock();
        try {
            c.committed(firstEnd - 1); // not past its last record yet
        } finally {
            c.fileLock().unlock();
        }
        assertFalse(c.releaseDrainedFiles());
        assertTrue(Files.exists(first.path));

        c.fileLock().lock();
        try {
            c.committed(firstEnd);
        } finally {
            c.fileLock().unlock();
        }
        assertTrue(c.releaseDrainedFiles(), "a commit past its last record releases it");
        assertFalse(Files.exists(first.path));
        assertEquals(List.of(firstEnd), storedBeforeDelete);
        a.close();
        c.close();
    }

    @Test
    void underAutoCommitsAReadFileGoesWhenTheNextReceiverCallBegins() throws IOException {
        write(4, 60);
        SegmentCursor c = new SegmentCursor(log, backLock, 0, false);
        SegmentMeta first = log.live.peekFirst();
        for (long i = 0; i < first.endIndex; i++) {
            assertArrayEquals(record(i), take(c));
        }
        assertFalse(c.releaseDrainedFiles(), "read to its end (as the receiver checks after each record), but...");
        assertTrue(Files.exists(first.path),
                "...the call that returned its last record has not ended: a crash now must find the file");
        assertTrue(c.settle(), "the next call begins: everything before it was handed over");
        assertFalse(Files.exists(first.path));
        a.close();
        c.close();
    }

    @Test
    void theCompactorSwapsOnlyAFileTheConsumerHasNotOpened() throws IOException {
        write(4, 100);
        SegmentCursor c = new SegmentCursor(log, backLock, 0, false);
        assertArrayEquals(record(0), take(c)); // opens the first file
        SegmentMeta first = log.live.peekFirst();
        SegmentMeta second = log.live.stream().skip(1).findFirst().orElseThrow();
        int[] swaps = {0};
        assertFalse(c.swapIfUnread(first, () -> swaps[0]++), "the consumer holds offsets into it");
        assertTrue(c.swapIfUnread(second, () -> swaps[0]++));
        assertEquals(1, swaps[0]);
        a.close();
        c.close();
    }
}
