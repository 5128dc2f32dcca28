package io.hopper;

/**
 * A channel's statistics as JMX attributes, registered with {@link Hopper.Builder#jmxName(String)}.
 * Each attribute is read from a fresh {@link ChannelStats} snapshot; see there for the meaning of
 * each. Reading never blocks producers or the consumer.
 */
public interface ChannelMXBean {
    /** {@return the channel's directory} */
    String getDirectory();

    /** {@return whether the channel was closed} */
    boolean isClosed();

    /** {@return {@link ChannelStats#storage()} of a fresh snapshot} */
    String getStorage();

    /** {@return {@link ChannelStats#recordsInMemory()} of a fresh snapshot} */
    long getRecordsInMemory();

    /** {@return {@link ChannelStats#bytesInMemory()} of a fresh snapshot} */
    long getBytesInMemory();

    /** {@return {@link ChannelStats#inMemoryBytesLimit()} of a fresh snapshot} */
    long getInMemoryBytesLimit();

    /** {@return {@link ChannelStats#recordsOnDisk()} of a fresh snapshot} */
    long getRecordsOnDisk();

    /** {@return {@link ChannelStats#bytesOnDisk()} of a fresh snapshot} */
    long getBytesOnDisk();

    /** {@return {@link ChannelStats#diskBytesLimit()} of a fresh snapshot} */
    long getDiskBytesLimit();

    /** {@return {@link ChannelStats#diskFiles()} of a fresh snapshot} */
    int getDiskFiles();

    /** {@return {@link ChannelStats#maxDiskFiles()} of a fresh snapshot} */
    int getMaxDiskFiles();

    /** {@return {@link ChannelStats#recordsSpilled()} of a fresh snapshot} */
    long getRecordsSpilled();

    /** {@return {@link ChannelStats#recordsReadFromDisk()} of a fresh snapshot} */
    long getRecordsReadFromDisk();

    /** {@return {@link ChannelStats#filesDeleted()} of a fresh snapshot} */
    long getFilesDeleted();

    /** {@return {@link ChannelStats#bytesWrittenToDisk()} of a fresh snapshot} */
    long getBytesWrittenToDisk();

    /** {@return {@link ChannelStats#bytesReadFromDisk()} of a fresh snapshot} */
    long getBytesReadFromDisk();

    /** {@return {@link ChannelStats#compressionRatio()} of a fresh snapshot} */
    double getCompressionRatio();

    /** {@return {@link ChannelStats#corruptFramesSkipped()} of a fresh snapshot} */
    long getCorruptFramesSkipped();

    /** {@return {@link ChannelStats#recordsLost()} of a fresh snapshot} */
    long getRecordsLost();

    /** {@return {@link ChannelStats#recordsEvicted()} of a fresh snapshot} */
    long getRecordsEvicted();

    /** {@return {@link ChannelStats#recordsDropped()} of a fresh snapshot} */
    long getRecordsDropped();

    /** {@return {@link ChannelStats#filesEvicted()} of a fresh snapshot} */
    long getFilesEvicted();

    /** {@return {@link ChannelStats#filesCompacted()} of a fresh snapshot} */
    long getFilesCompacted();

    /** {@return {@link ChannelStats#bytesSavedByCompaction()} of a fresh snapshot} */
    long getBytesSavedByCompaction();

    /** {@return the channel's {@link OverflowPolicy}, by name} */
    String getOverflowPolicy();

    /** {@return {@link ChannelStats#recordsRecovered()} of a fresh snapshot} */
    long getRecordsRecovered();

    /** {@return {@link ChannelStats#filesRepaired()} of a fresh snapshot} */
    long getFilesRepaired();

    /** {@return {@link ChannelStats#forces()} of a fresh snapshot} */
    long getForces();

    /** {@return {@link ChannelStats#meanForceNanos()} of a fresh snapshot} */
    long getMeanForceNanos();

    /** {@return {@link ChannelStats#maxForceNanos()} of a fresh snapshot} */
    long getMaxForceNanos();
}
