package io.hopper;

/** How records spilled to disk are compressed. Records kept in memory are never serialized. */
public enum Compression {
    /** Store the serialized bytes as they are. */
    NONE,
    /**
     * LZ4 block compression per record: standard LZ4 blocks, written by hopper's own compressor
     * (which reuses its hash table from record to record) and read by its own bounds-checked
     * decoder. A record that does not shrink is stored uncompressed, so LZ4 never costs disk space.
     * Small records gain little: a 150-byte log line has too little repetition inside itself.
     */
    LZ4,
    /**
     * {@link #LZ4} while a queue file is filled, and every sealed queue file rewritten on a
     * background thread with its records packed into shared LZ4 blocks of about 64 KiB, where
     * neighbouring records compress against each other (150-byte JSON log lines: 47 bytes per record
     * on disk, frame headers included, instead of 117 with {@code LZ4}). A record is receivable, and as durable as the sync policy makes it, as soon
     * as its send returns, exactly as with {@code LZ4}; the rewrite only touches files the consumer
     * has not started, keeps every record index, and is atomic (a rename), so commits, restarts,
     * eviction and damage handling are unchanged. A damaged block costs the records in it (up to
     * 64 KiB of them) rather than one.
     *
     * <p>The disk budget is then kept in bytes: rewritten files are smaller, so more of them fit,
     * and one file's share of the budget ({@code diskBytes / maxDiskFiles}) is kept free for the
     * copy a rewrite writes beside the file. Needs {@code maxDiskFiles >= 2}. Costs one extra
     * read, compression and write of each file that waits on disk; files the consumer reaches
     * first are not rewritten.
     */
    LZ4_BLOCKS
}
