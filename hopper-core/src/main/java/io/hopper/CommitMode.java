package io.hopper;

/**
 * Who moves a channel's committed read position: the point a restart, or a crash, resumes from.
 */
public enum CommitMode {
    /**
     * The default. {@link Receiver#commit()} moves it, and so does the channel on its own: at most
     * once a second while records are read from disk, before a consumed queue file is deleted, and
     * at {@link Channel#close()}. A crash redelivers at most about a second of disk records. For a
     * consumer that has finished with a record when {@code receive} returns.
     */
    AUTO,
    /**
     * Only {@link Receiver#commit()} and {@link Receiver#commit(long)} move it; a graceful close
     * keeps the last commit too. A queue file is deleted only once a commit has passed its last
     * record, so read files count against the disk budget until then. After a crash or a restart
     * the channel delivers again exactly the disk records after the last commit. For a consumer
     * that hands records to asynchronous work (a network client with batches in flight) and
     * commits the acknowledged prefix with {@link Receiver#position()}.
     *
     * <p>The position covers records that went through a queue file. Under
     * {@link Durability#MEMORY_FIRST}, records that stayed in memory are delivered once (a crash
     * loses the memory tier anyway); choose {@link Durability#WRITE_THROUGH} for every record to
     * be redelivered until committed.
     */
    MANUAL
}
