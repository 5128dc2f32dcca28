package io.hopper.internal.codec;

import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The block compressor must write exactly the format lz4-java decompresses, obey the format's end
 * rules (which a lenient decoder would not notice), and give the same answer whatever earlier
 * calls left in its reused hash table.
 */
class Lz4BlockCompressorTest {

    private static final LZ4SafeDecompressor LZ4 = LZ4Factory.safeInstance().safeDecompressor();

    /** Compresses with {@code c}, checks the block's structure and that lz4-java restores the input. */
    static int roundTrip(Lz4BlockCompressor c, byte[] src, int off, int len) {
        int dstOff = 7;
        byte[] dst = new byte[dstOff + Lz4BlockCompressor.maxCompressedLength(len) + 3];
        Arrays.fill(dst, (byte) 0x5a);
        int n = c.compress(src, off, len, dst, dstOff);
        assertTrue(n <= Lz4BlockCompressor.maxCompressedLength(len), "block larger than its bound");
        for (int i = dstOff + n; i < dst.length; i++) {
            assertEquals((byte) 0x5a, dst[i], "wrote past the block's end");
        }
        for (int i = 0; i < dstOff; i++) {
            assertEquals((byte) 0x5a, dst[i], "wrote before the block's start");
        }
        checkEndRules(dst, dstOff, n, len);
        byte[] back = new byte[len];
        assertEquals(len, LZ4.decompress(dst, dstOff, n, back, 0, len));
        assertArrayEquals(Arrays.copyOfRange(src, off, off + len), back);
        return n;
    }

    /**
     * Walks the sequences: every match is within the window and the output so far, the last five
     * bytes of output are literals, no match starts in the last twelve, and the lengths add up.
     */
    private static void checkEndRules(byte[] b, int off, int len, int rawLen) {
        int ip = off;
        int end = off + len;
        long out = 0;
        while (true) {
            int token = b[ip++] & 0xff;
            long literals = token >>> 4;
            if (literals == 15) {
                int x;
                do {
                    x = b[ip++] & 0xff;
                    literals += x;
                } while (x == 255);
            }
            ip += (int) literals;
            out += literals;
            if (ip == end) {
                break;
            }
            assertTrue(ip < end, "sequence runs past the block");
            int distance = (b[ip] & 0xff) | (b[ip + 1] & 0xff) << 8;
            ip += 2;
            assertTrue(distance >= 1 && distance <= out, "match distance " + distance + " at output " + out);
            assertTrue(out <= rawLen - Lz4BlockCompressor.MF_LIMIT, "match starts within the last 12 bytes");
            long match = (token & 15) + Lz4BlockCompressor.MIN_MATCH;
            if ((token & 15) == 15) {
                int x;
                do {
                    x = b[ip++] & 0xff;
                    match += x;
                } while (x == 255);
            }
            out += match;
            assertTrue(out <= rawLen - Lz4BlockCompressor.LAST_LITERALS, "a match covers the last 5 bytes");
        }
        assertEquals(rawLen, out);
    }

    @Test
    void shortInputsAreOneLiteralRun() {
        Lz4BlockCompressor c = new Lz4BlockCompressor();
        for (int n = 0; n <= 40; n++) {
            byte[] zeros = new byte[n];
            int len = roundTrip(c, zeros, 0, n);
            if (n <= Lz4BlockCompressor.MF_LIMIT) {
                assertEquals(1 + n + (n >= 15 ? 1 : 0), len, "input of " + n);
            }
        }
        byte[] out = new byte[16];
        assertEquals(1, c.compress(new byte[0], 0, 0, out, 0));
        assertEquals(0, out[0], "an empty block is one zero token");
    }

    @Test
    void everyLengthAroundTheExtensionBoundariesRoundTrips() {
        // Literal runs (noise) and match lengths (a run of one byte) of every length up to 1,100
        // cross the nibble's 15 and the 255-byte extension steps at 270 and 525.
        Lz4BlockCompressor c = new Lz4BlockCompressor();
        SplittableRandom rnd = new SplittableRandom(7);
        for (int n = 0; n <= 1100; n++) {
            byte[] noise = new byte[n];
            rnd.nextBytes(noise);
            roundTrip(c, noise, 0, n);
            byte[] run = new byte[n];
            Arrays.fill(run, (byte) 'z');
            roundTrip(c, run, 0, n);
        }
    }

    @Test
    void longRunsUseExtensionBytesAndCompressHard() {
        byte[] zeros = new byte[1 << 20];
        int n = roundTrip(new Lz4BlockCompressor(), zeros, 0, zeros.length);
        assertTrue(n < zeros.length / 200, "a megabyte of zeros took " + n + " bytes");
    }

