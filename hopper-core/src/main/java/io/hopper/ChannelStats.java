package io.hopper;

import java.util.Objects;

/**
 * An immutable snapshot of a channel's state. Counters are read without stopping producers or the
 * consumer, so under concurrent use the fields are each exact at slightly different instants.
 *
 * <p>A class rather than a record, so that a new metric is a new accessor and never breaks code
 * that uses this type: instances come only from {@link Channel#stats()}. {@code equals},
 * {@code hashCode} and {@code toString} are a record's (every field, in the order below).
 */
public final class ChannelStats {
    private final long recordsInMemory;
    private final long bytesInMemory;
    private final long inMemoryBytesLimit;
    private final long recordsOnDisk;
    private final long bytesOnDisk;
    private final long diskBytesLimit;
    private final int diskFiles;
    private final int maxDiskFiles;
    private final long recordsSpilled;
    private final long recordsReadFromDisk;
    private final long filesDeleted;
    private final long bytesWrittenToDisk;
    private final long corruptFramesSkipped;
    private final long recordsLost;
    private final long recordsRecovered;
    private final long filesRepaired;
    private final long forces;
    private final String storage;
    private final long bytesReadFromDisk;
    private final long recordBytesSpilled;
    private final long payloadBytesSpilled;
    private final long forceNanos;
    private final long maxForceNanos;
    private final long recordsEvicted;
    private final long recordsDropped;
    private final long filesEvicted;
    private final long filesCompacted;
    private final long bytesSavedByCompaction;

    /** The values as {@link Channel#stats()} gathers them; a new metric is a new field here. */
    static final class Values {
        long recordsInMemory;
        long bytesInMemory;
        long inMemoryBytesLimit;
        long recordsOnDisk;
        long bytesOnDisk;
        long diskBytesLimit;
        int diskFiles;
        int maxDiskFiles;
        long recordsSpilled;
        long recordsReadFromDisk;
        long filesDeleted;
        long bytesWrittenToDisk;
        long corruptFramesSkipped;
        long recordsLost;
        long recordsRecovered;
        long filesRepaired;
        long forces;
        String storage;
        long bytesReadFromDisk;
        long recordBytesSpilled;
        long payloadBytesSpilled;
        long forceNanos;
        long maxForceNanos;
        long recordsEvicted;
        long recordsDropped;
        long filesEvicted;
        long filesCompacted;
        long bytesSavedByCompaction;
    }

    ChannelStats(Values v) {
        this.recordsInMemory = v.recordsInMemory;
        this.bytesInMemory = v.bytesInMemory;
        this.inMemoryBytesLimit = v.inMemoryBytesLimit;
        this.recordsOnDisk = v.recordsOnDisk;
        this.bytesOnDisk = v.bytesOnDisk;
        this.diskBytesLimit = v.diskBytesLimit;
        this.diskFiles = v.diskFiles;
        this.maxDiskFiles = v.maxDiskFiles;
        this.recordsSpilled = v.recordsSpilled;
        this.recordsReadFromDisk = v.recordsReadFromDisk;
        this.filesDeleted = v.filesDeleted;
        this.bytesWrittenToDisk = v.bytesWrittenToDisk;
        this.corruptFramesSkipped = v.corruptFramesSkipped;
        this.recordsLost = v.recordsLost;
        this.recordsRecovered = v.recordsRecovered;
        this.filesRepaired = v.filesRepaired;
        this.forces = v.forces;
        this.storage = v.storage;
        this.bytesReadFromDisk = v.bytesReadFromDisk;
        this.recordBytesSpilled = v.recordBytesSpilled;
        this.payloadBytesSpilled = v.payloadBytesSpilled;
        this.forceNanos = v.forceNanos;
        this.maxForceNanos = v.maxForceNanos;
        this.recordsEvicted = v.recordsEvicted;
        this.recordsDropped = v.recordsDropped;
        this.filesEvicted = v.filesEvicted;
        this.filesCompacted = v.filesCompacted;
        this.bytesSavedByCompaction = v.bytesSavedByCompaction;
    }

    /** {@return records held in the memory tier (not counting disk markers)} */
    public long recordsInMemory() {
        return recordsInMemory;
    }

