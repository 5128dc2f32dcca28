package io.hopper.internal.segment;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The scan that finds the next intact frame after damage: what it accepts, and what it must not. */
class FrameScanTest {
    private static final int H = SegmentFormat.FRAME_HEADER_BYTES;

    private static byte[] frame(long index, byte[] payload) {
        byte[] f = new byte[H + payload.length];
        SegmentFormat.writeFrameHeader(f, 0, payload.length, SegmentFormat.crc(payload, 0, payload.length), 0, 1, index);
        System.arraycopy(payload, 0, f, H, payload.length);
        return f;
    }

    private static byte[] endFrame(long index) {
        byte[] f = new byte[H];
        SegmentFormat.writeFrameHeader(f, 0, 0, 0, SegmentFormat.FLAG_END, 0, index);
        return f;
    }

    private static byte[] payload(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Reads from an array, in short pieces so that frames straddle the scan's buffer. */
    private static FrameScan.Source source(byte[] file) {
        return (at, dst, off, len) -> {
            if (at >= file.length) {
                return 0;
            }
            int n = (int) Math.min(len, file.length - at);
            System.arraycopy(file, (int) at, dst, off, n);
            return n;
        };
    }

    private static long scan(byte[] file, long from, long minIndex) throws Exception {
        return FrameScan.nextIntactFrame(source(file), from, file.length, minIndex);
    }

    @Test
    void zerosAndRandomBytesHoldNoFrame() throws Exception {
        assertEquals(-1, scan(new byte[200_000], 0, 0));
        assertEquals(-1, scan(payload(200_000, 7), 0, 0));
    }

    @Test
    void skippingZerosNeverJumpsOverAFrame() throws Exception {
        for (int zeros = 0; zeros < 40; zeros++) {
            for (byte[] f : new byte[][] {frame(256, new byte[0]), frame(0, new byte[256]), endFrame(0)}) {
                byte[] file = new byte[zeros + f.length + 64];
                System.arraycopy(f, 0, file, zeros, f.length);
                assertEquals(zeros, scan(file, 0, 0), "after " + zeros + " zero bytes");
            }
        }
    }

    @Test
    void findsTheNextFrameAtItsExactOffsetBehindGarbage() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(payload(1_000, 1));
        int at = out.size();
        out.writeBytes(frame(9, payload(300, 2)));
        out.writeBytes(endFrame(10));
        byte[] file = out.toByteArray();
        assertEquals(at, scan(file, 0, 0));
        assertEquals(at, scan(file, 0, 9));
        assertEquals(at + H + 300, scan(file, 0, 10)); // record 9 is behind the index wanted: the END frame is next
        assertEquals(at + H + 300, scan(file, at + 1, 0));
        assertEquals(-1, scan(file, 0, 11));
    }

    @Test
    void aFrameWhosePayloadFailsItsChecksumOrRunsPastTheLimitIsNotTrusted() throws Exception {
        byte[] f = frame(3, payload(500, 3));
        byte[] good = new byte[100 + f.length];
        System.arraycopy(f, 0, good, 100, f.length);
        byte[] badPayload = good.clone();
        badPayload[100 + H + 100] ^= 1;
        assertEquals(-1, scan(badPayload, 0, 0));
        assertEquals(-1, FrameScan.nextIntactFrame(source(good), 0, good.length - 1, 0));
        assertEquals(100, FrameScan.nextIntactFrame(source(good), 0, good.length, 0));
    }

    @Test
    void aFrameThatStraddlesTheScanBufferIsReadWhole() throws Exception {
        byte[] big = payload(100_000, 4);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[60_000]);
        out.writeBytes(frame(1, big));
        byte[] file = out.toByteArray();
        assertEquals(60_000, scan(file, 0, 0));
        file[60_000 + H + 99_999] ^= 1; // the last payload byte, far outside the first buffer
        assertEquals(-1, scan(file, 0, 0));
    }

    @Test
    void framesAcrossTheEndOfTheScanBufferAreFound() throws Exception {
        int chunk = FrameScan.CHUNK;
        // An END frame whose last byte is the first past the buffer: the refill holds exactly it.
        byte[] end = new byte[chunk + 1];
        System.arraycopy(endFrame(5), 0, end, chunk - 23, H);
        assertEquals(chunk - 23, scan(end, 0, 0));
        // A record frame whose header starts inside the buffer and ends past it.
        byte[] header = new byte[chunk + 200];
        byte[] f = frame(5, payload(100, 5));
        System.arraycopy(f, 0, header, chunk - 10, f.length);
        assertEquals(chunk - 10, scan(header, 0, 0));
        // A record frame whose payload ends ten bytes past the buffer.
        byte[] tail = new byte[chunk + 100];
        System.arraycopy(f, 0, tail, chunk + 10 - f.length, f.length);
        assertEquals(chunk + 10 - f.length, scan(tail, 0, 0));
        tail[chunk + 5] ^= 1; // its payload, past the buffer
        assertEquals(-1, scan(tail, 0, 0));
    }

    @Test
    void aLimitPastTheEndOfTheFileFindsOnlyWhatIsThere() throws Exception {
        byte[] file = new byte[500];
        byte[] f = frame(2, payload(50, 6));
        System.arraycopy(f, 0, file, 300, f.length);
        assertEquals(300, FrameScan.nextIntactFrame(source(file), 0, 10_000, 0));
        assertEquals(-1, FrameScan.nextIntactFrame(source(file), 301, 10_000, 0));
        assertEquals(-1, FrameScan.nextIntactFrame(source(file), 490, 10_000, 0));
    }

    @Test
    void shapesAFrameCannotHaveAreRejectedEvenWithAValidHeaderChecksum() throws Exception {
        byte[] twoRecords = new byte[H];
        SegmentFormat.writeFrameHeader(twoRecords, 0, 0, 0, 0, 2, 1);
        byte[] endWithPayload = new byte[H + 4];
        SegmentFormat.writeFrameHeader(endWithPayload, 0, 4, SegmentFormat.crc(new byte[4], 0, 4),
                SegmentFormat.FLAG_END, 0, 1);
        byte[] unknownFlag = new byte[H];
        SegmentFormat.writeFrameHeader(unknownFlag, 0, 0, 0, 0x40, 1, 1);
        for (byte[] f : new byte[][] {twoRecords, endWithPayload, unknownFlag}) {
            assertEquals(-1, scan(f, 0, 0), Arrays.toString(f));
        }
    }
}
