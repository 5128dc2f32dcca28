package io.hopper.internal.segment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Whole-range positional reads and writes on a {@link FileChannel}, which may transfer less per call. */
public final class PositionalIo {
    private PositionalIo() {
    }

    /** Reads up to {@code len} bytes at {@code position}; returns how many, fewer only at the end of the file. */
    public static int readFully(FileChannel ch, long position, byte[] dst, int off, int len) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(dst, off, len);
        long p = position;
        while (b.hasRemaining()) {
            int n = ch.read(b, p);
            if (n < 0) {
                break;
            }
            p += n;
        }
        return b.position() - off;
    }

    /** Writes all {@code len} bytes at {@code position}. */
    public static void writeFully(FileChannel ch, long position, byte[] src, int off, int len) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(src, off, len);
        long p = position;
        while (b.hasRemaining()) {
            p += ch.write(b, p);
        }
    }
}
