package io.hopper.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.hopper.Compression;
import io.hopper.CorruptDataException;
import io.hopper.Serializer;
import io.hopper.internal.codec.EncodedRecord;
import io.hopper.internal.codec.Lz4BlockCompressor;
import io.hopper.internal.codec.Lz4BlockDecompressor;
import io.hopper.internal.codec.PayloadCodec;
import io.hopper.internal.codec.RecordCodec;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The decode path the receiver runs on every payload read from disk: LZ4 decompression, then
 * Kryo deserialization, on bytes the fuzzer controls. A payload must decode to a record or fail
 * with {@link CorruptDataException}, never with another exception, an {@code OutOfMemoryError}
 * from a length it read, or a hang. Records the fuzzer builds must also survive encode + decode.
 * A second target feeds arbitrary bytes to hopper's own LZ4 block compressor, one instance reused
 * across inputs as on a producer thread, and has lz4-java and hopper's decoder decompress every
 * block. A third feeds arbitrary bytes to hopper's LZ4 decoder as a block: it must decode exactly
 * what lz4-java decodes and otherwise refuse with its typed error, within its output range.
 */
class CodecFuzzTest {

    /** A record with the shapes Kryo reads lengths for: strings, arrays, a list. */
    record Event(long id, String host, byte[] body, List<String> tags) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Event e && e.id == id && e.host.equals(host) && Arrays.equals(e.body, body)
                    && e.tags.equals(tags);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(id);
        }
    }

    private static final RecordCodec<Event> LZ4 = new RecordCodec<>(Serializer.kryo(Event.class), Compression.LZ4, 24);
    private static final RecordCodec<Event> PLAIN = new RecordCodec<>(Serializer.kryo(Event.class), Compression.NONE, 24);
    private static final RecordCodec.DecodeScratch SCRATCH = new RecordCodec.DecodeScratch();
    /** Reused across inputs, as on a producer thread; Jazzer runs a target on one thread. */
    private static final Lz4BlockCompressor COMPRESSOR = new Lz4BlockCompressor();
    private static final LZ4SafeDecompressor DECOMPRESSOR = LZ4Factory.safeInstance().safeDecompressor();

    @FuzzTest(maxDuration = "24h")
    void lz4Blocks(FuzzedDataProvider data) {
        int offset = data.consumeInt(0, 64);
        int repeat = data.consumeInt(1, 16);
        byte[] unit = data.consumeRemainingAsBytes();
        // repeating the input makes long matches and runs that small fuzz inputs would not reach
        byte[] src = new byte[offset + unit.length * repeat];
        for (int i = 0; i < repeat; i++) {
            System.arraycopy(unit, 0, src, offset + i * unit.length, unit.length);
        }
        int len = src.length - offset;
        byte[] block = new byte[Lz4BlockCompressor.maxCompressedLength(len)];
        int n = COMPRESSOR.compress(src, offset, len, block, 0);
        byte[] back = new byte[len];
        assertEquals(len, DECOMPRESSOR.decompress(block, 0, n, back, 0, len));
        assertArrayEquals(Arrays.copyOfRange(src, offset, src.length), back);
        byte[] ours = new byte[len];
        assertEquals(len, Lz4BlockDecompressor.decompress(block, 0, n, ours, 0, len));
        assertArrayEquals(back, ours);
    }

    @FuzzTest(maxDuration = "24h")
    void lz4Decoder(FuzzedDataProvider data) {
        int room = data.consumeInt(0, 1 << 16);
        byte[] block = data.consumeRemainingAsBytes();
        if (block.length == 0) {
            return;
        }
        byte[] ours = new byte[room + 2];
        ours[0] = 0x5A;
        ours[room + 1] = 0x5A;
        int got;
        String refusal = null;
        try {
            got = Lz4BlockDecompressor.decompress(block, 0, block.length, ours, 1, room);
        } catch (Lz4BlockDecompressor.Lz4FormatException e) {
            got = -1;
            refusal = e.getMessage();
        }
        assertEquals(0x5A, ours[0], "wrote before its range");
        assertEquals(0x5A, ours[room + 1], "wrote past its range");
        byte[] theirs = new byte[room];
        int expected;
        try {
            expected = DECOMPRESSOR.decompress(block, 0, block.length, theirs, 0, room);
        } catch (RuntimeException e) {
            return; // refused by lz4-java: ours may refuse too, or decode (it does not enforce the end-of-block rules)
        }
        if (got < 0 && refusal.startsWith("match offset 0 ")) {
            return; // lz4-java accepts offset 0, which LZ4 forbids, and "copies" whatever the output held
        }
        assertEquals(expected, got, "lz4-java decodes this block");
        assertArrayEquals(Arrays.copyOf(theirs, expected), Arrays.copyOfRange(ours, 1, 1 + expected));
    }

    @FuzzTest(maxDuration = "24h")
    void codec(FuzzedDataProvider data) {
        if (data.consumeBoolean()) {
            roundTrip(data);
            return;
        }
        boolean compressed = data.consumeBoolean();
        byte[] payload = data.consumeRemainingAsBytes();
        try {
            assertNotNull((compressed ? LZ4 : PLAIN).decode(payload, 0, payload.length,
                    compressed ? PayloadCodec.LZ4.id : PayloadCodec.STORED.id, SCRATCH));
        } catch (CorruptDataException expected) {
            // the typed outcome for bytes that are not a record
        }
    }

    private static void roundTrip(FuzzedDataProvider data) {
        List<String> tags = new ArrayList<>();
        int n = data.consumeInt(0, 8);
        for (int i = 0; i < n; i++) {
            tags.add(data.consumeString(32));
        }
        Event e = new Event(data.consumeLong(), data.consumeString(64), data.consumeBytes(data.consumeInt(0, 4096)), tags);
        RecordCodec<Event> codec = data.consumeBoolean() ? LZ4 : PLAIN;
        EncodedRecord r = codec.encode(e);
        Event back = codec.decode(r.buffer(), 24, r.payloadLength(), r.codec(), SCRATCH);
        codec.release(r);
        assertEquals(e, back);
    }
}
