package io.hopper.internal.segment;

import io.hopper.internal.codec.EncodedRecord;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The writing end of the disk stream. Every method runs under the ring's back lock, which is
 * what orders appends; the record was serialized and compressed before the lock was taken, so
 * the work done here is filling 24 header bytes and one write.
 *
 * <p>Holds at most one open file: the one being filled.
 */
public final class SegmentAppender {
    private final SegmentLog log;
    private final byte[] scratch = new byte[Math.max(SegmentFormat.FILE_HEADER_BYTES, SegmentFormat.END_FRAME_BYTES)];
    private SegmentMeta current;
    private SegmentWriter file;
    /** Sequence number of the next file. Written under the back lock; volatile for the read-cursor commit. */
    private volatile long nextSequence;
    /** Index the next appended record gets. Written under the back lock; volatile so the consumer and stats can read it without the lock. */
    private volatile long nextIndex;
    private boolean closed;
    /**
     * Files sealed since open. Guarded: back lock (written in {@link #seal()}, read by producers
     * holding it). A producer refused room compares it with its value when it last looked: a file
     * sealed since then (perhaps by its own append) may be read to its end already, and then only
     * a release deletes it.
     */
    private long filesSealed;
    /** Force a file before sealing it (any sync policy but NONE). Immutable. */
    private final boolean forceOnSeal;
    /** Faults in the pages of the file being written ahead of the appends (mapped files that are not forced). */
    private final Pretoucher pretoucher;
    /** Told about each file sealed (the compactor, with {@code Compression.LZ4_BLOCKS}). Set before the channel is published. */
    private SegmentCompactor compactor;

    /** Hands every file sealed from now on to {@code c}. */
    public void compactor(SegmentCompactor c) {
        this.compactor = c;
    }

    public SegmentAppender(SegmentLog log, long nextSequence, long nextIndex, boolean forceOnSeal) {
        this.log = log;
        this.nextSequence = nextSequence;
        this.nextIndex = nextIndex;
        this.forceOnSeal = forceOnSeal;
        // Files that are forced are not touched ahead: a force would write the touched zeros too.
        this.pretoucher = new Pretoucher("hopper-pretouch " + log.directory, !forceOnSeal);
    }

    /** The page toucher of this stream. For tests. */
    Pretoucher pretoucher() {
        return pretoucher;
    }

    /** The file being written, or null between files. Caller holds the back lock. */
    SegmentWriter currentFile() {
        return file;
    }

    /** Sequence number of the file being written (meaningful only while {@link #currentFile()} is not null). Back lock. */
    long currentSequence() {
        return current.sequence;
    }

    /** Files sealed since open. Caller holds the back lock. */
    public long filesSealed() {
        return filesSealed;
    }

    /** Sequence number the next queue file gets (volatile load). */
    public long nextSequence() {
        return nextSequence;
    }

    /** Index of the next record to be appended = number of records ever appended (volatile load). */
    public long nextIndex() {
        return nextIndex;
    }

    /**
     * Appends one record frame, rotating to a new file when the current one cannot hold it.
     *
     * @return {@code false} when the disk budget has no room for it (nothing written)
     * @throws IOException when a file cannot be created or written; nothing was appended
     */
    public boolean tryAppend(EncodedRecord record) throws IOException {
        if (closed) {
            throw new IOException("disk stream is closed");
        }
        int len = record.frameLength();
        if (len > log.maxFrameBytes()) {
            return false;
        }
        SegmentMeta seg = current;
        if (seg != null && (seg.abandoned || seg.dataEnd + len + SegmentFormat.END_FRAME_BYTES > log.segmentBytes)) {
            seal();
            seg = null;
        }
        if (seg == null) {
            if (!log.reserveFile()) {
                return false;
            }
            seg = openNext();
        }
        long index = nextIndex;
        SegmentFormat.writeFrameHeader(record.buffer(), 0, record.payloadLength(), record.payloadCrc(),
                SegmentFormat.codecFlags(record.codec()), 1, index);
        long at = seg.dataEnd;
        try {
            file.write(at, record.buffer(), 0, len);
        } catch (IOException e) {
            throw new IOException("cannot append " + len + " bytes at offset " + at + " of " + seg.path, e);
        }
        seg.dataEnd = at + len;
        seg.endIndex = index + 1;
        pretoucher.advance(at + len);
        log.bytes.addAndGet(len);
        log.countRecordWritten(len, record.serializedLength(), record.payloadLength());
        nextIndex = index + 1;
        return true;
    }