    @Test
    void incompressibleInputStaysWithinTheBoundAndSpansTheWindow() {
        byte[] noise = new byte[200_000];
        new SplittableRandom(1).nextBytes(noise);
        Lz4BlockCompressor c = new Lz4BlockCompressor();
        int n = roundTrip(c, noise, 0, noise.length);
        assertTrue(n > noise.length, "random bytes do not shrink");
        // the same 1000 bytes again 100 KiB later are out of the 64 KiB window, 10 KiB later they are not
        byte[] far = new byte[120_000];
        new SplittableRandom(2).nextBytes(far);
        System.arraycopy(far, 0, far, 110_000, 1000);
        int farLen = roundTrip(c, far, 0, far.length);
        byte[] near = far.clone();
        System.arraycopy(near, 100_000, near, 110_000, 1000);
        int nearLen = roundTrip(c, near, 0, near.length);
        assertTrue(nearLen < farLen - 900, "a repeat inside the window was not found: " + nearLen + " vs " + farLen);
    }

    @Test
    void compressesARangeInsideLargerArrays() {
        byte[] lines = jsonLines(new SplittableRandom(3), 20);
        byte[] padded = new byte[lines.length + 100];
        new SplittableRandom(4).nextBytes(padded);
        System.arraycopy(lines, 0, padded, 37, lines.length);
        roundTrip(new Lz4BlockCompressor(), padded, 37, lines.length);
    }

    @Test
    void compressesJsonLikeRecordsAboutAsWellAsLz4Java() {
        Lz4BlockCompressor c = new Lz4BlockCompressor();
        var reference = LZ4Factory.safeInstance().fastCompressor();
        SplittableRandom rnd = new SplittableRandom(5);
        long ours = 0;
        long theirs = 0;
        for (int i = 0; i < 500; i++) {
            byte[] r = jsonLines(rnd, 8);
            ours += roundTrip(c, r, 0, r.length);
            theirs += reference.compress(r).length;
        }
        assertTrue(ours <= theirs * 1.05, "ours " + ours + " bytes, lz4-java " + theirs);
    }

    @Test
    void epochWrapClearsTheTable() {
        Lz4BlockCompressor c = new Lz4BlockCompressor();
        byte[] lines = jsonLines(new SplittableRandom(6), 30);
        byte[] expected = new byte[Lz4BlockCompressor.maxCompressedLength(lines.length)];
        int n = new Lz4BlockCompressor().compress(lines, 0, lines.length, expected, 0);
        roundTrip(c, lines, 0, lines.length);
        c.epochForTest(Integer.MAX_VALUE - lines.length / 2);
        byte[] got = new byte[expected.length];
        assertEquals(n, c.compress(lines, 0, lines.length, got, 0));
        assertArrayEquals(Arrays.copyOf(expected, n), Arrays.copyOf(got, n));
        roundTrip(c, lines, 0, lines.length);
    }

    @Test
    void badRangesAreRefusedBeforeAnyWrite() {
        Lz4BlockCompressor c = new Lz4BlockCompressor();
        byte[] src = new byte[100];
        byte[] dst = new byte[Lz4BlockCompressor.maxCompressedLength(100)];
        assertThrows(IllegalArgumentException.class, () -> c.compress(src, 1, 100, dst, 0));
        assertThrows(IllegalArgumentException.class, () -> c.compress(src, -1, 10, dst, 0));
        assertThrows(IllegalArgumentException.class, () -> c.compress(src, 0, -1, dst, 0));
        assertThrows(IllegalArgumentException.class, () -> c.compress(src, 0, 100, dst, 1));
        assertThrows(IllegalArgumentException.class, () -> c.compress(src, 0, 100, dst, -1));
        assertThrows(IllegalArgumentException.class, () -> Lz4BlockCompressor.maxCompressedLength(-1));
        assertEquals(100 + 16, Lz4BlockCompressor.maxCompressedLength(100));
        assertEquals(255 + 1 + 16, Lz4BlockCompressor.maxCompressedLength(255));
    }

    @Test
    void goldenBlockForAKnownInput() {
        // "abc" x 8 + "xyzxy": 3 literals, then a 21-byte match at distance 3 (nibble 15 + extension 2)
        // that stops where the last five bytes begin, then those five as literals
        byte[] src = "abcabcabcabcabcabcabcabcxyzxy".getBytes(StandardCharsets.US_ASCII);
        byte[] dst = new byte[Lz4BlockCompressor.maxCompressedLength(src.length)];
        int n = new Lz4BlockCompressor().compress(src, 0, src.length, dst, 0);
        byte[] block = Arrays.copyOf(dst, n);
        byte[] expected = {0x3f, 'a', 'b', 'c', 3, 0, 2, 0x50, 'x', 'y', 'z', 'x', 'y'};
        assertArrayEquals(expected, block, Arrays.toString(block));
    }

    private static final List<String> HOSTS = List.of("web-1", "web-2", "db-eu-west", "cache-07");
    private static final List<String> LEVELS = List.of("INFO", "WARN", "ERROR", "DEBUG");

    static byte[] jsonLines(SplittableRandom rnd, int count) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) {
            sb.append("{\"ts\":").append(1_700_000_000_000L + rnd.nextInt(1_000_000))
                    .append(",\"host\":\"").append(HOSTS.get(rnd.nextInt(HOSTS.size())))
                    .append("\",\"level\":\"").append(LEVELS.get(rnd.nextInt(LEVELS.size())))
                    .append("\",\"latency_ms\":").append(rnd.nextInt(5000))
                    .append(",\"msg\":\"request ").append(Long.toHexString(rnd.nextLong())).append(" done\"}\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
