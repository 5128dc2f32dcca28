package io.hopper.internal.segment;

import io.hopper.internal.codec.PayloadCodec;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The queue-file format, versions 1 and 2. All integers are little-endian. See also {@code docs/FORMAT.md}.
 *
 * <pre>
 * Segment file  "segment-&lt;20-digit sequence&gt;.hop"
 * +---------------------------- header, 32 bytes ---------------------------+
 * | 0  magic            8  "HOPPERQS"                                        |
 * | 8  format version   4  1, or 2 for a file rewritten in shared blocks    |
 * | 12 header length    4  32                                                |
 * | 16 sequence         8  the file's sequence number (its name)             |
 * | 24 reserved         4  0                                                 |
 * | 28 header CRC32C    4  of bytes 0..27                                    |
 * +-------------------------------------------------------------------------+
 * | frame, frame, ... , end frame                                           |
 * +-------------------------------------------------------------------------+
 *
 * Frame
 * | 0  payload length   4  bytes after the 24-byte frame header             |
 * | 4  payload CRC32C   4  of the payload bytes                             |
 * | 8  flags            2  bit 0 COMPRESSED, bit 1 END (segment sealed),     |
 * |                        bit 3 BLOCK (several records, version 2 files),  |
 * |                        bits 4-7 CODEC (with COMPRESSED: 0 means LZ4),   |
 * |                        bit 8 BYTES, bit 9 UTF8 (plain records)          |
 * | 10 record count     2  records in the payload: 1, 1..65535 for BLOCK, 0 |
 * |                        for END                                         |
 * | 12 record index     8  disk-stream index of the (first) record; for END |
 * |                        the index the next file starts at               |
 * | 20 header CRC32C    4  of frame bytes 0..19                             |
 * | 24 payload          n                                                   |
 * </pre>
 *
 * A reader verifies the header CRC before it believes the length, and the payload CRC before it
 * decodes. Bytes past the last frame are undefined (zeros, or a torn write): the header CRC
 * rejects them. A sealed segment ends with an END frame; nothing relies on file permissions.
 * Record indices make every frame self-locating, which is what a read cursor (durability)
 * records, and what lets a reader skip a damaged region and know exactly how many records it lost.
 *
 * <p>A BLOCK frame (always COMPRESSED) holds records {@code index .. index + count - 1}: its payload
 * is a 4-byte raw length and one LZ4 block whose raw bytes are, for each record, an unsigned LEB128
 * length and the serializer's bytes ({@link RecordBlock}). Only the compactor writes them, into
 * version-2 files; a version-1 file holds single-record frames only.
 */
public final class SegmentFormat {
    private SegmentFormat() {
    }

    public static final byte[] MAGIC = "HOPPERQS".getBytes(StandardCharsets.US_ASCII);
    /** The version of files written record by record (the file being filled, and any file not rewritten). */
    public static final int VERSION = 1;
    /** The version of a file the compactor rewrote in shared blocks ({@link #FLAG_BLOCK} frames). */
    public static final int BLOCK_VERSION = 2;
    public static final int FILE_HEADER_BYTES = 32;
    public static final int FRAME_HEADER_BYTES = 24;
    public static final int END_FRAME_BYTES = FRAME_HEADER_BYTES;

    public static final int FLAG_COMPRESSED = 1;
    public static final int FLAG_END = 2;
    /** Snapshot files only: the frame is a disk marker; its 8-byte payload is the marker's end index. */
    public static final int FLAG_MARKER = 4;
    /** The frame's payload is an LZ4 block of several records ({@link RecordBlock}); always with {@link #FLAG_COMPRESSED}. */
    public static final int FLAG_BLOCK = 8;
    /** Most records one block frame holds (its record count is 16 bits). */
    public static final int MAX_BLOCK_RECORDS = 0xffff;
    /**
     * Bits 4-7: the payload's codec id ({@code PayloadCodec}) when it is above 1. Frames written
     * before codec ids existed have these bits 0, and {@link #FLAG_COMPRESSED} alone meant LZ4, so
     * id 0 is "{@code COMPRESSED} off" and id 1 "{@code COMPRESSED} on, codec bits 0": those frames
     * read unchanged, and LZ4 frames are still written exactly so.
     */
    public static final int FLAG_CODEC_BITS = 0xf0;
    private static final int CODEC_SHIFT = 4;
    /**
     * Bit 8: the record (every record of a block) is a {@code byte[]} stored as itself, and bit 9:
     * a {@code String} stored as its UTF-8, with no serializer ({@code PayloadCodec.FORM_BYTES},
     * {@code FORM_UTF8}; the same values). Neither set: the serializer's bytes, as every frame
     * before these bits existed. A reader of an earlier version rejects a frame with them as
     * malformed, so it never misreads one.
     */
    public static final int FLAG_FORM_BITS = PayloadCodec.FORM_BITS;
    static final int KNOWN_FLAGS = FLAG_COMPRESSED | FLAG_END | FLAG_MARKER | FLAG_BLOCK | FLAG_CODEC_BITS
            | FLAG_FORM_BITS;

