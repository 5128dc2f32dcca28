package io.hopper.internal.codec;

import java.util.zip.CRC32C;

/**
 * One record encoded for the disk tier, in a buffer owned by the encoding thread:
 * {@code headerRoom} bytes left free for the frame header, then the payload. The segment writer
 * fills the header in place and writes header and payload with one call.
 * Valid until the same thread encodes its next record.
 */
public final class EncodedRecord {
    final ByteSink frame;
    final ByteSink raw;
    /** This thread's compressor and checksum, kept so that encoding allocates nothing per record. */
    final Lz4BlockCompressor compressor = new Lz4BlockCompressor();
    final CRC32C crc = new CRC32C();
    int payloadLength;
    int serializedLength;
    int payloadCrc;
    boolean compressed;

    EncodedRecord(int initialCapacity) {
        this.frame = new ByteSink(initialCapacity);
        this.raw = new ByteSink(initialCapacity);
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

    /** Whether the payload is LZ4 compressed (a 4-byte raw length, then the LZ4 block). */
    public boolean compressed() {
        return compressed;
    }
}
