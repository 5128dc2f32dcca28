package io.hopper;

/**
 * A record can never be accepted: it is heavier than the whole memory budget and its encoded
 * frame is larger than one queue file can hold. Retrying cannot help; the record stays with the caller.
 */
public final class RecordTooLargeException extends HopperException {
    private static final long serialVersionUID = 1L;

    /** Bytes the weigher charged for the record. */
    private final long recordWeight;
    /** Size of the record's encoded frame. */
    private final long encodedBytes;
    /** The memory budget. */
    private final long inMemoryBytes;
    /** The largest frame one queue file holds. */
    private final long maxFrameBytes;

    /**
     * Creates the exception; its message states all four numbers.
     *
     * @param recordWeight  bytes the weigher charged for the record
     * @param encodedBytes  size of its encoded frame
     * @param inMemoryBytes the memory budget
     * @param maxFrameBytes the largest frame one queue file holds
     */
    public RecordTooLargeException(long recordWeight, long encodedBytes, long inMemoryBytes, long maxFrameBytes) {
        super("record too large: it weighs " + recordWeight + " bytes against a memory budget of "
                + inMemoryBytes + " bytes, and encodes to " + encodedBytes
                + " bytes against at most " + maxFrameBytes
                + " bytes per queue file (diskBytes / maxDiskFiles, less headers)");
        this.recordWeight = recordWeight;
        this.encodedBytes = encodedBytes;
        this.inMemoryBytes = inMemoryBytes;
        this.maxFrameBytes = maxFrameBytes;
    }

    /** {@return bytes the weigher charged for the record} */
    public long recordWeight() {
        return recordWeight;
    }

    /** {@return size of the record's encoded frame (serialized, compressed, with its frame header)} */
    public long encodedBytes() {
        return encodedBytes;
    }

    /** {@return the channel's memory budget} */
    public long inMemoryBytes() {
        return inMemoryBytes;
    }

    /** {@return the largest frame one queue file can hold} */
    public long maxFrameBytes() {
        return maxFrameBytes;
    }
}
