package io.hopper.internal.codec;

import java.util.zip.CRC32C;

/**
 * One record encoded for the disk tier: {@code headerRoom} bytes left free for the frame header,
 * then the payload. The segment writer fills the header in place and writes header and payload
 * with one call. Borrowed from the codec's pool by {@code RecordCodec.encode}; the caller owns it
 * until it gives it back with {@code RecordCodec.release}.
 */
public final class EncodedRecord {
    final ByteSink frame;
    int payloadLength;
    int serializedLength;
    int payloadCrc;
    /** The payload's form: its {@link PayloadCodec} id and form bits ({@link PayloadCodec#FORM_BITS}). */
    int codec;

    EncodedRecord(int initialCapacity) {
        this.frame = new ByteSink(initialCapacity);
    }

    /**
     * The working state of one encoding, borrowed only for the encoding itself: the serialized
     * bytes, the compressor's hash table and the checksum, so that encoding allocates nothing per
     * record and a thread waiting with an encoded record holds only its frame.
     */
    static final class Scratch {
        final ByteSink raw = new ByteSink(1024);
        final Lz4BlockCompressor compressor = new Lz4BlockCompressor();
        final CRC32C crc = new CRC32C();
    }

    /** The frame buffer: header room followed by the payload. */
    public byte[] buffer() {
        return frame.array();
    }

    /** Header room plus payload. */
    public int frameLength() {
        return frame.length();
    }

    /** Length of the serialized record before compression. */
    public int serializedLength() {
        return serializedLength;
    }

    public int payloadLength() {
        return payloadLength;
    }

    /** CRC32C of the payload bytes. */
    public int payloadCrc() {
        return payloadCrc;
    }

    /** Whether the payload is stored with a codec (not {@link PayloadCodec#STORED}). */
    public boolean compressed() {
        return (codec & PayloadCodec.ID_BITS) != PayloadCodec.STORED.id;
    }

    /** The payload's form: the {@link PayloadCodec} id it is stored with and its form bits, for the frame's flags. */
    public int codec() {
        return codec;
    }
}
