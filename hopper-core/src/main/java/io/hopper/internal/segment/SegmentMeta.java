package io.hopper.internal.segment;

import java.nio.file.Path;

/**
 * What the channel knows about one live queue file. The writer updates the volatile fields under
 * the back lock as it appends; the reader learns about a record only through the ring or the back
 * lock (both of which order it after the writer's update), so the values it reads are at least
 * as new as the records it was told about. A reader that needs {@code endIndex} and
 * {@code dataEnd} as one consistent pair reads them under the back lock.
 */
public final class SegmentMeta {
    final long sequence;
    final Path path;
    /** Disk-stream index of the file's first record. */
    final long firstIndex;
    /** Index after the file's last record frame. Writer: back lock. */
    volatile long endIndex;
    /**
     * Byte offset after the file's last record frame (where the END frame goes). Writer: back lock
     * while the file is filled; once sealed, only the compactor's swap changes it, under the
     * cursor's file lock, where the consumer has not opened the file.
     */
    volatile long dataEnd;
    /** The END frame is written at {@link #dataEnd}; no more frames will come. Writer: back lock. */
    volatile boolean sealed;
    /**
     * The writer must seal this file at its next append and start a new one: the reader found it
     * damaged while it was still being written (so later records must not go where the reader
     * cannot reach them), or {@code OverflowPolicy.DROP_OLDEST} wants to evict it. Read by the
     * writer under the back lock; set by the reader under the back lock, or by an evicting
     * producer under the cursor's file lock alone (volatile: the writer sees it at its next
     * append; a file sealed meanwhile ignores it).
     */
    volatile boolean abandoned;
    /**
     * The file is in shared blocks (format version 2): rewritten by the compactor (under the file
     * lock), or found so at open (before the channel is published).
     */
    volatile boolean compacted;

    SegmentMeta(long sequence, Path path, long firstIndex, long dataEnd) {
        this.sequence = sequence;
        this.path = path;
        this.firstIndex = firstIndex;
        this.endIndex = firstIndex;
        this.dataEnd = dataEnd;
    }

    /** Bytes the file occupies in the disk budget. */
    long footprint() {
        return dataEnd + (sealed ? SegmentFormat.END_FRAME_BYTES : 0);
    }

    /** Bytes a reader may look at: the records, plus the END frame once sealed. */
    long readableEnd() {
        boolean s = sealed; // read before dataEnd: once sealed, dataEnd is final
        long end = dataEnd;
        return s ? end + SegmentFormat.END_FRAME_BYTES : end;
    }
}
