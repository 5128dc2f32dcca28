package io.hopper.internal.segment;

import io.hopper.internal.concurrent.VarHandles;
import io.hopper.internal.file.DirectorySync;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The disk tier of one channel: its directory, its storage back end, its budget and the ordered
 * list of live queue files. The {@link SegmentAppender} (producers, back lock) adds files at the
 * tail and the {@link SegmentCursor} (consumer, front lock) removes them from the head.
 *
 * <p>Budget: the disk budget is split into {@code maxFiles} files of {@code segmentBytes} each,
 * and no file grows past {@code segmentBytes}, so the bytes on disk never exceed
 * {@code maxFiles * segmentBytes <= diskBytes}. When sealed files are rewritten in blocks, the
 * bound is kept in bytes instead ({@link #reserveFile()}). {@code files} only grows under the back lock
 * (check-then-create by one producer at a time) and only shrinks under the cursor's file lock (a
 * read file deleted, or an evicted one), so the file bound cannot be overshot.
 */
public final class SegmentLog {
    final Path directory;
    final SegmentStorage storage;
    final long segmentBytes;
    final int maxFiles;
    /**
     * Sealed files are rewritten in blocks ({@link SegmentCompactor}): the budget then counts
     * bytes, not files, and keeps one file's share free for a rewrite's copy. Immutable.
     */
    final boolean compacting;

    /**
     * Live files, oldest first. Tail: added by the appender under the back lock. Head: removed under
     * the cursor's file lock, by the consumer finishing a file or by a producer evicting one
     * ({@code DROP_OLDEST}). A concurrent deque, so each end's owner needs no lock of the other.
     */
    final ConcurrentLinkedDeque<SegmentMeta> live = new ConcurrentLinkedDeque<>();
    /** Live file count. */
    final AtomicInteger files = new AtomicInteger();
    /** Bytes in live files (their footprints). */
    final AtomicLong bytes = new AtomicLong();
    /** Files the consumer has deleted. */
    final AtomicLong filesDeleted = new AtomicLong();
    /**
     * Guarded: back lock. Writer: the appender (release; the counter idiom, {@link VarHandles}).
     * Bytes appended since open: frames, file headers and END frames.
     */
    private long bytesWritten;
    /** Guarded: back lock. Writer: the appender (release). Serialized size (before compression) of the records appended since open. */
    private long recordBytesWritten;
    /** Guarded: back lock. Writer: the appender (release). Payload bytes (after compression) of the records appended since open. */
    private long payloadBytesWritten;
    private static final VarHandle BYTES_WRITTEN = VarHandles.field(MethodHandles.lookup(), "bytesWritten", long.class);
    private static final VarHandle RECORD_BYTES_WRITTEN = VarHandles.field(MethodHandles.lookup(), "recordBytesWritten", long.class);
    private static final VarHandle PAYLOAD_BYTES_WRITTEN = VarHandles.field(MethodHandles.lookup(), "payloadBytesWritten", long.class);
    /** Files the compactor rewrote in blocks since open, and the bytes that gave back to the budget. */
    final AtomicLong filesCompacted = new AtomicLong();
    final AtomicLong bytesSavedByCompaction = new AtomicLong();
    /**
     * Forces of queue files to the device: count, total and longest duration. Forces happen under
     * the back lock (seal, timer, flush) or the sync lock (group commit), so two threads may count
     * at once: atomics.
     */
    private final AtomicLong forces = new AtomicLong();
    private final AtomicLong forceNanos = new AtomicLong();
    private final AtomicLong maxForceNanos = new AtomicLong();

    public SegmentLog(Path directory, SegmentStorage storage, long diskBytes, int maxFiles) {
        this(directory, storage, diskBytes, maxFiles, false);
    }

    /**
     * @param compacting whether sealed files are rewritten in blocks: needs {@code maxFiles >= 2},
     *                   since one file's share of the budget is kept for the rewrite's copy
     */
    public SegmentLog(Path directory, SegmentStorage storage, long diskBytes, int maxFiles, boolean compacting) {
        if (compacting && maxFiles < 2) {
            throw new IllegalArgumentException("Compression.LZ4_BLOCKS keeps one queue file's share of the disk budget"
                    + " for rewriting files: maxDiskFiles must be at least 2, got " + maxFiles);
        }
        this.directory = directory;
        this.storage = storage;
        this.maxFiles = maxFiles;
        this.compacting = compacting;
        this.segmentBytes = storage.alignCapacity(diskBytes / maxFiles);
        if (segmentBytes < SegmentFormat.MIN_SEGMENT_BYTES) {
            throw new IllegalArgumentException("diskBytes / maxDiskFiles = " + segmentBytes
                    + " bytes per file is below the minimum of " + SegmentFormat.MIN_SEGMENT_BYTES);
        }
    }

    public Path directory() {
        return directory;
    }

    public String storageName() {
        return storage.name();
    }

    /** Capacity of one queue file. */
    public long segmentBytes() {
        return segmentBytes;
    }

    /** Largest frame (header and payload) a queue file can hold. */
    public long maxFrameBytes() {
        return SegmentFormat.FRAME_HEADER_BYTES + SegmentFormat.maxPayload(segmentBytes);
    }

    public int maxFiles() {
        return maxFiles;
    }

    /**
     * The most files that can be live at once: {@link #maxFiles()}, or with rewriting in blocks
     * {@link #COMPACTED_FILES_FACTOR} times as many (smaller) files.
     */
    public int maxLiveFiles() {
        return compacting ? (int) Math.min(Integer.MAX_VALUE / 2, (long) maxFiles * COMPACTED_FILES_FACTOR) : maxFiles;
    }

    /** With rewriting in blocks, at most this many times {@code maxFiles} files are live (each smaller). */
    static final int COMPACTED_FILES_FACTOR = 64;

    public long filesCompacted() {
        return filesCompacted.get();
    }

    public long bytesSavedByCompaction() {
        return bytesSavedByCompaction.get();
    }

    public int files() {
        return files.get();
    }

    public long bytes() {
        return bytes.get();
    }

    public long filesDeleted() {
        return filesDeleted.get();
    }

    /** {@code n} more bytes appended that belong to no record (a file header, an END frame). Back lock held. */
    void countWritten(long n) {
        BYTES_WRITTEN.setRelease(this, bytesWritten + n);
    }

    /** One record's frame of {@code frame} bytes appended, {@code serialized} bytes before compression, {@code payload} after. Back lock held. */
    void countRecordWritten(long frame, long serialized, long payload) {
        BYTES_WRITTEN.setRelease(this, bytesWritten + frame);
        RECORD_BYTES_WRITTEN.setRelease(this, recordBytesWritten + serialized);
        PAYLOAD_BYTES_WRITTEN.setRelease(this, payloadBytesWritten + payload);
    }

    public long bytesWritten() {
        return (long) BYTES_WRITTEN.getAcquire(this);
    }

    public long recordBytesWritten() {
        return (long) RECORD_BYTES_WRITTEN.getAcquire(this);
    }

    public long payloadBytesWritten() {
        return (long) PAYLOAD_BYTES_WRITTEN.getAcquire(this);
    }

    /**
     * Queue files with a sequence below this have a durable directory entry. Raised only under
     * {@link #entriesLock}; volatile so the common case (the entry is durable already) costs a load.
     */
    private volatile long entriesDurableBelow;
    private final Object entriesLock = new Object();

    /**
     * Forces {@code file} (the queue file of sequence {@code sequence}) to the device and counts it,
     * with its duration. The first force of a file also forces the directory, so that the file's
     * name is as durable as its records: without it a power cut can remove a new file with every
     * forced record in it. One directory flush per queue file, not per force.
     */
    void force(SegmentWriter file, long sequence) throws IOException {
        long start = System.nanoTime();
        file.force();
        if (sequence >= entriesDurableBelow) {
            forceEntries(sequence);
        }
        long took = System.nanoTime() - start;
        forces.incrementAndGet();
        forceNanos.addAndGet(took);
        maxForceNanos.accumulateAndGet(took, Math::max);
    }

    /**
     * Makes the directory entries of every queue file up to {@code sequence} durable (and the
     * deletions done before now). Forces run under the back lock or the sync lock, so two may race
     * here: the lock makes the second one find the work done.
     */
    private void forceEntries(long sequence) throws IOException {
        synchronized (entriesLock) {
            if (sequence >= entriesDurableBelow) {
                DirectorySync.force(directory);
                entriesDurableBelow = sequence + 1;
            }
        }
    }

    /** Forces done since open (group commits, timer, flush and seals). */
    public long forces() {
        return forces.get();
    }

    /** Total time spent in forces since open. */
    public long forceNanos() {
        return forceNanos.get();
    }

    /** The longest force since open. */
    public long maxForceNanos() {
        return maxForceNanos.get();
    }

    /**
     * Takes one file from the budget if the budget has one. Caller holds the back lock.
     *
     * <p>Rewriting in blocks: a new file may fill up to {@code segmentBytes}, and the compactor's
     * copy of one sealed file is at most that large too; the live files' footprints only shrink
     * while that copy exists (a swap replaces a file by a smaller one, a deletion removes one). So
     * if the footprints plus two files' worth fit in {@code maxFiles * segmentBytes} now, the disk
     * never holds more than that. {@code bytes} only grows under the back lock, so the check
     * cannot be overtaken by another producer.
     */
    boolean reserveFile() {
        if (!roomForFile()) {
            return false;
        }
        files.incrementAndGet();
        return true;
    }

    /**
     * Whether the budget has room for one more file now ({@link #reserveFile()}'s test, without
     * reserving). Read without the back lock it is a moment's answer: a producer may take the room
     * before the caller does.
     */
    boolean roomForFile() {
        if (compacting) {
            return bytes.get() + 2 * segmentBytes <= maxFiles * segmentBytes && files.get() < maxLiveFiles();
        }
        return files.get() < maxFiles;
    }

    /** Returns a file to the budget (creation failed, or the consumer deleted it). */
    void releaseFile(long footprint) {
        files.decrementAndGet();
        bytes.addAndGet(-footprint);
    }
}
