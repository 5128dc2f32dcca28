package io.hopper.internal.segment;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The on-disk layout, byte for byte. Queue files outlive the build that wrote them, so the
 * encoding is pinned by golden bytes, not only by round trips (a round trip stays green when the
 * writer and the reader change together).
 */
class SegmentFormatTest {

    @Test
    void fileHeaderBytesArePinned() {
        byte[] b = new byte[SegmentFormat.FILE_HEADER_BYTES];
        SegmentFormat.writeFileHeader(b, 0x0102030405060708L);
        String hex = HexFormat.of().formatHex(b);
        // magic "HOPPERQS", version 1, header length 32, sequence (LE), reserved 0, CRC32C (LE)
        assertEquals("484f505045525153" + "01000000" + "20000000" + "0807060504030201" + "00000000",
                hex.substring(0, 56));
        assertEquals(SegmentFormat.crc(b, 0, 28), SegmentFormat.getInt(b, 28));
        assertNull(SegmentFormat.checkFileHeader(b, 0, 0x0102030405060708L));
    }

    @Test
    void fileHeaderIsCheckedAtAnOffset() {
        byte[] b = new byte[7 + SegmentFormat.FILE_HEADER_BYTES];
        byte[] h = new byte[SegmentFormat.FILE_HEADER_BYTES];
        SegmentFormat.writeFileHeader(h, 42);
        System.arraycopy(h, 0, b, 7, h.length);
        assertNull(SegmentFormat.checkFileHeader(b, 7, 42));
        assertEquals("header names sequence 42 but the file name says 43", SegmentFormat.checkFileHeader(b, 7, 43));
    }

    @Test
    void everyFileHeaderDefectHasItsOwnReason() {
        byte[] good = new byte[SegmentFormat.FILE_HEADER_BYTES];
        SegmentFormat.writeFileHeader(good, 9);

        byte[] magic = good.clone();
        magic[7] ^= 1;
        assertEquals("bad magic", SegmentFormat.checkFileHeader(magic, 0, 9));

        byte[] crc = good.clone();
        crc[20] ^= 1;
        assertEquals("header checksum mismatch", SegmentFormat.checkFileHeader(crc, 0, 9));

        byte[] version = good.clone();
        SegmentFormat.putInt(version, 8, 3);
        SegmentFormat.putInt(version, 28, SegmentFormat.crc(version, 0, 28));
        assertEquals("unsupported format version 3 (this build reads 1 and 2)",
                SegmentFormat.checkFileHeader(version, 0, 9));

        byte[] blocks = new byte[SegmentFormat.FILE_HEADER_BYTES];
        SegmentFormat.writeFileHeader(blocks, 9, SegmentFormat.BLOCK_VERSION);
        assertNull(SegmentFormat.checkFileHeader(blocks, 0, 9), "a file rewritten in blocks");
        assertEquals(2, SegmentFormat.fileVersion(blocks, 0));

        byte[] length = good.clone();
        SegmentFormat.putInt(length, 12, 33);
        SegmentFormat.putInt(length, 28, SegmentFormat.crc(length, 0, 28));
        assertEquals("unexpected header length 33", SegmentFormat.checkFileHeader(length, 0, 9));
    }

    @Test
    void frameHeaderBytesArePinned() {
        byte[] b = new byte[3 + SegmentFormat.FRAME_HEADER_BYTES];
        SegmentFormat.writeFrameHeader(b, 3, 0x11223344, 0xCAFEBABE, SegmentFormat.FLAG_COMPRESSED, 0x1234,
                0x0A0B0C0D0E0F1011L);
        assertEquals("44332211" + "bebafeca" + "0100" + "3412" + "11100f0e0d0c0b0a",
                HexFormat.of().formatHex(b, 3, 3 + 20));
        assertTrue(SegmentFormat.frameHeaderValid(b, 3));
        assertEquals(0x11223344, SegmentFormat.framePayloadLength(b, 3));
        assertEquals(0xCAFEBABE, SegmentFormat.framePayloadCrc(b, 3));
        assertEquals(SegmentFormat.FLAG_COMPRESSED, SegmentFormat.frameFlags(b, 3));
        assertEquals(0x1234, SegmentFormat.frameRecordCount(b, 3));
        assertEquals(0x0A0B0C0D0E0F1011L, SegmentFormat.frameRecordIndex(b, 3));
    }

