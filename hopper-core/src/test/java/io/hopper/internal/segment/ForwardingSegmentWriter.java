package io.hopper.internal.segment;

import java.io.IOException;

/**
 * A queue-file writer that passes every call to another one: tests override the calls they watch
 * or break (a failing write, a held force, a recorded write) and inherit the rest.
 */
public class ForwardingSegmentWriter implements SegmentWriter {
    private final SegmentWriter delegate;

    public ForwardingSegmentWriter(SegmentWriter delegate) {
        this.delegate = delegate;
    }

    @Override
    public void write(long position, byte[] src, int off, int len) throws IOException {
        delegate.write(position, src, off, len);
    }

    @Override
    public void force() throws IOException {
        delegate.force();
    }

    @Override
    public void seal(long length) throws IOException {
        delegate.seal(length);
    }

    @Override
    public boolean pretouchable() {
        return delegate.pretouchable();
    }

    @Override
    public boolean pretouch(long from, long to) {
        return delegate.pretouch(from, to);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
