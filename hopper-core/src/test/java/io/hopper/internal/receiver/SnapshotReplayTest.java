package io.hopper.internal.receiver;

import io.hopper.Compression;
import io.hopper.internal.codec.RawBytes;
import io.hopper.internal.codec.RecordCodec;
import io.hopper.internal.recovery.SnapshotFile;
import io.hopper.internal.segment.FileChannelStorage;
import io.hopper.internal.segment.SegmentCursor;
import io.hopper.internal.segment.SegmentFormat;
import io.hopper.internal.segment.SegmentLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory tier across a close, white-box: {@link SnapshotReplay} on a real {@code snapshot.hop},
 * resuming a replay a crash interrupted, and writing the next one at close.
 */
class SnapshotReplayTest {
    @TempDir
    Path dir;

    private final RecordCodec<byte[]> codec = new RecordCodec<>(new RawBytes(), Compression.NONE,
            SegmentFormat.FRAME_HEADER_BYTES);

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private SegmentCursor cursor() {
        return new SegmentCursor(new SegmentLog(dir, new FileChannelStorage(), 1 << 20, 4), new ReentrantLock(), 0, false);
    }

    /** a, marker 10, b, c, marker 20, d: four records, two markers announcing disk runs between them. */
    private void writeSnapshot() throws IOException {
        try (SnapshotFile.Writer w = new SnapshotFile.Writer(dir, 5)) {
            w.record(codec.encode(bytes("a")));
            w.marker(10);
            w.record(codec.encode(bytes("b")));
            w.record(codec.encode(bytes("c")));
            w.marker(20);
            w.record(codec.encode(bytes("d")));
            w.commit();
        }
    }

    private String step(SnapshotReplay<byte[]> r) {
        byte[] v = r.step();
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    @Test
    void resumingSkipsTheRecordsDeliveredBeforeTheLastStoreButKeepsTheirMarkersLimits() throws IOException {
        writeSnapshot();
        SnapshotReplay<byte[]> r = new SnapshotReplay<>(codec, new RecordCodec.DecodeScratch(), cursor(), dir,
                SnapshotFile.open(dir));
        assertEquals(4, r.records());
        assertEquals(2, r.resume(2), "a and b were delivered before the crash");
        assertEquals(10, r.limitSeen(), "the marker between them still announces its disk records");
        assertEquals(2, r.pending());
        assertEquals(2, r.consumedForStore(true));
        assertFalse(r.unsettled());

        assertEquals("c", step(r));
        assertNull(step(r), "a marker is not a record");
        assertEquals(20, r.limitSeen());
        assertEquals("d", step(r));
        assertTrue(r.active());
        assertNull(step(r));
        assertFalse(r.active(), "the end: the snapshot is deleted");
        assertEquals(0, r.records());
        assertEquals(0, r.pending());
        assertFalse(Files.exists(dir.resolve(SnapshotFile.FILE_NAME)));
    }

    @Test
    void handedOverRecordsCountOnlyOnceTheNextReceiverCallSettles() throws IOException {
        writeSnapshot();
        SnapshotReplay<byte[]> r = new SnapshotReplay<>(codec, new RecordCodec.DecodeScratch(), cursor(), dir,
                SnapshotFile.open(dir));
        assertEquals("a", step(r));
        assertTrue(r.unsettled());
        assertEquals(0, r.consumedForStore(false), "AUTO: the call returning a has not ended, a store must not count it");
        assertEquals(1, r.consumedForStore(true), "MANUAL: a commit after its delivery counts it");
        r.settle();
        assertEquals(1, r.consumedForStore(false));
    }

    @Test
    void theCloseWritesTheRestOfAnOldSnapshotBehindTheNewHeadAndAheadOfTheRing() throws IOException {
        writeSnapshot();
        SnapshotReplay<byte[]> r = new SnapshotReplay<>(codec, new RecordCodec.DecodeScratch(), cursor(), dir,
                SnapshotFile.open(dir));
        assertEquals("a", step(r));
        r.writeAtClose(7, bytes("peeked"), -1, List.of(bytes("ring")), 30);
        r.closed(true);
        assertFalse(r.active());
        SnapshotReplay<byte[]> next = new SnapshotReplay<>(codec, new RecordCodec.DecodeScratch(), cursor(), dir,
                SnapshotFile.open(dir));
        StringBuilder order = new StringBuilder();
        while (next.active()) {
            String v = step(next);
            if (v != null) {
                order.append(v).append(' ');
            } else if (next.active()) {
                order.append('|').append(next.limitSeen()).append(' ');
            }
        }
        assertEquals("peeked |10 b c |20 d ring |30 ", order.toString(),
                "the order: the peeked record, the old snapshot's rest with its markers, the ring, then every disk record");
    }
}
