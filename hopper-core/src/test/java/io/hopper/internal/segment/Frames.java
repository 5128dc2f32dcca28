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
}
