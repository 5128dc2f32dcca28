package io.hopper.internal.segment;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;

/** Test helper: finds frames in queue and snapshot files by walking their headers. */
public final class Frames {
    private Frames() {
    }

    /** Offset of frame {@code k} (0-based) in {@code file}, whose first frame starts at {@code first}. */
    public static long offset(Path file, long first, int k) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long off = first;
            byte[] h = new byte[SegmentFormat.FRAME_HEADER_BYTES];
            for (int i = 0; i < k; i++) {
                raf.seek(off);
                raf.readFully(h);
                off += SegmentFormat.FRAME_HEADER_BYTES + SegmentFormat.framePayloadLength(h, 0);
            }
            return off;
        }
    }

    /**
     * Offset of the record frame of disk record {@code index} in a queue file, found by its intact
     * header wherever it is (damage elsewhere in the file does not matter); -1 if there is none.
     */
    public static long offsetOfRecord(Path file, long index) throws IOException {
        byte[] b = java.nio.file.Files.readAllBytes(file);
        for (int at = SegmentFormat.FILE_HEADER_BYTES; at + SegmentFormat.FRAME_HEADER_BYTES <= b.length; at++) {
            if (SegmentFormat.frameHeaderValid(b, at) && SegmentFormat.frameRecordCount(b, at) == 1
                    && SegmentFormat.frameRecordIndex(b, at) == index) {
                return at;
            }
        }
        return -1;
    }

    /** One frame header of a queue file. */
    public record Header(long offset, int flags, int count, long index, int payloadLength) {
        public boolean block() {
            return (flags & SegmentFormat.FLAG_BLOCK) != 0;
        }

        public boolean end() {
            return (flags & SegmentFormat.FLAG_END) != 0;
        }
    }

    /** The frame headers of an undamaged queue file, in order, up to and including its END frame. */
    public static java.util.List<Header> headers(Path file) throws IOException {
        byte[] b = java.nio.file.Files.readAllBytes(file);
        java.util.List<Header> out = new java.util.ArrayList<>();
        int at = SegmentFormat.FILE_HEADER_BYTES;
        while (at + SegmentFormat.FRAME_HEADER_BYTES <= b.length && SegmentFormat.frameHeaderValid(b, at)) {
            Header h = new Header(at, SegmentFormat.frameFlags(b, at), SegmentFormat.frameRecordCount(b, at),
                    SegmentFormat.frameRecordIndex(b, at), SegmentFormat.framePayloadLength(b, at));
            out.add(h);
            if (h.end()) {
                break;
            }
            at += SegmentFormat.FRAME_HEADER_BYTES + h.payloadLength();
        }
        return out;
    }

    /** XORs the byte at {@code offset} of {@code file} with {@code mask} (not 0): damage in one place. */
    public static void flipByte(Path file, long offset, int mask) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(offset);
            int b = raf.read();
            raf.seek(offset);
            raf.write(b ^ mask);
        }
    }

    /** The format version in a queue file's header, or -1 for a file shorter than a header. */
    public static int version(Path file) throws IOException {
        byte[] b = new byte[SegmentFormat.FILE_HEADER_BYTES];
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            if (raf.length() < b.length) {
                return -1; // created, and the process killed before its header was written
            }
            raf.readFully(b);
        }
        return SegmentFormat.fileVersion(b, 0);
    }
}
