package io.hopper.cli;

import io.hopper.internal.recovery.DirectoryLock;
import io.hopper.internal.recovery.ReadCursorFile;
import io.hopper.internal.recovery.SnapshotFile;
import io.hopper.internal.segment.FrameScan;
import io.hopper.internal.segment.RecordBlock;
import io.hopper.internal.segment.SegmentFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * A channel directory read from the outside, without writing anything: its queue files frame by
 * frame (every checksum checked), the committed position and the memory snapshot. It is its own
 * reader of the format (docs/FORMAT.md), sharing only the format's constants and checksums with
 * the library, so a scan also cross-checks the library's reader.
 */
final class QueueDirectory {
    private QueueDirectory() {
    }

    /** One queue file as scanned. */
    record FileScan(String name, long sequence, long bytes, String headerProblem, long records, long compressed,
                    long firstIndex, long lastIndex, boolean sealed, long damagedRegions, long damagedFrames,
                    long recordsLost, long tornTailBytes, long writtenBytes) {
        boolean damaged() {
            return headerProblem != null || damagedRegions > 0 || damagedFrames > 0 || recordsLost > 0
                    || tornTailBytes > 0;
        }
    }

    /** The whole directory as scanned. */
    record Scan(Path directory, boolean locked, List<FileScan> files, ReadCursorFile.Inspection cursor,
                SnapshotFile.Header snapshot, SnapshotScan snapshotFrames, List<String> setAside,
                List<String> temporary) {
        boolean damaged() {
            return files.stream().anyMatch(FileScan::damaged) || (cursor.present() && cursor.state() == null)
                    || (snapshot != null && !snapshot.intact()) || (snapshotFrames != null && snapshotFrames.damaged())
                    || !setAside.isEmpty();
        }

        long records() {
            return files.stream().mapToLong(FileScan::records).sum();
        }

        long bytes() {
            return files.stream().mapToLong(FileScan::bytes).sum();
        }
    }

    /** Thrown when the directory is not one hopper could have written, or a process holds it. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    /** Refuses a directory that does not exist or that a running channel holds. */
    static void checkUsable(Path dir) throws Refused, IOException {
        if (!Files.isDirectory(dir)) {
            throw new Refused("not a directory: " + dir);
        }
        if (DirectoryLock.heldElsewhere(dir)) {
            throw new Refused("a running process has the channel in " + dir + " open (it holds "
                    + dir.resolve(DirectoryLock.FILE_NAME) + "); stop it, or close the channel, and try again");
        }
    }

    /** A queue file of the directory: its path and the sequence its name gives. */
    record Segment(Path path, long sequence) {
    }