    /** {@return bytes charged to the memory budget by the weigher} */
    public long bytesInMemory() {
        return bytesInMemory;
    }

    /** {@return the memory budget} */
    public long inMemoryBytesLimit() {
        return inMemoryBytesLimit;
    }

    /** {@return records written to queue files, or to a memory snapshot at close, and not yet received} */
    public long recordsOnDisk() {
        return recordsOnDisk;
    }

    /** {@return bytes in live queue files (headers, frames and end markers)} */
    public long bytesOnDisk() {
        return bytesOnDisk;
    }

    /** {@return the disk budget} */
    public long diskBytesLimit() {
        return diskBytesLimit;
    }

    /** {@return live queue files} */
    public int diskFiles() {
        return diskFiles;
    }

    /** {@return how many queue files the disk budget is split into: the most the channel keeps at once, except that with {@link Compression#LZ4_BLOCKS} rewritten (smaller) files are counted by their bytes} */
    public int maxDiskFiles() {
        return maxDiskFiles;
    }

    /** {@return records written to disk since the channel opened} */
    public long recordsSpilled() {
        return recordsSpilled;
    }

    /** {@return records read back from disk since the channel opened} */
    public long recordsReadFromDisk() {
        return recordsReadFromDisk;
    }

    /** {@return fully consumed queue files deleted since the channel opened} */
    public long filesDeleted() {
        return filesDeleted;
    }

    /** {@return bytes appended to queue files since the channel opened} */
    public long bytesWrittenToDisk() {
        return bytesWrittenToDisk;
    }

    /** {@return damaged frames or undecodable records the receiver skipped} */
    public long corruptFramesSkipped() {
        return corruptFramesSkipped;
    }

    /** {@return records that were accepted but cannot be delivered: on disk in a damaged file, or (counted at close) held in memory by a serializer that failed} */
    public long recordsLost() {
        return recordsLost;
    }

    /** {@return records an earlier run left to deliver, found when the channel was opened: on disk from the committed read position on, and in the memory snapshot} */
    public long recordsRecovered() {
        return recordsRecovered;
    }

    /** {@return queue files found damaged at open: a torn tail (bytes after the last whole frame that are not all zero) cut off, or an unreadable file set aside. A file that a stopped process was writing, ending cleanly, is sealed without counting here: that is what every stop without {@code close()} leaves} */
    public long filesRepaired() {
        return filesRepaired;
    }

    /** {@return times queue files were forced to the device (sync policy, seals, flush)} */
    public long forces() {
        return forces;
    }

    /** {@return the storage back end in use ({@code "chronicle-bytes"} or {@code "file-channel"})} */
    public String storage() {
        return storage;
    }

    /** {@return frame bytes of the records read back from disk since the channel opened} */
    public long bytesReadFromDisk() {
        return bytesReadFromDisk;
    }

    /** {@return serialized size, before compression, of the records written to disk since open} */
    public long recordBytesSpilled() {
        return recordBytesSpilled;
    }

    /** {@return stored size, after compression, of the same records (frame headers excluded)} */
    public long payloadBytesSpilled() {
        return payloadBytesSpilled;
    }

    /** {@return total time spent forcing queue files since open} */
    public long forceNanos() {
        return forceNanos;
    }

    /** {@return the longest single force since open} */
    public long maxForceNanos() {
        return maxForceNanos;
    }

    /** {@return records {@link OverflowPolicy#DROP_OLDEST} discarded from disk, unread, since open (never counted in {@code recordsLost})} */
    public long recordsEvicted() {
        return recordsEvicted;
    }

    /** {@return new records a drop policy refused since open ({@link OverflowPolicy#DROP_NEWEST}, or {@code DROP_OLDEST} when nothing on disk could make room)} */
    public long recordsDropped() {
        return recordsDropped;
    }

    /** {@return queue files {@link OverflowPolicy#DROP_OLDEST} deleted since open (not counted in {@code filesDeleted})} */
    public long filesEvicted() {
        return filesEvicted;
    }

