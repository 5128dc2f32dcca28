package io.hopper;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Objects;

/**
 * Byte counts written for people: {@code "64MiB"}, {@code "10 GiB"}, {@code "1.5GB"},
 * {@code "4096"}. For budgets read from configuration files; see
 * {@link Hopper.Builder#inMemoryBytes(String)} and {@link Hopper.Builder#diskBytes(String)}.
 *
 * <p>A size is a non-negative decimal number, optionally followed (with or without a space) by a
 * unit: {@code B}; binary {@code KiB MiB GiB TiB} (powers of 1024); decimal {@code KB MB GB TB}
 * (powers of 1000). Units are case-insensitive. Bare {@code K}, {@code M}, {@code G} are refused
 * because they are read both ways; so is a size that is not a whole number of bytes or does not
 * fit in a {@code long}.
 */
public final class ByteSize {
    private static final String[] UNITS = {"TIB", "GIB", "MIB", "KIB", "TB", "GB", "MB", "KB", "B"};
    private static final long[] FACTORS = {1L << 40, 1L << 30, 1L << 20, 1L << 10,
        1_000_000_000_000L, 1_000_000_000L, 1_000_000L, 1_000L, 1L};

    private ByteSize() {
    }

    /**
     * Parses a size.
     *
     * @param text the size, such as {@code "64MiB"}
     * @return the size in bytes
     * @throws IllegalArgumentException naming the text and what is wrong with it
     * @throws NullPointerException     if {@code text} is null
     */
    public static long parse(String text) {
        Objects.requireNonNull(text, "text");
        String s = text.strip();
        String upper = s.toUpperCase(Locale.ROOT);
        long factor = 1;
        String number = s;
        for (int i = 0; i < UNITS.length; i++) {
            if (upper.endsWith(UNITS[i])) {
                factor = FACTORS[i];
                number = s.substring(0, s.length() - UNITS[i].length()).strip();
                break;
            }
        }
        if (number.isEmpty() || !number.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.')) {
            throw new IllegalArgumentException("not a byte size: \"" + text + "\" (expected a number and a unit"
                    + " such as 512KiB, 64MiB, 10GiB or 1GB; bare K/M/G are ambiguous, write KiB or KB)");
        }
        BigDecimal value;
        try {
            value = new BigDecimal(number).multiply(BigDecimal.valueOf(factor));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a byte size: \"" + text + "\"", e);
        }
        try {
            return value.longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("byte size \"" + text + "\" is " + value.toPlainString()
                    + " bytes: not a whole number of bytes, or more than " + Long.MAX_VALUE, e);
        }
    }

    /**
     * Formats {@code bytes} with the largest binary unit that keeps at least one whole unit, to one
     * decimal: {@code 67108864 -> "64.0 MiB"}, {@code 1000 -> "1000 B"}.
     *
     * @param bytes a byte count
     * @return the count for people to read
     */
    public static String format(long bytes) {
        long abs = bytes == Long.MIN_VALUE ? Long.MAX_VALUE : Math.abs(bytes);
        for (int i = 0; i < 4; i++) {
            if (abs >= FACTORS[i]) {
                return String.format(Locale.ROOT, "%.1f %s", bytes / (double) FACTORS[i],
                        UNITS[i].charAt(0) + "iB");
            }
        }
        return bytes + " B";
    }
}
