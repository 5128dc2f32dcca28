package io.hopper;

/** How records spilled to disk are compressed. Records kept in memory are never serialized. */
public enum Compression {
    /** Store the serialized bytes as they are. */
    NONE,
    /**
     * LZ4 block compression per record: standard LZ4 blocks, written by hopper's own compressor
     * (which reuses its hash table from record to record) and read by the maintained
     * {@code at.yawk.lz4} fork of lz4-java. A record that does not shrink is stored uncompressed,
     * so LZ4 never costs disk space.
     */
    LZ4
}
