package io.hopper.internal.segment;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A storage back end that passes every call to another one: tests override the calls they watch
 * or break (recorded writes, failing reads) and inherit the rest.
 */
public class ForwardingSegmentStorage implements SegmentStorage {
    private final SegmentStorage delegate;

    public ForwardingSegmentStorage(SegmentStorage delegate) {
        this.delegate = delegate;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public long alignCapacity(long requested) {
        return delegate.alignCapacity(requested);
    }

    @Override
    public SegmentWriter create(Path path, long capacity) throws IOException {
        return delegate.create(path, capacity);
    }

    @Override
    public SegmentReader openForRead(Path path) throws IOException {
        return delegate.openForRead(path);
    }
}
