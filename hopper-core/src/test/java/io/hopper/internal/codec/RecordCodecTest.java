package io.hopper.internal.codec;

import io.hopper.Compression;
import io.hopper.CorruptDataException;
import io.hopper.UnsupportedRecordException;
import io.hopper.Serializer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The payload encoding a frame carries: raw or LZ4 with a length prefix, checksummed, never trusted on the way back. */
class RecordCodecTest {

    private static final int HEADER = 24;
    private final RecordCodec<byte[]> lz4 = new RecordCodec<>(new RawBytes(), Compression.LZ4, HEADER);
    private final RecordCodec<byte[]> none = new RecordCodec<>(new RawBytes(), Compression.NONE, HEADER);
    private final RecordCodec.DecodeScratch scratch = new RecordCodec.DecodeScratch();

    private static byte[] payload(EncodedRecord e) {
        return Arrays.copyOfRange(e.buffer(), HEADER, HEADER + e.payloadLength());
    }

    private static int crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return (int) c.getValue();
    }

    @Test
    void littleEndianLengthPrefixIsPinned() {
        byte[] b = new byte[5];
        RecordCodec.putIntLE(b, 1, 0x81020304);
        assertArrayEquals(new byte[] {0, 4, 3, 2, (byte) 0x81}, b);
        assertEquals(0x81020304, RecordCodec.getIntLE(b, 1));
        RecordCodec.putIntLE(b, 0, -1);
        assertEquals(-1, RecordCodec.getIntLE(b, 0));
    }

    @Test
    void uncompressedPayloadIsTheSerializedBytesAfterTheHeaderRoom() {
        byte[] v = "hello, queue".getBytes();
        EncodedRecord e = none.encode(v);
        assertFalse(e.compressed());
        assertEquals(v.length, e.payloadLength());
        assertEquals(v.length, e.serializedLength());
        assertEquals(HEADER + v.length, e.frameLength());
        assertArrayEquals(v, payload(e));
        assertEquals(crc(v), e.payloadCrc());
        assertArrayEquals(v, none.decode(e.buffer(), HEADER, e.payloadLength(), PayloadCodec.STORED.id, scratch));
    }

    @Test
    void compressiblePayloadCarriesItsRawLengthAndShrinks() {
        byte[] v = new byte[10_000];
        Arrays.fill(v, (byte) 'a');
        EncodedRecord e = lz4.encode(v);
        assertTrue(e.compressed());
        assertTrue(e.payloadLength() < 200, "10,000 equal bytes should compress: " + e.payloadLength());
        assertEquals(10_000, e.serializedLength());
        byte[] p = payload(e);
        assertEquals(10_000, RecordCodec.getIntLE(p, 0));
        assertEquals(crc(p), e.payloadCrc());
        assertEquals(HEADER + e.payloadLength(), e.frameLength());
        assertArrayEquals(v, lz4.decode(p, 0, p.length, PayloadCodec.LZ4.id, scratch));
    }

    @Test
    void tinyOrIncompressibleRecordsAreStoredRaw() {
        byte[] sixteen = new byte[16];
        assertFalse(lz4.encode(sixteen).compressed(), "16 bytes or fewer are never compressed");
        assertTrue(lz4.encode(new byte[64]).compressed(), "64 equal bytes are");
        byte[] random = new byte[4096];
        new java.util.Random(1).nextBytes(random);
        EncodedRecord r = lz4.encode(random);
        assertFalse(r.compressed(), "LZ4 output larger than the input is not kept");
        assertEquals(4096, r.payloadLength());
        assertArrayEquals(random, payload(r));
    }

    @Test
    void aRecordOverSixteenMiBKeepsTheTopByteOfItsLength() {
        // The length prefix's highest byte only matters past 2^24 bytes.
        byte[] v = new byte[(1 << 24) + 3];
        v[v.length - 1] = 7;
        EncodedRecord e = lz4.encode(v);
        assertTrue(e.compressed());
        byte[] p = payload(e);
        assertEquals(v.length, RecordCodec.getIntLE(p, 0));
        byte[] back = lz4.decode(p, 0, p.length, PayloadCodec.LZ4.id, scratch);
        assertEquals(v.length, back.length);
        assertEquals(7, back[back.length - 1]);
        // The next, small record gets small buffers again (the big ones are not kept).
        EncodedRecord small = lz4.encode(new byte[100]);
        assertTrue(small.buffer().length < (4 << 20), "encode buffer kept at " + small.buffer().length);
        byte[] sp = payload(small);
        assertArrayEquals(new byte[100], lz4.decode(sp, 0, sp.length, small.codec(), scratch));
    }

    @Test
    void aFrameIsTheCallersUntilReleasedAndThenReused() throws Exception {
        EncodedRecord a = lz4.encode(new byte[10]);
        EncodedRecord b = lz4.encode(new byte[20]);
        assertFalse(a == b, "a frame still held is never handed out again");
        assertEquals(10, payload(a).length, "and keeps its record");
        lz4.release(a);
        lz4.release(b);
        EncodedRecord c = lz4.encode(new byte[30]);
        assertTrue(c == a || c == b, "a released frame is reused");
        lz4.release(c);
        EncodedRecord[] other = new EncodedRecord[1];
        Thread t = new Thread(() -> other[0] = lz4.encode(new byte[10]));
        t.start();
        t.join();
        assertTrue(other[0] == a || other[0] == b, "by any thread: the pool is not per thread");
    }

    @Test
    void lengthPrefixIsNotTrusted() {
        byte[] v = new byte[1000];
        EncodedRecord e = lz4.encode(v);
        byte[] p = payload(e);

        CorruptDataException shortPrefix = assertThrows(CorruptDataException.class,
                () -> lz4.decode(p, 0, 3, PayloadCodec.LZ4.id, scratch));
        assertTrue(shortPrefix.getMessage().contains("no length prefix"), shortPrefix.getMessage());

        byte[] huge = p.clone();
        RecordCodec.putIntLE(huge, 0, (p.length - 4) * 255 + 17); // one past what LZ4 can expand to
        CorruptDataException implausible = assertThrows(CorruptDataException.class,
                () -> lz4.decode(huge, 0, huge.length, PayloadCodec.LZ4.id, scratch));
        assertTrue(implausible.getMessage().contains("claims"), implausible.getMessage());

        byte[] negative = p.clone();
        RecordCodec.putIntLE(negative, 0, -5);
        assertThrows(CorruptDataException.class, () -> lz4.decode(negative, 0, negative.length, PayloadCodec.LZ4.id, scratch));

        byte[] longer = p.clone();
        RecordCodec.putIntLE(longer, 0, 1001);
        CorruptDataException mismatch = assertThrows(CorruptDataException.class,
                () -> lz4.decode(longer, 0, longer.length, PayloadCodec.LZ4.id, scratch));
        assertTrue(mismatch.getMessage().contains("1001"), mismatch.getMessage());

        byte[] shorter = p.clone();
        RecordCodec.putIntLE(shorter, 0, 999);
        assertThrows(CorruptDataException.class, () -> lz4.decode(shorter, 0, shorter.length, PayloadCodec.LZ4.id, scratch));

        byte[] garbage = p.clone();
        Arrays.fill(garbage, 4, garbage.length, (byte) 0xF0);
        assertThrows(CorruptDataException.class, () -> lz4.decode(garbage, 0, garbage.length, PayloadCodec.LZ4.id, scratch));
    }

    @Test
    void aPlausibleLengthAtTheLimitIsAccepted() {
        // 255:1 plus 16 is the bound; a block that really expands that far must decode.
        byte[] v = new byte[255 * 40];
        EncodedRecord e = lz4.encode(v);
        byte[] p = payload(e);
        long bound = (long) (p.length - 4) * 255 + 16;
        assertTrue(v.length <= bound);
        assertArrayEquals(v, lz4.decode(p, 0, p.length, PayloadCodec.LZ4.id, scratch));
    }

    @Test
    void serializerFailuresAreTypedBothWays() {
        RecordCodec<byte[]> returnsNull = new RecordCodec<>(new Serializer<>() {
            @Override
            public void serialize(byte[] value, OutputStream out) throws IOException {
                out.write(value);
            }

            @Override
            public byte[] deserialize(byte[] bytes, int offset, int length) {
                return null;
            }
        }, Compression.NONE, HEADER);
        CorruptDataException nul = assertThrows(CorruptDataException.class,
                () -> returnsNull.decode(new byte[3], 0, 3, PayloadCodec.STORED.id, scratch));
        assertTrue(nul.getMessage().contains("null"), nul.getMessage());

        RecordCodec<byte[]> throwing = new RecordCodec<>(new Serializer<>() {
            @Override
            public void serialize(byte[] value, OutputStream out) throws IOException {
                throw new IOException("disk of the mind is full");
            }

            @Override
            public byte[] deserialize(byte[] bytes, int offset, int length) throws IOException {
                throw new IOException("cannot read");
            }
        }, Compression.LZ4, HEADER);
        UnsupportedRecordException enc = assertThrows(UnsupportedRecordException.class,
                () -> throwing.encode(new byte[1]));
        assertTrue(enc.getMessage().contains("[B") && enc.getMessage().contains("disk of the mind"), enc.getMessage());
        CorruptDataException dec = assertThrows(CorruptDataException.class,
                () -> throwing.decode(new byte[3], 0, 3, PayloadCodec.STORED.id, scratch));
        assertTrue(dec.getMessage().contains("cannot read"), dec.getMessage());
    }

    @Test
    void decodeScratchGrowsAndGivesBackHugeBuffers() {
        RecordCodec.DecodeScratch s = new RecordCodec.DecodeScratch();
        byte[] first = s.ensure(10);
        assertEquals(1024, first.length);
        assertSame(first, s.ensure(1024));
        byte[] big = s.ensure(5 << 20);
        assertEquals(5 << 20, big.length);
        assertSame(big, s.ensure(5 << 20), "same size again: reused");
        assertEquals(1024, s.ensure(100).length, "a huge buffer is dropped once records are small again");
        assertEquals(4 << 20, s.ensure(4 << 20).length);
        assertEquals(4 << 20, s.ensure(100).length, "up to the limit a grown buffer is kept");
    }

    @Test
    void byteSinkGrowsDoublingAndRefusesToAdvancePastItsEnd() {
        ByteSink s = new ByteSink(4);
        assertEquals(16, s.array().length, "at least 16 bytes");
        s.write(new byte[16], 0, 16);
        assertEquals(16, s.array().length, "exactly full: no growth");
        s.write(1);
        assertEquals(32, s.array().length, "doubles");
        s.reserve(100);
        assertEquals(117, s.array().length, "grows to the need when doubling is not enough");
        assertEquals(17, s.length());
        assertThrows(IndexOutOfBoundsException.class, () -> s.advance(101));
        assertThrows(IndexOutOfBoundsException.class, () -> s.advance(-1));
        s.advance(100);
        assertEquals(117, s.length());
        s.shrinkIfLargerThan(117, 8);
        assertEquals(117, s.length(), "not larger than the limit: kept");
        s.shrinkIfLargerThan(116, 8);
        assertEquals(0, s.length());
        assertEquals(16, new ByteSink(0).array().length);
    }
}