    @Test
    void unsignedFieldsSurviveTheirTopBits() {
        byte[] b = new byte[SegmentFormat.FRAME_HEADER_BYTES];
        SegmentFormat.writeFrameHeader(b, 0, -1, Integer.MIN_VALUE, SegmentFormat.FLAG_END, 0xFFFF, Long.MIN_VALUE + 5);
        assertEquals(-1, SegmentFormat.framePayloadLength(b, 0));
        assertEquals(Integer.MIN_VALUE, SegmentFormat.framePayloadCrc(b, 0));
        assertEquals(0xFFFF, SegmentFormat.frameRecordCount(b, 0));
        assertEquals(Long.MIN_VALUE + 5, SegmentFormat.frameRecordIndex(b, 0));
        byte[] l = new byte[8];
        SegmentFormat.putLong(l, 0, 0x8000_0001_8000_0002L);
        assertEquals(0x8000_0001_8000_0002L, SegmentFormat.getLong(l, 0));
        assertArrayEquals(new byte[] {2, 0, 0, (byte) 0x80, 1, 0, 0, (byte) 0x80}, l);
        byte[] s = new byte[2];
        SegmentFormat.putShort(s, 0, 0xABCD);
        assertArrayEquals(new byte[] {(byte) 0xCD, (byte) 0xAB}, s);
        assertEquals(0xABCD, SegmentFormat.getShort(s, 0));
    }

    @Test
    void frameHeaderWithDamageOrUnknownFlagsIsInvalid() {
        byte[] b = new byte[SegmentFormat.FRAME_HEADER_BYTES];
        SegmentFormat.writeFrameHeader(b, 0, 10, 0, SegmentFormat.FLAG_MARKER, 1, 7);
        assertTrue(SegmentFormat.frameHeaderValid(b, 0));
        for (int i = 0; i < b.length; i++) {
            byte[] d = b.clone();
            d[i] ^= 0x40;
            assertFalse(SegmentFormat.frameHeaderValid(d, 0), "flipped byte " + i);
        }
        SegmentFormat.writeFrameHeader(b, 0, 10, 0, 16, 1, 7);
        assertFalse(SegmentFormat.frameHeaderValid(b, 0), "flag 16 is not one this build knows");
    }

    @Test
    void fileNamesRoundTripAndStrangersAreRefused() {
        assertEquals("segment-00000000000000000042.hop", SegmentFormat.fileName(42));
        assertEquals(42, SegmentFormat.parseFileName("segment-00000000000000000042.hop"));
        assertEquals(0, SegmentFormat.parseFileName(SegmentFormat.fileName(0)));
        assertEquals(Long.MAX_VALUE, SegmentFormat.parseFileName(SegmentFormat.fileName(Long.MAX_VALUE)));
        for (String bad : Arrays.asList("segment-0000000000000000042.hop", "segment-000000000000000000042.hop",
                "segment-00000000000000000042.tmp", "segmenx-00000000000000000042.hop",
                "segment-0000000000000000004x.hop", "segment-99999999999999999999.hop", "snapshot.hop",
                "segment-0000000000000000-042.hop")) {
            assertEquals(-1, SegmentFormat.parseFileName(bad), bad);
        }
    }

    @Test
    void maxPayloadLeavesRoomForTheHeadersAndTheEndFrame() {
        assertEquals(1000 - 32 - 24 - 24, SegmentFormat.maxPayload(1000));
        assertEquals(1, SegmentFormat.maxPayload(SegmentFormat.MIN_SEGMENT_BYTES));
    }

