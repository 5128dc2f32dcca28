package io.hopper.internal.segment;

import io.hopper.internal.file.DirectorySync;
import io.hopper.internal.file.InterruptSafeChannel;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Finds the queue files an earlier run left in a directory and makes them readable again.
 *
 * <p>Each file is walked frame by frame, trusting nothing unverified (the same checks as the
 * reader). A file that ends without an END frame was being written when the process stopped: it
 * is sealed after its last whole frame, so that new records go to a new file. What follows that
 * frame is either nothing or zeros (what a stopped process leaves: the Chronicle Bytes back end
 * maps each file at its full size), which is not damage and is not counted as a repair, or a
 * <em>torn tail</em> (a half-written frame, or garbage), which is cut off and counted
 * ({@link Result#filesRepaired()}). A file whose header is unreadable is set aside as
 * {@code *.corrupt} rather than deleted, for someone to look at, unless every byte of it is zero: a
 * file created just before the process stopped, before its header was written, holds nothing and
 * is removed. Damage inside a file
 * (a frame header that fails its checksum, a frame that fails its payload checksum) is left in
 * place when intact frames follow it ({@link FrameScan}): the reader skips it, resumes at the same
 * frame the scan found, and counts the records in between as lost.
 */
public final class SegmentRecovery {
    private static final System.Logger LOG = System.getLogger("io.hopper");

    private SegmentRecovery() {
    }

    /** What the scan found and did. */
    public static final class Result {
        final List<SegmentMeta> segments = new ArrayList<>();
        long nextSequence;
        long nextIndex;
        long firstIndex = -1;
        long filesSealed;
        long filesRepaired;
        long bytesTruncated;
        long filesSetAside;
        long damagedRegions;

        /** Sequence number for the next new file. */
        public long nextSequence() {
            return nextSequence;
        }

        /** Disk-stream index the next appended record gets. */
        public long nextIndex() {
            return nextIndex;
        }

        /** Index of the oldest record on disk ({@link #nextIndex()} when there is none). */
        public long firstIndex() {
            return firstIndex < 0 ? nextIndex : firstIndex;
        }

        /** Files recovered. */
        public int files() {
            return segments.size();
        }

        /**
         * Files whose torn tail (bytes after the last whole frame that are not all zero) was cut
         * off: damage, or a frame half-written when the process or the machine stopped.
         */
        public long filesRepaired() {
            return filesRepaired;
        }

        /**
         * Files a stopped process was writing that ended cleanly (after their last whole frame:
         * nothing, or zeros), sealed at open. What every stop without {@code close()} leaves; not damage.
         */
        public long filesSealed() {
            return filesSealed;
        }

        /** Bytes cut off torn tails (not counting the zeros after the last frame of a file that was being written). */
        public long bytesTruncated() {
            return bytesTruncated;
        }

        /** Damaged stretches inside files that the scan stepped over to intact frames behind them. */
        public long damagedRegions() {
            return damagedRegions;
        }

        /** Files with an unreadable header, renamed to {@code *.corrupt}. */
        public long filesSetAside() {
            return filesSetAside;
        }
    }

    /** Scans {@code log}'s directory and adds what it finds to the log, oldest first. Before any appender or cursor exists. */
    public static Result recover(SegmentLog log) throws IOException {
        return recover(log, false);
    }

    /**
     * {@link #recover(SegmentLog)}; with {@code force}, every file kept is also forced, and the
     * directory: a process that died may have left records in the page cache that were never
     * forced (their sends never returned), and under a forcing policy the consumer must not see a
     * record that a power cut could still take back. Clean pages make such a force cheap.
     */
    public static Result recover(SegmentLog log, boolean force) throws IOException {
        TreeMap<Long, Path> files = new TreeMap<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(log.directory)) {
            for (Path p : dir) {
                String name = p.getFileName().toString();
                if (name.endsWith(SegmentCompactor.TMP_SUFFIX)
                        && SegmentFormat.parseFileName(name.substring(0, name.length() - SegmentCompactor.TMP_SUFFIX.length())) >= 0) {
                    // A rewrite in blocks that a stop interrupted: the original is still there, whole.
                    Files.delete(p);
                    continue;
                }
                long seq = SegmentFormat.parseFileName(name);
                if (seq >= 0) {
                    files.put(seq, p);
                }
            }
        }
        Result r = new Result();
        r.nextSequence = files.isEmpty() ? 0 : files.lastKey() + 1;
        for (var e : files.entrySet()) {
            SegmentMeta meta = scanFile(e.getKey(), e.getValue(), r, force);
            if (meta != null) {
                r.segments.add(meta);
                if (r.firstIndex < 0) {
                    r.firstIndex = meta.firstIndex;
                }
                r.nextIndex = Math.max(r.nextIndex, meta.endIndex);
            }
        }
        if (force && !files.isEmpty()) {
            DirectorySync.force(log.directory); // the repairs' deletions and renames too
        }
        for (SegmentMeta m : r.segments) {
            log.live.addLast(m);
            log.files.incrementAndGet();
            log.bytes.addAndGet(m.footprint());
        }
        if (!files.isEmpty()) {
            LOG.log(Level.INFO, "hopper: recovered " + r.segments.size() + " queue file(s) in " + log.directory
                    + " holding records " + r.firstIndex() + " to " + (r.nextIndex - 1)
                    + (r.filesSealed > 0 ? "; sealed " + r.filesSealed + " file(s) a stopped process was writing" : ""));
            if (r.filesRepaired + r.filesSetAside + r.damagedRegions > 0) {
                LOG.log(Level.WARNING, "hopper: damage found at open in " + log.directory + ": cut torn tails off "
                        + r.filesRepaired + " file(s) (" + r.bytesTruncated + " bytes), set aside "
                        + r.filesSetAside + " unreadable file(s), found " + r.damagedRegions
                        + " damaged stretch(es) with intact frames after them");
            }
        }
        return r;
    }

    private static SegmentMeta scanFile(long seq, Path path, Result r, boolean force) throws IOException {
        try (InterruptSafeChannel ch = InterruptSafeChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            byte[] head = new byte[SegmentFormat.FILE_HEADER_BYTES];
            String bad = read(ch, 0, head, head.length) < head.length ? "shorter than its header"
                    : SegmentFormat.checkFileHeader(head, 0, seq);
            if (bad != null) {
                boolean empty = size <= SegmentFormat.FILE_HEADER_BYTES + SegmentFormat.FRAME_HEADER_BYTES
                        || allZero(ch, 0, size);
                ch.close();
                if (empty) {
                    // Created, but the process stopped before a record was completed in it (or
                    // before its header was written: every byte is zero).
                    Files.delete(path);
                    LOG.log(Level.DEBUG, "hopper: removed queue file " + path + ", created but never written");
                } else {
                    setAside(path, r, bad);
                }
                return null;
            }
            long pos = SegmentFormat.FILE_HEADER_BYTES;
            long first = -1;
            long end = -1;
            boolean sealed = false;
            long lastAt = -1; // the last whole record frame: where it starts, its payload length, checksum and records
            int lastLen = 0;
            int lastCrc = 0;
            int lastCount = 0;
            byte[] frame = new byte[SegmentFormat.FRAME_HEADER_BYTES];
            FrameScan.Source source = ch::read;
            while (pos + SegmentFormat.FRAME_HEADER_BYTES <= size) {
                boolean wellFormed = read(ch, pos, frame, SegmentFormat.FRAME_HEADER_BYTES)
                        == SegmentFormat.FRAME_HEADER_BYTES && SegmentFormat.frameWellFormed(frame, 0, size - pos);
                long index = SegmentFormat.frameRecordIndex(frame, 0);
                if (!wellFormed || index < Math.max(end, 0)) {
                    // Damage, or the end of what was written. Intact frames after it are kept (the
                    // reader counts the records in between as lost); with none, this is the tail.
                    long next = FrameScan.nextIntactFrame(source, pos + 1, size, Math.max(end, 0));
                    if (next < 0) {
                        break;
                    }
                    LOG.log(Level.WARNING, "hopper: queue file " + path + " is damaged at offset " + pos
                            + "; the frames from offset " + next + " on are intact and kept");
                    r.damagedRegions++;
                    pos = next;
                    continue;
                }
                if ((SegmentFormat.frameFlags(frame, 0) & SegmentFormat.FLAG_END) != 0) {
                    sealed = true;
                    end = index;
                    break;
                }
                // The payload checksum is the reader's business: a bad payload costs one record there.
                if (first < 0) {
                    first = index;
                }
                int count = SegmentFormat.frameRecordCount(frame, 0); // 1, or a block's records
                end = index + count;
                int len = SegmentFormat.framePayloadLength(frame, 0); // fits in the file: checked above
                lastAt = pos;
                lastLen = len;
                lastCrc = SegmentFormat.framePayloadCrc(frame, 0);
                lastCount = count;
                pos += SegmentFormat.FRAME_HEADER_BYTES + len;
            }
            if (!sealed && lastAt >= 0 && !payloadIntact(ch, lastAt, lastLen, lastCrc)) {
                // Appends are serialized, so only the frame being written when the process died can
                // be torn: its header landed but not all of its payload (a mapped copy interrupted
                // by the kill, or pages the OS had not written back). Its send never returned, so
                // it is part of the torn tail, not a lost record.
                pos = lastAt;
                end -= lastCount;
                if (end == first) {
                    first = -1;
                }
            }
            if (first < 0 && !sealed) {
                ch.close();
                Files.delete(path); // nothing readable was ever completed in it
                return null;
            }
            if (!sealed) {
                // Left open by a process that stopped: seal it after its last whole frame, so the
                // reader can finish it. Bytes after that frame that are not all zero are a torn tail.
                long cut = size - pos;
                boolean torn = cut > 0 && !allZero(ch, pos, size);
                byte[] endFrame = new byte[SegmentFormat.END_FRAME_BYTES];
                SegmentFormat.writeFrameHeader(endFrame, 0, 0, 0, SegmentFormat.FLAG_END, 0, end);
                ch.truncate(pos);
                write(ch, pos, endFrame);
                ch.force(true);
                if (torn) {
                    r.filesRepaired++;
                    r.bytesTruncated += cut;
                } else {
                    r.filesSealed++;
                }
            } else {
                if (ch.size() > pos + SegmentFormat.END_FRAME_BYTES) {
                    ch.truncate(pos + SegmentFormat.END_FRAME_BYTES); // a sealed file whose trim did not happen
                }
                if (force) {
                    ch.force(true);
                }
            }
            SegmentMeta meta = new SegmentMeta(seq, path, first < 0 ? end : first, pos);
            meta.endIndex = end;
            meta.sealed = true;
            meta.compacted = SegmentFormat.fileVersion(head, 0) == SegmentFormat.BLOCK_VERSION;
            return meta;
        }
    }

    /** Whether the payload of the frame at {@code frameAt} (length within the file: checked by the scan) matches its checksum. */
    private static boolean payloadIntact(InterruptSafeChannel ch, long frameAt, int len, int crc) throws IOException {
        byte[] payload = new byte[len];
        return read(ch, frameAt + SegmentFormat.FRAME_HEADER_BYTES, payload, len) == len
                && SegmentFormat.crc(payload, 0, len) == crc;
    }

    private static void setAside(Path path, Result r, String why) throws IOException {
        Path aside = path.resolveSibling(path.getFileName() + ".corrupt");
        Files.move(path, aside, StandardCopyOption.REPLACE_EXISTING);
        r.filesSetAside++;
        LOG.log(Level.WARNING, "hopper: queue file " + path + " is unreadable (" + why + "); its records are lost."
                + " Moved to " + aside.getFileName() + " for inspection; delete it when done");
    }

    /** Whether bytes {@code [from, to)} of the file are all zero (a sparse tail reads as zeros without disk I/O). */
    private static boolean allZero(InterruptSafeChannel ch, long from, long to) throws IOException {
        byte[] b = new byte[(int) Math.min(64 * 1024, Math.max(1, to - from))];
        for (long at = from; at < to; ) {
            int n = ch.read(at, b, 0, (int) Math.min(b.length, to - at));
            if (n <= 0) {
                return true; // the file ended: nothing more in it
            }
            for (int i = 0; i < n; i++) {
                if (b[i] != 0) {
                    return false;
                }
            }
            at += n;
        }
        return true;
    }

    private static int read(InterruptSafeChannel ch, long pos, byte[] dst, int len) throws IOException {
        return ch.read(pos, dst, 0, len);
    }

    private static void write(InterruptSafeChannel ch, long pos, byte[] src) throws IOException {
        ch.write(pos, src, 0, src.length);
    }
}
