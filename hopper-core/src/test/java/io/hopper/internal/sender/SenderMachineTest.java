package io.hopper.internal.sender;

import io.hopper.Compression;
import io.hopper.OverflowPolicy;
import io.hopper.Serializer;
import io.hopper.internal.codec.RecordCodec;
import io.hopper.internal.placement.DiskRun;
import io.hopper.internal.ring.RingDeque;
import io.hopper.internal.segment.FileChannelStorage;
import io.hopper.internal.segment.SegmentAppender;
import io.hopper.internal.segment.SegmentCursor;
import io.hopper.internal.segment.SegmentFormat;
import io.hopper.internal.segment.SegmentLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The producers' state machine, white-box: placement in the ring or the queue file, and the
 * marker that keeps one order across both tiers, seen in the ring and the counters themselves.
 */
class SenderMachineTest {
    @TempDir
    Path dir;

    private SegmentLog log;
    private SegmentAppender appender;
    private RingDeque<SenderState> ring;
    private SenderMachine<String> sender;
    private SegmentCursor cursor;
    /** Runs on the sender's thread after each release of drained files, told whether one was deleted. */
    private Consumer<Boolean> afterRelease = deleted -> { };

    /** A ring of {@code slots} slots, real queue files behind it, and the sender over both. */
    private void open(int slots, OverflowPolicy policy) {
        open(slots, 1 << 20, 64 * 1024, 4, policy);
    }