    @Test
    void aFrameHeaderIsBelievedOnlyWhenItsShapeLengthAndChecksumHold() {
        byte[] h = new byte[SegmentFormat.FRAME_HEADER_BYTES];
        SegmentFormat.writeFrameHeader(h, 0, 100, 7, SegmentFormat.FLAG_COMPRESSED, 1, 42);
        assertTrue(SegmentFormat.frameWellFormed(h, 0, 124));
        assertFalse(SegmentFormat.frameWellFormed(h, 0, 123), "the payload runs past the readable bytes");
        byte[] bad = h.clone();
        bad[13] ^= 1;
        assertFalse(SegmentFormat.frameWellFormed(bad, 0, 1000), "header checksum");
        SegmentFormat.writeFrameHeader(h, 0, 0, 0, SegmentFormat.FLAG_END, 0, 43);
        assertTrue(SegmentFormat.frameWellFormed(h, 0, 24));
        SegmentFormat.writeFrameHeader(h, 0, 4, 0, SegmentFormat.FLAG_END, 0, 43);
        assertFalse(SegmentFormat.frameWellFormed(h, 0, 1000), "an END frame carries no payload");
        SegmentFormat.writeFrameHeader(h, 0, 0, 0, SegmentFormat.FLAG_END, 1, 43);
        assertFalse(SegmentFormat.frameWellFormed(h, 0, 1000), "an END frame counts no record");
        SegmentFormat.writeFrameHeader(h, 0, 10, 0, 0, 2, 43);
        assertFalse(SegmentFormat.frameWellFormed(h, 0, 1000), "one record per frame");
        SegmentFormat.writeFrameHeader(h, 0, -1, 0, 0, 1, 43);
        assertFalse(SegmentFormat.frameWellFormed(h, 0, Long.MAX_VALUE), "a length past 2 GiB");
    }

    @Test
    void aBlockFrameIsCompressedAndCountsAtLeastOneRecord() {
        byte[] h = new byte[SegmentFormat.FRAME_HEADER_BYTES];
        int block = SegmentFormat.FLAG_BLOCK | SegmentFormat.FLAG_COMPRESSED;
        for (int count : new int[] {1, 2, 500, SegmentFormat.MAX_BLOCK_RECORDS}) {
            SegmentFormat.writeFrameHeader(h, 0, 100, 7, block, count, 42);
            assertTrue(SegmentFormat.frameWellFormed(h, 0, 124), "a block of " + count);
            assertTrue(SegmentFormat.frameIsBlock(h, 0));
        }
        SegmentFormat.writeFrameHeader(h, 0, 100, 7, block, 0, 42);
        assertFalse(SegmentFormat.frameWellFormed(h, 0, 1000), "an empty block");
        SegmentFormat.writeFrameHeader(h, 0, 100, 7, SegmentFormat.FLAG_BLOCK, 5, 42);
        assertFalse(SegmentFormat.frameWellFormed(h, 0, 1000), "a block is always compressed");
        SegmentFormat.writeFrameHeader(h, 0, 0, 0, SegmentFormat.FLAG_END | SegmentFormat.FLAG_BLOCK, 0, 42);
        assertFalse(SegmentFormat.frameWellFormed(h, 0, 1000), "an END frame is no block");
        SegmentFormat.writeFrameHeader(h, 0, 100, 7, block | SegmentFormat.FLAG_MARKER, 5, 42);
        assertFalse(SegmentFormat.frameWellFormed(h, 0, 1000), "nor is a snapshot marker");
    }