    /**
     * The flag bits that name payload form {@code form}: its codec id (0: none; 1:
     * {@link #FLAG_COMPRESSED}; above: with the codec bits) and its form bits.
     */
    public static int codecFlags(int form) {
        int id = form & PayloadCodec.ID_BITS;
        int codec = id == 0 ? 0 : id == 1 ? FLAG_COMPRESSED : FLAG_COMPRESSED | (id << CODEC_SHIFT);
        return codec | (form & FLAG_FORM_BITS);
    }

    /** The payload form frame flags {@code flags} name: the codec id and the form bits, to pass to the decoder. */
    public static int formOf(int flags) {
        return codecOf(flags) | (flags & FLAG_FORM_BITS);
    }

    /** The payload form of the frame at {@code off}. */
    public static int frameForm(byte[] b, int off) {
        return formOf(frameFlags(b, off));
    }

    /** The payload codec id that frame flags {@code flags} name. */
    public static int codecOf(int flags) {
        if ((flags & FLAG_COMPRESSED) == 0) {
            return 0;
        }
        int bits = (flags & FLAG_CODEC_BITS) >>> CODEC_SHIFT;
        return bits == 0 ? 1 : bits;
    }

    /** Smallest per-file capacity: a header, one minimal frame and the end frame. */
    public static final long MIN_SEGMENT_BYTES = FILE_HEADER_BYTES + FRAME_HEADER_BYTES + 1 + END_FRAME_BYTES;

    public static final String FILE_PREFIX = "segment-";
    public static final String FILE_SUFFIX = ".hop";

    public static String fileName(long sequence) {
        return FILE_PREFIX + String.format("%020d", sequence) + FILE_SUFFIX;
    }

