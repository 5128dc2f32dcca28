package io.hopper;

/**
 * An immutable snapshot of a channel's state. Counters are read without stopping producers or the
 * consumer, so under concurrent use the fields are each exact at slightly different instants.
 *
 * @param recordsInMemory       records held in the memory tier (not counting disk markers)
 * @param bytesInMemory         bytes charged to the memory budget by the weigher
 * @param inMemoryBytesLimit    the memory budget
 * @param recordsOnDisk         records written to queue files, or to a memory snapshot at close, and not yet received
 * @param bytesOnDisk           bytes in live queue files (headers, frames and end markers)
 * @param diskBytesLimit        the disk budget
 * @param diskFiles             live queue files
 * @param maxDiskFiles          how many queue files the disk budget is split into: the most the channel keeps at
 *                              once, except that with {@link Compression#LZ4_BLOCKS} rewritten (smaller) files
 *                              are counted by their bytes
 * @param recordsSpilled        records written to disk since the channel opened
 * @param recordsReadFromDisk   records read back from disk since the channel opened
 * @param filesDeleted          fully consumed queue files deleted since the channel opened
 * @param bytesWrittenToDisk    bytes appended to queue files since the channel opened
 * @param corruptFramesSkipped  damaged frames or undecodable records the receiver skipped
 * @param recordsLost           records that were accepted but cannot be delivered: on disk in a damaged
 *                              file, or (counted at close) held in memory by a serializer that failed
 * @param recordsRecovered      records an earlier run left to deliver, found when the channel was opened: on
 *                              disk from the committed read position on, and in the memory snapshot
 * @param filesRepaired         queue files found damaged at open: a torn tail (bytes after the last whole
 *                              frame that are not all zero) cut off, or an unreadable file set aside. A
 *                              file that a stopped process was writing, ending cleanly, is sealed
 *                              without counting here: that is what every stop without {@code close()}
 *                              leaves
 * @param forces                times queue files were forced to the device (sync policy, seals, flush)
 * @param storage               the storage back end in use ({@code "chronicle-bytes"} or {@code "file-channel"})
 * @param bytesReadFromDisk     frame bytes of the records read back from disk since the channel opened
 * @param recordBytesSpilled    serialized size, before compression, of the records written to disk since open
 * @param payloadBytesSpilled   stored size, after compression, of the same records (frame headers excluded)
 * @param forceNanos            total time spent forcing queue files since open
 * @param maxForceNanos         the longest single force since open
 * @param recordsEvicted        records {@link OverflowPolicy#DROP_OLDEST} discarded from disk, unread, since open
 *                              (never counted in {@code recordsLost})
 * @param recordsDropped        new records a drop policy refused since open ({@link OverflowPolicy#DROP_NEWEST},
 *                              or {@code DROP_OLDEST} when nothing on disk could make room)
 * @param filesEvicted          queue files {@link OverflowPolicy#DROP_OLDEST} deleted since open (not counted in
 *                              {@code filesDeleted})
 * @param filesCompacted        sealed queue files rewritten in shared blocks since open ({@link Compression#LZ4_BLOCKS})
 * @param bytesSavedByCompaction bytes those rewrites gave back to the disk budget
 */
public record ChannelStats(
        long recordsInMemory,
        long bytesInMemory,
        long inMemoryBytesLimit,
        long recordsOnDisk,
        long bytesOnDisk,
        long diskBytesLimit,
        int diskFiles,
        int maxDiskFiles,
        long recordsSpilled,
        long recordsReadFromDisk,
        long filesDeleted,
        long bytesWrittenToDisk,
        long corruptFramesSkipped,
        long recordsLost,
        long recordsRecovered,
        long filesRepaired,
        long forces,
        String storage,
        long bytesReadFromDisk,
        long recordBytesSpilled,
        long payloadBytesSpilled,
        long forceNanos,
        long maxForceNanos,
        long recordsEvicted,
        long recordsDropped,
        long filesEvicted,
        long filesCompacted,
        long bytesSavedByCompaction) {

    /**
     * {@return how many times smaller compression made the records written to disk: serialized
     * bytes over stored payload bytes} {@code 1.0} before anything was written, or with compression off.
     */
    public double compressionRatio() {
        return payloadBytesSpilled == 0 ? 1.0 : (double) recordBytesSpilled / payloadBytesSpilled;
    }

    /** {@return the mean duration of a force in nanoseconds} {@code 0} before the first. */
    public long meanForceNanos() {
        return forces == 0 ? 0 : forceNanos / forces;
    }
}
