package io.hopper.testkit;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Self-checking test records: a {@code byte[]} carrying (producer, sequence), filler derived from
 * them, and a CRC of the rest, so a receiver can tell a genuine record from garbage.
 */
public final class Records {
    private Records() {
    }

    public static final int MIN_SIZE = 16;

    public static byte[] make(int producer, long seq, int size) {
        int n = Math.max(MIN_SIZE, size);
        byte[] b = new byte[n];
        ByteBuffer bb = ByteBuffer.wrap(b);
        bb.putInt(0); // crc placeholder
        bb.putInt(producer);
        bb.putLong(seq);
        long x = seq * 0x9E3779B97F4A7C15L + producer;
        for (int i = 16; i < n; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            // Half the filler repeats, so the records compress like text rather than noise.
            b[i] = (i & 1) == 0 ? (byte) ('a' + (i % 26)) : (byte) x;
        }
        CRC32C crc = new CRC32C();
        crc.update(b, 4, n - 4);
        bb.putInt(0, (int) crc.getValue());
        return b;
    }

    public static boolean valid(byte[] b) {
        if (b == null || b.length < MIN_SIZE) {
            return false;
        }
        CRC32C crc = new CRC32C();
        crc.update(b, 4, b.length - 4);
        return ByteBuffer.wrap(b).getInt(0) == (int) crc.getValue();
    }

    public static int producer(byte[] b) {
        return ByteBuffer.wrap(b).getInt(4);
    }

    public static long seq(byte[] b) {
        return ByteBuffer.wrap(b).getLong(8);
    }

    /** The weigher the tests use for byte[] records. */
    public static long weight(byte[] b) {
        return 16L + b.length;
    }
}
