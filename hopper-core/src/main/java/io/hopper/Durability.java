package io.hopper;

/** Where a record goes when its send is accepted, and so what a crash of the process can lose. */
public enum Durability {
    /**
     * Memory while the memory budget has room, disk only for the overflow (hopper's behaviour, and
     * the fastest). A crash of the process loses the records that were in memory, at most
     * {@code inMemoryBytes} of them; a graceful {@link Channel#close()} loses nothing.
     */
    MEMORY_FIRST,
    /**
     * Every record is appended to a queue file before its send returns; memory holds no records.
     * A crash of the process loses nothing whose send returned (records received after the last
     * {@link Receiver#commit()} are delivered again). Each record is serialized and, on the consumer
     * side, deserialized, so this costs throughput.
     */
    WRITE_THROUGH
}
