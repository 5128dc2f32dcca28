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

    /** A ring of {@code slots} slots, a real queue file behind it, and the sender over both. */
    private void open(int slots, OverflowPolicy policy) {
        log = new SegmentLog(dir, new FileChannelStorage(), 64 * 1024, 4);
        appender = new SegmentAppender(log, 0, 0, false);
        ring = new RingDeque<>(slots, 1 << 20, new SenderState(appender, 0));
        SegmentCursor cursor = new SegmentCursor(log, ring.backLock(), 0, false);
        SenderMachine.FileRoom files = new SenderMachine.FileRoom() {
            @Override
            public boolean releaseDrainedFiles() {
                return cursor.releaseDrainedFiles();
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
                false, null, false, 0, policy), files);
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
}
