package io.hopper.bench;

import java.nio.charset.StandardCharsets;

/** Semi-compressible, JSON-like log lines of a fixed size, as ingest services see them. */
public final class Workload {
    private Workload() {
    }

    /** A record of exactly {@code size} bytes whose content varies with {@code seq}. */
    public static byte[] line(long seq, int size) {
        StringBuilder sb = new StringBuilder(size + 64);
        sb.append("{\"seq\":").append(seq).append(",\"host\":\"web-").append(seq % 17).append("\",\"msg\":\"");
        long x = seq * 0x9E3779B97F4A7C15L + 1;
        while (sb.length() < size) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            sb.append((x & 3) == 0 ? " took " + (x >>> 52) + "ms" : " GET /api/items");
        }
        byte[] b = sb.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[size];
        System.arraycopy(b, 0, out, 0, size);
        return out;
    }

    /** {@code count} distinct records, built before timing starts. */
    public static byte[][] lines(int count, int size) {
        byte[][] out = new byte[count][];
        for (int i = 0; i < count; i++) {
            out[i] = line(i, size);
        }
        return out;
    }

    /** {@link #lines} as {@code String}s (ASCII, so {@code size} chars are {@code size} UTF-8 bytes). */
    public static String[] textLines(int count, int size) {
        String[] out = new String[count];
        for (int i = 0; i < count; i++) {
            out[i] = new String(line(i, size), StandardCharsets.US_ASCII);
        }
        return out;
    }
}