    /** The sequence number in a segment file name, or -1 if the name is not one. */
    public static long parseFileName(String name) {
        if (!name.startsWith(FILE_PREFIX) || !name.endsWith(FILE_SUFFIX)
                || name.length() != FILE_PREFIX.length() + 20 + FILE_SUFFIX.length()) {
            return -1;
        }
        String digits = name.substring(FILE_PREFIX.length(), FILE_PREFIX.length() + 20);
        for (int i = 0; i < digits.length(); i++) {
            if (!Character.isDigit(digits.charAt(i))) {
                return -1;
            }
        }
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Largest payload a frame may carry in a file of {@code segmentBytes}. */
    public static long maxPayload(long segmentBytes) {
        return segmentBytes - FILE_HEADER_BYTES - FRAME_HEADER_BYTES - END_FRAME_BYTES;
    }

    public static void writeFileHeader(byte[] b, long sequence) {
        writeFileHeader(b, sequence, VERSION);
    }

    /** Fills a file header of the given format version ({@link #VERSION} or {@link #BLOCK_VERSION}). */
    public static void writeFileHeader(byte[] b, long sequence, int version) {
        System.arraycopy(MAGIC, 0, b, 0, 8);
        putInt(b, 8, version);
        putInt(b, 12, FILE_HEADER_BYTES);
        putLong(b, 16, sequence);
        putInt(b, 24, 0);
        putInt(b, 28, crc(b, 0, 28));
    }

    /** Why the header is not valid for {@code expectedSequence}, or {@code null} when it is. */
    public static String checkFileHeader(byte[] b, int off, long expectedSequence) {
        for (int i = 0; i < 8; i++) {
            if (b[off + i] != MAGIC[i]) {
                return "bad magic";
            }
        }
        if (getInt(b, off + 28) != crc(b, off, 28)) {
            return "header checksum mismatch";
        }
        int version = getInt(b, off + 8);
        if (version != VERSION && version != BLOCK_VERSION) {
            return "unsupported format version " + version + " (this build reads " + VERSION + " and "
                    + BLOCK_VERSION + ")";
        }
        if (getInt(b, off + 12) != FILE_HEADER_BYTES) {
            return "unexpected header length " + getInt(b, off + 12);
        }
        long seq = getLong(b, off + 16);
        if (seq != expectedSequence) {
            return "header names sequence " + seq + " but the file name says " + expectedSequence;
        }
        return null;
    }

    /** Fills a frame header at {@code off}. */
    public static void writeFrameHeader(byte[] b, int off, int payloadLength, int payloadCrc,
                                        int flags, int recordCount, long recordIndex) {
        putInt(b, off, payloadLength);
        putInt(b, off + 4, payloadCrc);
        putShort(b, off + 8, flags);
        putShort(b, off + 10, recordCount);
        putLong(b, off + 12, recordIndex);
        putInt(b, off + 20, crc(b, off, 20));
    }

    /**
     * Whether the frame header at {@code off} can be believed, cheapest checks first: a
     * single-record frame, a compressed block of at least one record, or a well-formed END frame,
     * whose payload fits in the {@code available} bytes from the header on, and whose header
     * checksum holds. The record index is the caller's to check.
     */
    public static boolean frameWellFormed(byte[] b, int off, long available) {
        int count = frameRecordCount(b, off);
        long len = framePayloadLength(b, off) & 0xffffffffL;
        int flags = frameFlags(b, off);
        boolean end = (flags & FLAG_END) != 0;
        boolean block = (flags & FLAG_BLOCK) != 0;
        // Blocks are LZ4 (codec bits 0); an END frame names no codec and no form.
        if (end ? count != 0 || len != 0 || block || (flags & (FLAG_CODEC_BITS | FLAG_FORM_BITS)) != 0
                : block ? count < 1 || (flags & (FLAG_COMPRESSED | FLAG_MARKER | FLAG_CODEC_BITS)) != FLAG_COMPRESSED
                : count != 1) {
            return false;
        }
        return len <= Integer.MAX_VALUE - FRAME_HEADER_BYTES && FRAME_HEADER_BYTES + len <= available
                && frameHeaderValid(b, off);
    }

    public static boolean frameHeaderValid(byte[] b, int off) {
        int flags = frameFlags(b, off);
        // Codec bits mean something only beside COMPRESSED; a record is a byte[] or a String, not both.
        return getInt(b, off + 20) == crc(b, off, 20) && (flags & ~KNOWN_FLAGS) == 0
                && ((flags & FLAG_CODEC_BITS) == 0 || (flags & FLAG_COMPRESSED) != 0)
                && (flags & FLAG_FORM_BITS) != FLAG_FORM_BITS;
    }

    public static int framePayloadLength(byte[] b, int off) {
        return getInt(b, off);
    }

    public static int framePayloadCrc(byte[] b, int off) {
        return getInt(b, off + 4);
    }

    public static int frameFlags(byte[] b, int off) {
        return getShort(b, off + 8);
    }

    public static int frameRecordCount(byte[] b, int off) {
        return getShort(b, off + 10);
    }

    public static long frameRecordIndex(byte[] b, int off) {
        return getLong(b, off + 12);
    }

    /** Whether the frame at {@code off} is a block of several records. */
    public static boolean frameIsBlock(byte[] b, int off) {
        return (frameFlags(b, off) & FLAG_BLOCK) != 0;
    }

    /** The format version in the (checked) file header at {@code off}. */
    public static int fileVersion(byte[] b, int off) {
        return getInt(b, off + 8);
    }

    public static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    static void putShort(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
    }

    static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    static void putLong(byte[] b, int off, long v) {
        putInt(b, off, (int) v);
        putInt(b, off + 4, (int) (v >>> 32));
    }

    static int getShort(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }

    static int getInt(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    static long getLong(byte[] b, int off) {
        return (getInt(b, off) & 0xffffffffL) | ((long) getInt(b, off + 4) << 32);
    }
}
