package io.hopper;

/**
 * Bytes read back from a queue file failed verification (checksum, framing or decoding).
 * Receivers do not throw this for a damaged frame: they skip it and count it in
 * {@link ChannelStats#corruptFramesSkipped()}. It is thrown where a caller hands bytes to the
 * codec directly, and it names the file and offset where that is known.
 */
public final class CorruptDataException extends HopperException {
    private static final long serialVersionUID = 1L;

    public CorruptDataException(String message) {
        super(message);
    }

    public CorruptDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