    @Test
    void codecIdsRoundTripAndTheFirstTwoAreTheFlagsFramesAlwaysHad() {
        assertEquals(0, SegmentFormat.codecFlags(0), "stored: COMPRESSED off, as before codec ids");
        assertEquals(SegmentFormat.FLAG_COMPRESSED, SegmentFormat.codecFlags(1), "LZ4: COMPRESSED alone, as before");
        for (int id = 0; id < 16; id++) {
            assertEquals(id, SegmentFormat.codecOf(SegmentFormat.codecFlags(id)), "codec " + id);
            assertEquals(id, SegmentFormat.codecOf(SegmentFormat.codecFlags(id) | SegmentFormat.FLAG_END), "codec " + id);
        }
    }

    @Test
    void codecBitsAreBelievedOnlyBesideCompressedAndNeverOnBlocksOrEnds() {
        byte[] b = new byte[SegmentFormat.FRAME_HEADER_BYTES + 10];
        SegmentFormat.writeFrameHeader(b, 0, 10, 0, SegmentFormat.codecFlags(5), 1, 7);
        assertTrue(SegmentFormat.frameWellFormed(b, 0, b.length), "a single record of a codec this build may not know");
        assertEquals(5, SegmentFormat.frameForm(b, 0), "codec 5, no form bits");
        SegmentFormat.writeFrameHeader(b, 0, 10, 0, 5 << 4, 1, 7);
        assertFalse(SegmentFormat.frameHeaderValid(b, 0), "codec bits without COMPRESSED");
        SegmentFormat.writeFrameHeader(b, 0, 10, 0, SegmentFormat.codecFlags(2) | SegmentFormat.FLAG_BLOCK, 3, 7);
        assertFalse(SegmentFormat.frameWellFormed(b, 0, b.length), "blocks are LZ4");
        SegmentFormat.writeFrameHeader(b, 0, 0, 0, SegmentFormat.codecFlags(2) | SegmentFormat.FLAG_END, 0, 7);
        assertFalse(SegmentFormat.frameWellFormed(b, 0, b.length), "an END frame names no codec");
    }

    @Test
    void formBitsTravelWithTheCodecAndAreBelievedOnlyOneAtATimeAndNeverOnEnds() {
        int bytes = io.hopper.internal.codec.PayloadCodec.FORM_BYTES;
        int utf8 = io.hopper.internal.codec.PayloadCodec.FORM_UTF8;
        assertEquals(0x100, SegmentFormat.codecFlags(bytes), "BYTES is flag bit 8");
        assertEquals(0x200 | SegmentFormat.FLAG_COMPRESSED, SegmentFormat.codecFlags(utf8 | 1), "UTF8 is bit 9");
        for (int id = 0; id < 16; id++) {
            for (int form : new int[] {0, bytes, utf8}) {
                int flags = SegmentFormat.codecFlags(id | form);
                assertEquals(id | form, SegmentFormat.formOf(flags), "codec " + id + " form " + form);
                assertEquals(id, SegmentFormat.codecOf(flags), "the codec id alone, whatever the form");
            }
        }
        byte[] b = new byte[SegmentFormat.FRAME_HEADER_BYTES + 10];
        SegmentFormat.writeFrameHeader(b, 0, 10, 0, SegmentFormat.codecFlags(1 | utf8), 1, 7);
        assertTrue(SegmentFormat.frameWellFormed(b, 0, b.length));
        assertEquals(1 | utf8, SegmentFormat.frameForm(b, 0));
        SegmentFormat.writeFrameHeader(b, 0, 10, 0, SegmentFormat.FLAG_COMPRESSED | SegmentFormat.FLAG_BLOCK | bytes, 3, 7);
        assertTrue(SegmentFormat.frameWellFormed(b, 0, b.length), "a block of plain byte[] records");
        SegmentFormat.writeFrameHeader(b, 0, 10, 0, bytes | utf8, 1, 7);
        assertFalse(SegmentFormat.frameHeaderValid(b, 0), "a byte[] and a String at once");
        SegmentFormat.writeFrameHeader(b, 0, 0, 0, SegmentFormat.FLAG_END | bytes, 0, 7);
        assertFalse(SegmentFormat.frameWellFormed(b, 0, b.length), "an END frame has no form");
    }
}
