package io.hopper.internal.file;

import java.io.IOException;

/**
 * A file read front to back through one buffer: a stretch asked for is served from what the last
 * read brought in, or read afresh from its start, at least {@code chunk} bytes at a time, so a walk
 * over many small frames makes one system call per chunk rather than one or two per frame. The
 * buffer grows to hold the largest stretch asked for. Used by one thread at a time (its owner's
 * confinement or lock), so nothing in it is shared.
 */
public final class FileWindow {
    private final int chunk;
    private InterruptSafeChannel channel;
    /** Bytes {@code [start, start + length)} of the file, in {@code bytes[0, length)}. */
    private byte[] bytes;
    private long start;
    private int length;

    public FileWindow(int chunk) {
        this.chunk = chunk;
        this.bytes = new byte[chunk];
    }

    /** Reads {@code channel} from now on; what was read from an earlier one is forgotten. */
    public void reset(InterruptSafeChannel channel) {
        this.channel = channel;
        start = 0;
        length = 0;
    }

    /**
     * Makes bytes {@code [at, at + n)} available in {@link #array()} at {@link #offset(long)},
     * reading no further than {@code limit}.
     *
     * @return false when the limit or the file ends first
     */
    public boolean ensure(long at, int n, long limit) throws IOException {
        if (at >= start && at + n <= start + length) {
            return true;
        }
        if (at + n > limit) {
            return false;
        }
        int want = (int) Math.min(Math.max(n, chunk), limit - at);
        if (want > bytes.length) {
            bytes = new byte[want];
        }
        int got = channel.read(at, bytes, 0, want);
        start = at;
        length = Math.max(got, 0);
        return length >= n;
    }

    /** The buffer: valid until the next {@link #ensure}, which may replace it. */
    public byte[] array() {
        return bytes;
    }

    /** Where byte {@code at} of the file is in {@link #array()}; {@code at} must have been ensured. */
    public int offset(long at) {
        return (int) (at - start);
    }
}
