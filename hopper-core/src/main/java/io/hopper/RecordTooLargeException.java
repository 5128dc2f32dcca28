package io.hopper;

/**
 * A record can never be accepted: it is heavier than the whole memory budget and its encoded
 * frame is larger than one queue file can hold. Retrying cannot help; the record stays with the caller.
 */
public final class RecordTooLargeException extends HopperException {
    private static final long serialVersionUID = 1L;

    private final long recordWeight;
    private final long encodedBytes;
    private final long inMemoryBytes;
    private final long maxFrameBytes;

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

    /** Bytes the weigher charged for the record. */
    public long recordWeight() {
        return recordWeight;
    }

    /** Size of the record's encoded frame (serialized, compressed, with its frame header). */
    public long encodedBytes() {
        return encodedBytes;
    }

    /** The channel's memory budget. */
    public long inMemoryBytes() {
        return inMemoryBytes;
    }

    /** The largest frame one queue file can hold. */
    public long maxFrameBytes() {
        return maxFrameBytes;
    }
}
