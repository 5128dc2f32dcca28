package io.hopper;

/**
 * A channel's statistics as JMX attributes, registered with {@link Hopper.Builder#jmxName(String)}.
 * Each attribute is read from a fresh {@link ChannelStats} snapshot; see there for the meaning of
 * each. Reading never blocks producers or the consumer.
 */
public interface ChannelMXBean {
    /** The channel's directory. */
    String getDirectory();

    /** Whether the channel was closed. */
    boolean isClosed();

    /** See {@link ChannelStats#storage()}. */
    String getStorage();

    /** See {@link ChannelStats#recordsInMemory()}. */
    long getRecordsInMemory();

    /** See {@link ChannelStats#bytesInMemory()}. */
    long getBytesInMemory();

    /** See {@link ChannelStats#inMemoryBytesLimit()}. */
    long getInMemoryBytesLimit();

    /** See {@link ChannelStats#recordsOnDisk()}. */
    long getRecordsOnDisk();

    /** See {@link ChannelStats#bytesOnDisk()}. */
    long getBytesOnDisk();

    /** See {@link ChannelStats#diskBytesLimit()}. */
    long getDiskBytesLimit();

    /** See {@link ChannelStats#diskFiles()}. */
    int getDiskFiles();

    /** See {@link ChannelStats#maxDiskFiles()}. */
    int getMaxDiskFiles();

    /** See {@link ChannelStats#recordsSpilled()}. */
    long getRecordsSpilled();

    /** See {@link ChannelStats#recordsReadFromDisk()}. */
    long getRecordsReadFromDisk();

    /** See {@link ChannelStats#filesDeleted()}. */
    long getFilesDeleted();

    /** See {@link ChannelStats#bytesWrittenToDisk()}. */
    long getBytesWrittenToDisk();

    /** See {@link ChannelStats#bytesReadFromDisk()}. */
    long getBytesReadFromDisk();

    /** See {@link ChannelStats#compressionRatio()}. */
    double getCompressionRatio();

    /** See {@link ChannelStats#corruptFramesSkipped()}. */
    long getCorruptFramesSkipped();

    /** See {@link ChannelStats#recordsLost()}. */
    long getRecordsLost();

    /** See {@link ChannelStats#recordsRecovered()}. */
    long getRecordsRecovered();

    /** See {@link ChannelStats#filesRepaired()}. */
    long getFilesRepaired();

    /** See {@link ChannelStats#forces()}. */
    long getForces();

    /** See {@link ChannelStats#meanForceNanos()}. */
    long getMeanForceNanos();

    /** See {@link ChannelStats#maxForceNanos()}. */
    long getMaxForceNanos();
}