    /** The directory's queue files, oldest (lowest sequence) first. */
    static List<Segment> segments(Path dir) throws IOException {
        List<Segment> out = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.toList()) {
                long seq = SegmentFormat.parseFileName(p.getFileName().toString());
                if (seq >= 0) {
                    out.add(new Segment(p, seq));
                }
            }
        }
        out.sort((a, b) -> Long.compare(a.sequence(), b.sequence()));
        return out;
    }

    /** Reads the whole directory once: every queue file, the cursor, the snapshot and its frames. */
    static Scan scan(Path dir) throws IOException {
        List<FileScan> files = new ArrayList<>();
        for (Segment seg : segments(dir)) {
            files.add(walk(seg.path(), seg.sequence(), null));
        }
        List<String> setAside = new ArrayList<>();
        List<String> temporary = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.sorted().toList()) {
                String name = p.getFileName().toString();
                if (name.endsWith(".corrupt")) {
                    setAside.add(name);
                } else if (name.endsWith(".tmp") || name.endsWith(".compacting")) {
                    temporary.add(name);
                }
            }
        }
        SnapshotFile.Header snapshot = SnapshotFile.inspect(dir);
        SnapshotScan frames = snapshot != null && snapshot.intact() ? walkSnapshot(dir, snapshot, null) : null;
        return new Scan(dir, DirectoryLock.heldElsewhere(dir), files, ReadCursorFile.inspect(dir), snapshot, frames,
                setAside, temporary);
    }

    /** A queue file's frames, in order. */
    interface FrameVisitor {
        /**
         * One intact record frame.
         *
         * @return false to stop the scan
         */
        boolean record(long index, int flags, byte[] payload) throws IOException;
    }

    /**
     * Walks a queue file frame by frame, checking every checksum, and gives each intact record to
     * {@code visitor} (when not null). The walk stops when the visitor returns false; the counts
     * then cover only the frames read. Damage at the end with no intact frame behind it is a torn
     * tail (a crash while the file was being written; recovery cuts it off), not a damaged region.
     */
    static FileScan walk(Path file, long sequence, FrameVisitor visitor) throws IOException {
        String name = file.getFileName().toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            byte[] header = new byte[SegmentFormat.FILE_HEADER_BYTES];
            if (read(ch, 0, header) < header.length) {
                return new FileScan(name, sequence, size, "shorter than a file header (" + size + " bytes)", 0, 0,
                        -1, -1, false, 0, 0, 0, 0, size);
            }
            String problem = SegmentFormat.checkFileHeader(header, 0, sequence);
            if (problem != null) {
                return new FileScan(name, sequence, size, problem, 0, 0, -1, -1, false, 0, 0, 0, 0, size);
            }
            FrameScan.Source src = (position, dst, off, len) -> read(ch, position, dst, off, len);
            byte[] h = new byte[SegmentFormat.FRAME_HEADER_BYTES];
            long pos = SegmentFormat.FILE_HEADER_BYTES;
            long expected = -1;
            long records = 0;
            long compressed = 0;
            long first = -1;
            long last = -1;
            boolean sealed = false;
            long regions = 0;
            long badFrames = 0;
            long lost = 0;
            long torn = 0;
            RecordBlock block = new RecordBlock();
            while (pos + h.length <= size) {
                if (read(ch, pos, h) < h.length) {
                    break;
                }
                if (allZero(h)) {
                    break; // the unwritten rest of a file that was being written
                }
                long index = SegmentFormat.frameRecordIndex(h, 0);
                if (!SegmentFormat.frameWellFormed(h, 0, size - pos) || (expected >= 0 && index < expected)) {
                    long next = FrameScan.nextIntactFrame(src, pos + 1, size, Math.max(expected, 0));
                    if (next < 0) {
                        torn = size - pos - zeroTail(ch, pos, size);
                        break;
                    }
                    regions++;
                    pos = next;
                    continue;
                }
                int flags = SegmentFormat.frameFlags(h, 0);
                if ((flags & SegmentFormat.FLAG_END) != 0) {
                    if (expected >= 0 && index > expected) {
                        lost += index - expected;
                    }
                    sealed = true;
                    pos += h.length;
                    break;
                }
                if (expected >= 0 && index > expected) {
                    lost += index - expected; // records between damage and this frame
                }
                int len = SegmentFormat.framePayloadLength(h, 0);
                int count = SegmentFormat.frameRecordCount(h, 0); // 1, or a block's records
                byte[] payload = new byte[len];
                boolean intact = read(ch, pos + h.length, payload) == len
                        && SegmentFormat.crc(payload, 0, len) == SegmentFormat.framePayloadCrc(h, 0);
                if (intact && (flags & SegmentFormat.FLAG_BLOCK) != 0) {
                    try {
                        block.read(payload, 0, len, count);
                    } catch (RecordBlock.MalformedBlockException e) {
                        intact = false;
                    }
                }
                if (!intact) {
                    badFrames++;
                    lost += count;
                } else {
                    records += count;
                    if ((flags & SegmentFormat.FLAG_COMPRESSED) != 0) {
                        compressed += count;
                    }
                    if (first < 0) {
                        first = index;
                    }
                    last = index + count - 1;
                    if (visitor != null && !visit(visitor, index, flags, payload, block, count)) {
                        pos += h.length + len;
                        break;
                    }
                }
                expected = index + count;
                pos += h.length + len;
            }
            return new FileScan(name, sequence, size, null, records, compressed, first, last, sealed, regions,
                    badFrames, lost, torn, pos);
        }
    }

    /**
     * Gives the visitor a frame's records: a single record as it is stored, each record of a block
     * (already decoded into {@code block}) as its serialized bytes, with no flags.
     */
    private static boolean visit(FrameVisitor visitor, long index, int flags, byte[] payload, RecordBlock block, int count)
            throws IOException {
        if ((flags & SegmentFormat.FLAG_BLOCK) == 0) {
            return visitor.record(index, flags, payload);
        }
        for (int i = 0; i < count; i++) {
            int at = block.offset(i);
            if (!visitor.record(index + i, 0, Arrays.copyOfRange(block.array(), at, at + block.length(i)))) {
                return false;
            }
        }
        return true;
    }

    /** What a snapshot's frames hold. */
    record SnapshotScan(long records, long markers, long damagedFrames, boolean complete) {
        boolean damaged() {
            return damagedFrames > 0 || !complete;
        }
    }

    /**
     * Walks {@code snapshot.hop}'s frames (records and markers, in the queue-file frame format after
     * its header), checking every checksum; gives each intact record to {@code visitor}, and
     * stops when it returns false.
     */
    static SnapshotScan walkSnapshot(Path dir, SnapshotFile.Header header, FrameVisitor visitor) throws IOException {
        Path file = dir.resolve(SnapshotFile.FILE_NAME);
        long records = 0;
        long markers = 0;
        long bad = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            long pos = header.version() == 2 ? SnapshotFile.HEADER : 32;
            byte[] h = new byte[SegmentFormat.FRAME_HEADER_BYTES];
            while (pos + h.length <= size) {
                if (read(ch, pos, h) < h.length || !SegmentFormat.frameHeaderValid(h, 0)) {
                    return new SnapshotScan(records, markers, bad + 1, false);
                }
                int len = SegmentFormat.framePayloadLength(h, 0);
                if (len < 0 || pos + h.length + len > size) {
                    return new SnapshotScan(records, markers, bad + 1, false);
                }
                byte[] payload = new byte[len];
                read(ch, pos + h.length, payload);
                int flags = SegmentFormat.frameFlags(h, 0);
                if (SegmentFormat.crc(payload, 0, len) != SegmentFormat.framePayloadCrc(h, 0)) {
                    bad++;
                } else if ((flags & SegmentFormat.FLAG_MARKER) != 0) {
                    markers++;
                } else {
                    records++;
                    if (visitor != null && !visitor.record(records - 1, flags, payload)) {
                        return new SnapshotScan(records, markers, bad, false);
                    }
                }
                pos += h.length + len;
            }
        }
        return new SnapshotScan(records, markers, bad, records + bad == header.records());
    }

    /** Bytes of zeros at the end of {@code [from, size)}: a file's unwritten rest. */
    private static long zeroTail(FileChannel ch, long from, long size) throws IOException {
        long zeros = 0;
        byte[] b = new byte[4096];
        long end = size;
        while (end > from) {
            int n = (int) Math.min(b.length, end - from);
            read(ch, end - n, b, 0, n);
            int i = n - 1;
            while (i >= 0 && b[i] == 0) {
                i--;
            }
            zeros += n - 1 - i;
            if (i >= 0) {
                break;
            }
            end -= n;
        }
        return zeros;
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static int read(FileChannel ch, long position, byte[] dst) throws IOException {
        return read(ch, position, dst, 0, dst.length);
    }

    private static int read(FileChannel ch, long position, byte[] dst, int off, int len) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(dst, off, len);
        int n = 0;
        while (bb.hasRemaining()) {
            int r = ch.read(bb, position + n);
            if (r < 0) {
                break;
            }
            n += r;
        }
        return n;
    }
}
