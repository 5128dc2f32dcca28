package io.hopper.internal.codec;

import io.hopper.CorruptDataException;

/**
 * How a frame's payload is stored, named in every frame by a codec id (docs/FORMAT.md, "Frame
 * flags"). Ids 0 and 1 are what frames carried before ids existed (the {@code COMPRESSED} flag
 * off or on), so files of every earlier version read unchanged.
 *
 * <p>Adding a codec: a constant here with the next id and its {@link #decode}; its encoding in
 * {@link RecordCodec}; a {@code Compression} constant that selects it; the format doc; and tests.
 * Nothing outside this package learns about it: frames carry the id, readers pass it back here.
 * A reader that meets an id it does not know counts that record as damaged (never misreads it).
 */
public enum PayloadCodec {
    /** The serializer's bytes as they are. */
    STORED(0),
    /** A 4-byte little-endian raw length, then one standard LZ4 block. */
    LZ4(1) {
        @Override
        public int decode(byte[] buf, int off, int len, RecordCodec.DecodeScratch scratch) {
            if (len < 4) {
                throw new CorruptDataException("compressed payload of " + len + " bytes has no length prefix");
            }
            int rawLen = rawLength(buf, off, len);
            if (rawLen < 0) {
                throw new CorruptDataException("compressed payload claims "
                        + Integer.toUnsignedString(RecordCodec.getIntLE(buf, off)) + " raw bytes from a " + (len - 4)
                        + "-byte LZ4 block");
            }
            byte[] out = scratch.ensure(rawLen);
            int n;
            try {
                n = Lz4BlockDecompressor.decompress(buf, off + 4, len - 4, out, 0, rawLen);
            } catch (RuntimeException e) {
                throw new CorruptDataException("LZ4 block does not decompress", e);
            }
            if (n != rawLen) {
                throw new CorruptDataException("LZ4 block decompressed to " + n + " bytes, header says " + rawLen);
            }
            return rawLen;
        }

        /** The claimed raw length, if a block of {@code len - 4} bytes can hold it (one byte at least). */
        @Override
        public int rawLength(byte[] buf, int off, int len) {
            if (len < 5) {
                return -1;
            }
            int n = RecordCodec.getIntLE(buf, off);
            long plausible = (long) (len - 4) * LZ4_MAX_RATIO + 16;
            return n < 0 || n > plausible || n > Integer.MAX_VALUE - 16 ? -1 : n;
        }
    };

    /**
     * Bits of a payload's <em>form</em> (as frames carry it, beside the codec id in the low bits):
     * the raw bytes are a {@code byte[]} record as it is, with no serializer ({@code docs/FORMAT.md}).
     */
    public static final int FORM_BYTES = 0x100;
    /** Form bit: the raw bytes are a {@code String} record's UTF-8, with no serializer. */
    public static final int FORM_UTF8 = 0x200;
    /** The form bits; a form with neither set is the serializer's bytes. */
    public static final int FORM_BITS = FORM_BYTES | FORM_UTF8;
    /** The codec id in a form. */
    public static final int ID_BITS = 0xff;

    /** LZ4 cannot expand a byte into more than 255: a larger claimed raw length is damage. */
    private static final int LZ4_MAX_RATIO = 255;
    private static final PayloadCodec[] BY_ID = values();

    /** The id frames carry. */
    public final int id;

    PayloadCodec(int id) {
        this.id = id;
    }

    /**
     * The codec of id {@code id}.
     *
     * @throws CorruptDataException for an id this build does not know (a frame of a later format,
     *                              or damage that passed the checksum)
     */
    public static PayloadCodec byId(int id) {
        if (id < 0 || id >= BY_ID.length) {
            throw new CorruptDataException("payload codec id " + id + " is unknown to this version of hopper");
        }
        return BY_ID[id];
    }

    /**
     * Decodes the payload {@code buf[off, off + len)} into {@code scratch}'s buffer
     * ({@link RecordCodec.DecodeScratch#bytes()}). Not for {@link #STORED}, whose payload is the
     * raw bytes already.
     *
     * @return how many raw bytes were decoded
     * @throws CorruptDataException if the payload does not decode
     */
    public int decode(byte[] buf, int off, int len, RecordCodec.DecodeScratch scratch) {
        throw new UnsupportedOperationException(this + " payloads are the raw bytes");
    }

    /**
     * How many raw bytes the payload {@code buf[off, off + len)} decodes to, without decoding it,
     * or -1 if the payload cannot be of this codec.
     */
    public int rawLength(byte[] buf, int off, int len) {
        return len;
    }

    /** The raw bytes of the payload {@code buf[off, off + len)}, as a new array (tools, not the hot path). */
    public byte[] rawCopy(byte[] buf, int off, int len) {
        if (this == STORED) {
            return java.util.Arrays.copyOfRange(buf, off, off + len);
        }
        RecordCodec.DecodeScratch scratch = new RecordCodec.DecodeScratch();
        int n = decode(buf, off, len, scratch);
        return java.util.Arrays.copyOf(scratch.bytes(), n);
    }
}
