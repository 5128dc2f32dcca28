package io.hopper.inspect;

import io.hopper.internal.codec.PayloadCodec;
import io.hopper.internal.recovery.SnapshotFile;
import io.hopper.internal.segment.FrameScan;
import io.hopper.internal.segment.RecordBlock;
import io.hopper.internal.segment.SegmentFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * {@link ChannelDirectory}'s own reader of the frames: a queue file or {@code snapshot.hop} walked
 * frame by frame, every checksum checked, with plain positional reads (it writes nothing).
 */
final class QueueFileReader {
    private QueueFileReader() {
    }

    /** {@link ChannelDirectory#walk}. */
    static ChannelDirectory.FileScan walk(Path file, long sequence, ChannelDirectory.RecordVisitor visitor)
            throws IOException {
        String name = file.getFileName().toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            byte[] header = new byte[SegmentFormat.FILE_HEADER_BYTES];
            if (read(ch, 0, header) < header.length) {
                return new ChannelDirectory.FileScan(name, sequence, size, "shorter than a file header (" + size + " bytes)", 0, 0,
                        -1, -1, false, 0, 0, 0, 0, size);
            }
            String problem = SegmentFormat.checkFileHeader(header, 0, sequence);
            if (problem != null) {
                return new ChannelDirectory.FileScan(name, sequence, size, problem, 0, 0, -1, -1, false, 0, 0, 0, 0, size);
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
            return new ChannelDirectory.FileScan(name, sequence, size, null, records, compressed, first, last, sealed, regions,
                    badFrames, lost, torn, pos);
        }
    }

    /**
     * Gives the visitor a frame's records: a single record as it is stored, each record of a block
     * (already decoded into {@code block}) as its serialized bytes, with no flags.
     */
    private static boolean visit(ChannelDirectory.RecordVisitor visitor, long index, int flags, byte[] payload, RecordBlock block, int count)
            throws IOException {
        if ((flags & SegmentFormat.FLAG_BLOCK) == 0) {
            return visitor.record(new ChannelDirectory.StoredRecord(index, SegmentFormat.codecOf(flags),
                    ChannelDirectory.RecordForm.of(flags), payload));
        }
        for (int i = 0; i < count; i++) {
            int at = block.offset(i);
            if (!visitor.record(new ChannelDirectory.StoredRecord(index + i, PayloadCodec.STORED.id,
                    ChannelDirectory.RecordForm.of(flags), Arrays.copyOfRange(block.array(), at, at + block.length(i))))) {
                return false;
            }
        }
        return true;
    }

    /** {@link ChannelDirectory#walkSnapshot}. */
    static ChannelDirectory.SnapshotScan walkSnapshot(Path dir, ChannelDirectory.SnapshotHeader header,
                                                      ChannelDirectory.RecordVisitor visitor) throws IOException {
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
                    return new ChannelDirectory.SnapshotScan(records, markers, bad + 1, false);
                }
                int len = SegmentFormat.framePayloadLength(h, 0);
                if (len < 0 || pos + h.length + len > size) {
                    return new ChannelDirectory.SnapshotScan(records, markers, bad + 1, false);
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
                    if (visitor != null && !visitor.record(new ChannelDirectory.StoredRecord(records - 1, SegmentFormat.codecOf(flags),
                            ChannelDirectory.RecordForm.of(flags), payload))) {
                        return new ChannelDirectory.SnapshotScan(records, markers, bad, false);
                    }
                }
                pos += h.length + len;
            }
        }
        return new ChannelDirectory.SnapshotScan(records, markers, bad, records + bad == header.records());
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
