package io.hopper.internal.segment;

import java.io.IOException;
import java.nio.file.Path;

/** A way of opening queue files: Chronicle Bytes memory mapping, or plain {@code FileChannel} I/O. */
public interface SegmentStorage {

    /** Short name reported in stats and logs. */
    String name();

    /**
     * The per-file capacity this back end actually uses for a requested one (at most the request
     * where the back end can honour it exactly).
     */
    default long alignCapacity(long requested) {
        return requested;
    }

    /** Creates a new, empty file that will hold at most {@code capacity} bytes, for writing. Fails if it exists. */
    SegmentWriter create(Path path, long capacity) throws IOException;

    /** Opens an existing file for reading. */
    SegmentReader openForRead(Path path) throws IOException;
}
