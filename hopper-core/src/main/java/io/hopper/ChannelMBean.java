package io.hopper;

/** The {@link ChannelMXBean} of one channel: every attribute reads a fresh stats snapshot. */
final class ChannelMBean implements ChannelMXBean {
    private final Channel<?> channel;

    ChannelMBean(Channel<?> channel) {
        this.channel = channel;
    }

    private ChannelStats s() {
        return channel.stats();
    }

    @Override
    public String getDirectory() {
        return channel.directory().toString();
    }

    @Override
    public boolean isClosed() {
        return channel.isClosed();
    }

    @Override
    public String getStorage() {
        return s().storage();
    }

    @Override
    public long getRecordsInMemory() {
        return s().recordsInMemory();
    }

    @Override
    public long getBytesInMemory() {
        return s().bytesInMemory();
    }

    @Override
    public long getInMemoryBytesLimit() {
        return s().inMemoryBytesLimit();
    }

    @Override
    public long getRecordsOnDisk() {
        return s().recordsOnDisk();
    }

    @Override
    public long getBytesOnDisk() {
        return s().bytesOnDisk();
    }

    @Override
    public long getDiskBytesLimit() {
        return s().diskBytesLimit();
    }

    @Override
    public int getDiskFiles() {
        return s().diskFiles();
    }

    @Override
    public int getMaxDiskFiles() {
        return s().maxDiskFiles();
    }

    @Override
    public long getRecordsSpilled() {
        return s().recordsSpilled();
    }

    @Override
    public long getRecordsReadFromDisk() {
        return s().recordsReadFromDisk();
    }

    @Override
    public long getFilesDeleted() {
        return s().filesDeleted();
    }

    @Override
    public long getBytesWrittenToDisk() {
        return s().bytesWrittenToDisk();
    }

    @Override
    public long getBytesReadFromDisk() {
        return s().bytesReadFromDisk();
    }

    @Override
    public double getCompressionRatio() {
        return s().compressionRatio();
    }

    @Override
    public long getCorruptFramesSkipped() {
        return s().corruptFramesSkipped();
    }

    @Override
    public long getRecordsLost() {
        return s().recordsLost();
    }

    @Override
    public long getRecordsEvicted() {
        return s().recordsEvicted();
    }

    @Override
    public long getRecordsDropped() {
        return s().recordsDropped();
    }

    @Override
    public long getFilesEvicted() {
        return s().filesEvicted();
    }

    @Override
    public long getFilesCompacted() {
        return s().filesCompacted();
    }

    @Override
    public long getBytesSavedByCompaction() {
        return s().bytesSavedByCompaction();
    }

    @Override
    public String getOverflowPolicy() {
        return channel.overflowPolicy().name();
    }

    @Override
    public long getRecordsRecovered() {
        return s().recordsRecovered();
    }

    @Override
    public long getFilesRepaired() {
        return s().filesRepaired();
    }

    @Override
    public long getForces() {
        return s().forces();
    }

    @Override
    public long getMeanForceNanos() {
        return s().meanForceNanos();
    }

    @Override
    public long getMaxForceNanos() {
        return s().maxForceNanos();
    }
}
