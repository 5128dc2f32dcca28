package io.hopper.internal.codec;

import io.hopper.Compression;
import io.hopper.CorruptDataException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The payload codecs frames name by id: the ids are pinned, and an id this build does not know is damage, never a misread. */
class PayloadCodecTest {
    private final RecordCodec<byte[]> lz4 = new RecordCodec<>(new RawBytes(), Compression.LZ4, 24);

    @Test
    void theIdsArePinned() {
        assertEquals(0, PayloadCodec.STORED.id);
        assertEquals(1, PayloadCodec.LZ4.id);
        for (PayloadCodec c : PayloadCodec.values()) {
            assertEquals(c, PayloadCodec.byId(c.id));
        }
    }

    @Test
    void anUnknownIdIsCorruptDataNamingIt() {
        CorruptDataException e = assertThrows(CorruptDataException.class, () -> PayloadCodec.byId(9));
        assertTrue(e.getMessage().contains("9"), e.getMessage());
        assertThrows(CorruptDataException.class, () -> PayloadCodec.byId(-1));
        byte[] payload = new byte[20];
        assertThrows(CorruptDataException.class,
                () -> lz4.decode(payload, 0, payload.length, 9, new RecordCodec.DecodeScratch()));
    }

    @Test
    void theEncoderNamesTheCodecItUsedAndTheDecoderTakesItBack() {
        byte[] repetitive = new byte[200];
        Arrays.fill(repetitive, (byte) 'a');
        EncodedRecord e = lz4.encode(repetitive);
        assertEquals(PayloadCodec.LZ4.id, e.codec());
        byte[] payload = Arrays.copyOfRange(e.buffer(), 24, 24 + e.payloadLength());
        assertArrayEquals(repetitive, lz4.decode(payload, 0, payload.length, e.codec(), new RecordCodec.DecodeScratch()));
        assertArrayEquals(repetitive, PayloadCodec.byId(e.codec()).rawCopy(payload, 0, payload.length));
        assertEquals(200, PayloadCodec.LZ4.rawLength(payload, 0, payload.length));
        lz4.release(e);

        byte[] small = {1, 2, 3};
        EncodedRecord s = lz4.encode(small);
        assertEquals(PayloadCodec.STORED.id, s.codec(), "16 bytes or fewer are stored as they are");
        byte[] stored = Arrays.copyOfRange(s.buffer(), 24, 24 + s.payloadLength());
        assertArrayEquals(small, PayloadCodec.STORED.rawCopy(stored, 0, stored.length));
        lz4.release(s);
    }
}
