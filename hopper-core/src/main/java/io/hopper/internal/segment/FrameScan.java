package io.hopper.internal.segment;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Finds the next intact frame after damage inside a queue file, so that one bad frame header costs
 * the records it hides and not the rest of the file.
 *
 * <p>Every frame carries its own header checksum and its record index. After a header that fails
 * its checksum or claims something impossible, the scan looks at each following byte offset for a
 * frame that passes everything a reader checks: the header checksum holds; it is a single-record
 * frame, a block of records, or a well-formed END frame; it holds a record at or after the one expected; its payload fits in
 * the bytes that may be read; and its payload checksum holds. Most offsets fail on the record-count
 * field before any checksum is computed. A false match needs two independent CRC32C values to agree
 * by chance (about 2^-64 per offset) on top of the structure checks; zeros never match, because the
 * checksum of a zero header is not zero.
 *
 * <p>The records between the damage and the frame found are not recovered; whoever reads on counts
 * them from the indices, as for any other gap.
 */
public final class FrameScan {
    /** Bytes read at a time. */
    static final int CHUNK = 64 * 1024;
    private static final int H = SegmentFormat.FRAME_HEADER_BYTES;
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** Positional reads of one file: up to {@code len} bytes at {@code position}, fewer only at its end. */
    public interface Source {
        int read(long position, byte[] dst, int off, int len) throws IOException;
    }

    private FrameScan() {
    }

    /**
     * The offset of the first intact frame in {@code [from, limit)} whose index is at least
     * {@code minIndex}, or -1 if there is none. Reads nothing at or past {@code limit}.
     */
    public static long nextIntactFrame(Source src, long from, long limit, long minIndex) throws IOException {
        byte[] buf = new byte[CHUNK];
        long bufStart = from;
        int bufLen = 0;
        for (long p = from; p + H <= limit; p++) {
            if (p + H > bufStart + bufLen) {
                bufStart = p;
                bufLen = Math.max(0, src.read(p, buf, 0, (int) Math.min(CHUNK, limit - p)));
                if (bufLen < H) {
                    return -1;
                }
            }
            int h = (int) (p - bufStart);
            // Every frame has a non-zero byte at +8 (an END frame's flags) or at +10 (a record
            // frame's count). Where the eight bytes from p + 8 are all zero, no frame starts at
            // p .. p + 5: skip them (the zero tail of a file being written is long). The buffer
            // holds a whole header from p (h + H <= bufLen), so the eight bytes are in it.
            if ((long) LONG.get(buf, h + 8) == 0) {
                p += 5;
                continue;
            }
            if (SegmentFormat.frameWellFormed(buf, h, limit - p) && reaches(buf, h, minIndex)
                    && payloadIntact(src, buf, h, bufLen, p)) {
                return p;
            }
        }
        return -1;
    }

    /** Whether the frame holds a record at or after {@code minIndex} (an END frame: names an index at or after it). */
    private static boolean reaches(byte[] buf, int h, long minIndex) {
        long index = SegmentFormat.frameRecordIndex(buf, h);
        int count = SegmentFormat.frameRecordCount(buf, h);
        return count == 0 ? index >= minIndex : index + count > minIndex;
    }

    private static boolean payloadIntact(Source src, byte[] buf, int h, int bufLen, long p) throws IOException {
        int len = SegmentFormat.framePayloadLength(buf, h); // within the readable bytes: checked above
        int crc = SegmentFormat.framePayloadCrc(buf, h);
        if (h + H + len <= bufLen) {
            return SegmentFormat.crc(buf, h + H, len) == crc;
        }
        byte[] payload = new byte[len];
        return src.read(p + H, payload, 0, len) == len && SegmentFormat.crc(payload, 0, len) == crc;
    }
}