    private SegmentMeta openNext() throws IOException {
        long seq = nextSequence;
        Path path = log.directory.resolve(SegmentFormat.fileName(seq));
        SegmentWriter f = null;
        try {
            f = log.storage.create(path, log.segmentBytes);
            SegmentFormat.writeFileHeader(scratch, seq);
            f.write(0, scratch, 0, SegmentFormat.FILE_HEADER_BYTES);
        } catch (IOException | RuntimeException e) {
            closeQuietly(f);
            deleteQuietly(path);
            log.releaseFile(0);
            throw e instanceof IOException io ? new IOException("cannot create queue file " + path, io)
                                              : new IOException("cannot create queue file " + path, e);
        }
        nextSequence = seq + 1;
        SegmentMeta meta = new SegmentMeta(seq, path, nextIndex, SegmentFormat.FILE_HEADER_BYTES);
        log.bytes.addAndGet(SegmentFormat.FILE_HEADER_BYTES);
        log.countWritten(SegmentFormat.FILE_HEADER_BYTES);
        log.live.addLast(meta);
        current = meta;
        file = f;
        pretoucher.start(f, SegmentFormat.FILE_HEADER_BYTES, log.segmentBytes);
        return meta;
    }

    /** Writes the END frame, trims and closes the current file. */
    private void seal() throws IOException {
        SegmentMeta seg = current;
        SegmentFormat.writeFrameHeader(scratch, 0, 0, 0, SegmentFormat.FLAG_END, 0, nextIndex);
        try {
            file.write(seg.dataEnd, scratch, 0, SegmentFormat.END_FRAME_BYTES);
        } catch (IOException e) {
            throw new IOException("cannot seal queue file " + seg.path, e);
        }
        current = null;
        pretoucher.stop();
        SegmentWriter f = file;
        file = null;
        try {
            if (forceOnSeal) {
                log.force(f, seg.sequence); // records in a sealed file are durable: group commit relies on it
            }
            f.seal(seg.dataEnd + SegmentFormat.END_FRAME_BYTES);
        } finally {
            f.close();
            // Publish only now: once sealed, a reader that has read every record may delete the
            // file at any moment, so the writer must be done with it (trimmed and closed) first.
            log.bytes.addAndGet(SegmentFormat.END_FRAME_BYTES);
            log.countWritten(SegmentFormat.END_FRAME_BYTES);
            seg.sealed = true;
            filesSealed++;
        }
        if (compactor != null) {
            compactor.submit(seg);
        }
    }

    /** Forces the file being written to stable storage. */
    public void force() throws IOException {
        if (file != null) {
            log.force(file, current.sequence);
        }
    }

    /**
     * Seals the file being written, if any (so that the next open finds nothing to repair), and
     * closes it. Further appends fail.
     */
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (current != null) {
                try {
                    seal();
                } finally {
                    SegmentWriter f = file;
                    file = null;
                    current = null;
                    if (f != null) {
                        f.close();
                    }
                }
            }
        } finally {
            pretoucher.close();
        }
    }

    private static void closeQuietly(SegmentWriter f) {
        if (f != null) {
            try {
                f.close();
            } catch (IOException ignored) {
                // the creation error is the one worth reporting
            }
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // the creation error is the one worth reporting
        }
    }
}