    /** {@return sealed queue files rewritten in shared blocks since open ({@link Compression#LZ4_BLOCKS})} */
    public long filesCompacted() {
        return filesCompacted;
    }

    /** {@return bytes those rewrites gave back to the disk budget} */
    public long bytesSavedByCompaction() {
        return bytesSavedByCompaction;
    }

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

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ChannelStats other)) {
            return false;
        }
        return recordsInMemory == other.recordsInMemory && bytesInMemory == other.bytesInMemory &&
                inMemoryBytesLimit == other.inMemoryBytesLimit && recordsOnDisk == other.recordsOnDisk &&
                bytesOnDisk == other.bytesOnDisk && diskBytesLimit == other.diskBytesLimit &&
                diskFiles == other.diskFiles && maxDiskFiles == other.maxDiskFiles &&
                recordsSpilled == other.recordsSpilled && recordsReadFromDisk == other.recordsReadFromDisk &&
                filesDeleted == other.filesDeleted && bytesWrittenToDisk == other.bytesWrittenToDisk &&
                corruptFramesSkipped == other.corruptFramesSkipped && recordsLost == other.recordsLost &&
                recordsRecovered == other.recordsRecovered && filesRepaired == other.filesRepaired &&
                forces == other.forces && Objects.equals(storage, other.storage) &&
                bytesReadFromDisk == other.bytesReadFromDisk &&
                recordBytesSpilled == other.recordBytesSpilled &&
                payloadBytesSpilled == other.payloadBytesSpilled && forceNanos == other.forceNanos &&
                maxForceNanos == other.maxForceNanos && recordsEvicted == other.recordsEvicted &&
                recordsDropped == other.recordsDropped && filesEvicted == other.filesEvicted &&
                filesCompacted == other.filesCompacted &&
                bytesSavedByCompaction == other.bytesSavedByCompaction;
    }

    @Override
    public int hashCode() {
        return Objects.hash(recordsInMemory, bytesInMemory, inMemoryBytesLimit, recordsOnDisk, bytesOnDisk, diskBytesLimit,
                diskFiles, maxDiskFiles, recordsSpilled, recordsReadFromDisk, filesDeleted, bytesWrittenToDisk,
                corruptFramesSkipped, recordsLost, recordsRecovered, filesRepaired, forces, storage,
                bytesReadFromDisk, recordBytesSpilled, payloadBytesSpilled, forceNanos, maxForceNanos, recordsEvicted,
                recordsDropped, filesEvicted, filesCompacted, bytesSavedByCompaction);
    }

    @Override
    public String toString() {
        return "ChannelStats[" +
                "recordsInMemory=" + recordsInMemory +
                ", bytesInMemory=" + bytesInMemory +
                ", inMemoryBytesLimit=" + inMemoryBytesLimit +
                ", recordsOnDisk=" + recordsOnDisk +
                ", bytesOnDisk=" + bytesOnDisk +
                ", diskBytesLimit=" + diskBytesLimit +
                ", diskFiles=" + diskFiles +
                ", maxDiskFiles=" + maxDiskFiles +
                ", recordsSpilled=" + recordsSpilled +
                ", recordsReadFromDisk=" + recordsReadFromDisk +
                ", filesDeleted=" + filesDeleted +
                ", bytesWrittenToDisk=" + bytesWrittenToDisk +
                ", corruptFramesSkipped=" + corruptFramesSkipped +
                ", recordsLost=" + recordsLost +
                ", recordsRecovered=" + recordsRecovered +
                ", filesRepaired=" + filesRepaired +
                ", forces=" + forces +
                ", storage=" + storage +
                ", bytesReadFromDisk=" + bytesReadFromDisk +
                ", recordBytesSpilled=" + recordBytesSpilled +
                ", payloadBytesSpilled=" + payloadBytesSpilled +
                ", forceNanos=" + forceNanos +
                ", maxForceNanos=" + maxForceNanos +
                ", recordsEvicted=" + recordsEvicted +
                ", recordsDropped=" + recordsDropped +
                ", filesEvicted=" + filesEvicted +
                ", filesCompacted=" + filesCompacted +
                ", bytesSavedByCompaction=" + bytesSavedByCompaction +
                "]";
    }
}
