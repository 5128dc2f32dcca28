package io.hopper.internal.codec;

import java.io.OutputStream;
import java.util.Arrays;

/**
 * A growable in-memory byte buffer exposed as an {@link OutputStream}, reused by one thread for
 * record after record so that serializing a record allocates nothing once it has grown.
 * Not thread-safe: each instance belongs to one thread.
 */
public final class ByteSink extends OutputStream {
    private byte[] buf;
    private int count;

    public ByteSink(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    public void reset() {
        count = 0;
    }

    public byte[] array() {
        return buf;
    }

    public int length() {
        return count;
    }

    /** Ensures room for {@code extra} more bytes. */
    public void reserve(int extra) {
        long need = (long) count + extra;
        if (need > buf.length) {
            if (need > Integer.MAX_VALUE - 16) {
                throw new OutOfMemoryError("record encoding exceeds 2 GiB");
            }
            buf = Arrays.copyOf(buf, (int) Math.max(need, Math.min((long) buf.length * 2, Integer.MAX_VALUE - 16)));
        }
    }

    /** Replaces the backing array with a small one if a rare huge record made it grow past {@code limit}. */
    public void shrinkIfLargerThan(int limit, int to) {
        if (buf.length > limit) {
            buf = new byte[to];
            count = 0;
        }
    }

    /** Moves the end forward over bytes already written into {@link #array()} directly; caller reserved them. */
    public void advance(int n) {
        if (n < 0 || (long) count + n > buf.length) {
            throw new IndexOutOfBoundsException("advance " + n + " past capacity " + buf.length);
        }
        count += n;
    }

    @Override
    public void write(int b) {
        reserve(1);
        buf[count++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        reserve(len);
        System.arraycopy(b, off, buf, count, len);
        count += len;
    }
}