    /**
     * A ring of {@code slots} slots and {@code memBytes} bytes, up to {@code files} real queue files
     * sharing {@code diskBytes}, and the sender over both.
     */
    private void open(int slots, long memBytes, long diskBytes, int files, OverflowPolicy policy) {
        log = new SegmentLog(dir, new FileChannelStorage(), diskBytes, files);
        appender = new SegmentAppender(log, 0, 0, false);
        ring = new RingDeque<>(slots, memBytes, new SenderState(appender, 0));
        cursor = new SegmentCursor(log, ring.backLock(), 0, false);
        SenderMachine.FileRoom room = new SenderMachine.FileRoom() {
            @Override
            public boolean releaseDrainedFiles() {
                boolean deleted = cursor.releaseDrainedFiles();
                afterRelease.accept(deleted);
                return deleted;
            }

            @Override
            public long evictOldest() {
                try {
                    return cursor.evictOldest();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public long recordsEvicted() {
                return cursor.recordsEvicted();
            }
        };
        RecordCodec<String> codec = new RecordCodec<>(Serializer.kryo(String.class), Compression.LZ4, SegmentFormat.FRAME_HEADER_BYTES);
        sender = new SenderMachine<>(ring, codec, s -> 16, new SenderMachine.Settings(log.maxFrameBytes(), dir,
                false, null, false, 0, policy), room);
    }

    /**
     * Reads every record on disk as the consumer does (locate, deliver), then begins its next
     * call (AUTO: what was delivered is handed over), so the files it read may be deleted.
     */
    private void readAllAndSettle() {
        while (cursor.readIndex() < appender.nextIndex()) {
            assertEquals(SegmentCursor.LOCATED, cursor.locate(cursor.readIndex()));
            cursor.consumedAndReleased();
        }
        cursor.settle();
    }

    /** Takes the ring's front element as the consumer does, under the front lock. */
    private Object poll() {
        ring.frontLock().lock();
        try {
            return ring.pollFront();
        } finally {
            ring.frontLock().unlock();
        }
    }

    private static String text(java.util.Random rnd, int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append((char) ('a' + rnd.nextInt(26)));
        }
        return sb.toString();
    }

    @Test
    void aFullRingSendsRecordsToDiskAndAMarkerKeepsTheirPlaceWhenMemoryComesBack() throws Exception {
        open(2, OverflowPolicy.BLOCK);
        SenderState state = ring.backState();
        assertTrue(sender.offer("a", false, 0));
        assertTrue(sender.offer("b", false, 0));
        assertEquals(0, state.spilled(), "memory mode: the hot path, nothing encoded");
        assertTrue(sender.offer("c", false, 0), "the ring is full: to disk");
        assertEquals(1, state.spilled());
        assertEquals(1, appender.nextIndex());

        assertEquals("a", poll());
        assertTrue(sender.offer("d", false, 0), "one free slot is no room for a marker and a record: disk");
        assertEquals(2, state.spilled());
        assertEquals(0, state.markersPushed());

        assertEquals("b", poll());
        assertTrue(sender.offer("e", false, 0));
        assertEquals(2, state.spilled(), "two free slots: back to memory");
        assertEquals(1, state.markersPushed());
        DiskRun marker = assertInstanceOf(DiskRun.class, poll(),
                "the marker comes first: c and d, on disk, precede e");
        assertEquals(2, marker.end());
        assertEquals("e", poll());
        assertNull(poll());
        assertEquals(5, state.accepted());
        appender.close();
    }

    @Test
    void aBatchGoesIntoTheRingContiguouslyUntilItIsFullThenToDiskInOrder() throws Exception {
        open(4, OverflowPolicy.BLOCK);
        int[] accepted = {0};
        assertEquals(6, sender.offerAll(List.of("1", "2", "3", "4", "5", "6"), false, accepted));
        assertEquals(6, accepted[0]);
        SenderState state = ring.backState();
        assertEquals(2, state.spilled(), "four in memory, the rest on disk behind them");
        for (String expected : List.of("1", "2", "3", "4")) {
            assertEquals(expected, poll());
        }
        assertNull(poll(), "no marker: the disk records follow everything in memory, unannounced");
        assertEquals(2, appender.nextIndex());
        appender.close();
    }

    @Test
    void whenBothTiersAreFullDropNewestDropsTheNewRecordAndCountsIt() throws Exception {
        open(1, OverflowPolicy.DROP_NEWEST);
        SenderState state = ring.backState();
        java.util.Random rnd = new java.util.Random(7);
        int sent = 0;
        boolean accepted;
        do {
            accepted = sender.offer(text(rnd, 2000), false, 0);
            sent++;
        } while (accepted && sent < 10_000);
        assertFalse(accepted, "memory (one slot) and the four queue files fill up");
        assertEquals(1, state.dropped(), "refused, and counted as dropped");
        assertEquals(sent - 1, state.accepted());
        assertEquals(sent - 2, state.spilled(), "all but the one in memory went to disk");
        appender.close();
    }

    /**
     * A sender refused disk room spends its release of drained files, and another producer takes
     * the room that release made and fills the new file, which the consumer reads to its end and
     * then waits. The sender's next append seals that file and is refused again: the file is
     * deletable, and nobody but this sender is there to delete it. It must release it rather than
     * wait for a wake-up that no one owes it. (Found as a 30-second stall in
     * {@code ChannelProperties} with one small queue file; this is that interleaving, made
     * deterministic by running the other producer and the consumer inside the first release.)
     */
    @Test
    void aSenderWhoseAppendSealsAReadFileReleasesItInsteadOfWaitingForAWakeUp() throws Exception {
        AtomicBoolean first = new AtomicBoolean(true);
        ExecutorService other = Executors.newSingleThreadExecutor();
        open(1, 0, 1024, 1, OverflowPolicy.BLOCK);
        afterRelease = deleted -> {
            if (first.getAndSet(false)) {
                assertTrue(deleted, "the first file was read to its end");
                try {
                    // Another producer takes the room and fills the new file; the consumer reads it.
                    other.submit(() -> sender.offer(text(new java.util.Random(2), 600), true, Long.MAX_VALUE))
                            .get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                readAllAndSettle();
            }
        };
        java.util.Random rnd = new java.util.Random(1);
        // No memory: every record goes to the one queue file, which holds one of these at a time.
        assertTrue(sender.offer(text(rnd, 600), false, 0));
        readAllAndSettle();
        String last = text(rnd, 600);
        ExecutorService producer = Executors.newSingleThreadExecutor();
        Future<Boolean> sending = producer.submit(() -> sender.offer(last, true, Long.MAX_VALUE));
        try {
            assertTrue(sending.get(30, TimeUnit.SECONDS),
                    "the sender deleted the file its append sealed and placed its record");
        } catch (TimeoutException e) {
            throw new AssertionError("after 30 s the sender still waits for room, though the file its append"
                    + " sealed is read to its end and deletable (files " + log.files() + ", read index "
                    + cursor.readIndex() + ")", e);
        } finally {
            producer.shutdownNow(); // interrupts a sender that waits in vain, so the test ends
            other.shutdownNow();
        }
        assertEquals(3, appender.nextIndex());
        assertEquals(3, log.filesDeleted() + log.files(), "two files deleted, the third holds the last record");
        appender.close();
    }
}
