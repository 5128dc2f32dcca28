package io.hopper;

/** How records spilled to disk are compressed. Records kept in memory are never serialized. */
public enum Compression {
    /** Store the serialized bytes as they are. */
    NONE,
    /**
     * LZ4 block compression per record (the maintained {@code at.yawk.lz4} fork). A record that
     * does not shrink is stored uncompressed, so LZ4 never costs disk space.
     */
    LZ4
}
