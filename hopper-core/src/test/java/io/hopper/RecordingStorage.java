package io.hopper;

import io.hopper.testkit.DiskTrace;
import io.hopper.testkit.RecordingFileSystem;

import io.hopper.internal.segment.ForwardingSegmentStorage;
import io.hopper.internal.segment.ForwardingSegmentWriter;
import io.hopper.internal.segment.SegmentStorage;
import io.hopper.internal.segment.SegmentWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A storage back end seen through a {@link DiskTrace}: writes into the queue file being written
 * are recorded as writes into a memory mapping (dirty pages, the Chronicle Bytes model).
 * Creation, size changes, renames and forces go through the {@link RecordingFileSystem} the
 * channel's directory belongs to, and are recorded there only when they really happen as system
 * calls on the file (a force that never reaches the file system, such as an {@code msync} with
 * {@code MS_ASYNC}, is not a force in the model either); this adds what a mapping hides from it:
 * the writes themselves, and the size the mapping gave the file.
 */
final class RecordingStorage extends ForwardingSegmentStorage {
    private final DiskTrace trace;

    RecordingStorage(SegmentStorage delegate, DiskTrace trace) {
        super(delegate);
        this.trace = trace;
    }

    @Override
    public SegmentWriter create(Path path, long capacity) throws IOException {
        SegmentWriter w = super.create(path, capacity);
        int inode = trace.inodeOf(path.getFileName().toString());
        long size = Files.size(RecordingFileSystem.unwrap(path));
        if (size > 0) {
            trace.sizeSet(inode, size); // the mapping's extension of the file
        }
        return new ForwardingSegmentWriter(w) {
            @Override
            public void write(long position, byte[] src, int off, int len) throws IOException {
                super.write(position, src, off, len);
                byte[] copy = new byte[len];
                System.arraycopy(src, off, copy, 0, len);
                trace.written(inode, position, copy, true);
            }
        };
    }
}
