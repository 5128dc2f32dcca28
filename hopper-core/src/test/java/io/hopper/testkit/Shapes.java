package io.hopper.testkit;

import io.hopper.Channel;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The record shapes services send, for the tests that must hold for every one of them: a sealed
 * interface of records (with nested records, enums, collections and nullable fields), {@code Object}
 * carrying JDK types, a plain class hierarchy, and {@code byte[]}.
 */
public final class Shapes {
    private Shapes() {
    }

    public enum Level { TRACE, DEBUG, INFO, WARN, ERROR }

    /** What ingest services queue: one sealed interface, records for each kind of event. */
    public sealed interface Event permits Log, Metric, Span, Batch {
        long ts();
    }

    public record Log(long ts, String host, Level level, String message, Map<String, String> mdc) implements Event {
    }

    public record Metric(long ts, String name, double value, List<String> tags, Optional<String> unit) implements Event {
    }

    public record Span(long ts, UUID traceId, long durationNanos, Span parent, Instant started) implements Event {
    }

    public record Batch(long ts, List<Event> events, byte[] raw) implements Event {
        @Override
        public boolean equals(Object o) {
            return o instanceof Batch b && b.ts == ts && b.events.equals(events) && Arrays.equals(b.raw, raw);
        }

        @Override
        public int hashCode() {
            return Objects.hash(ts, events, Arrays.hashCode(raw));
        }
    }

    /** A plain class hierarchy: an abstract base without a no-arg constructor, final fields. */
    public abstract static class Reading {
        public final String sensor;

        Reading(String sensor) {
            this.sensor = sensor;
        }
    }

    public static final class Temperature extends Reading {
        public final double celsius;

        Temperature(String sensor, double celsius) {
            super(sensor);
            this.celsius = celsius;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Temperature t && t.sensor.equals(sensor) && t.celsius == celsius;
        }

        @Override
        public int hashCode() {
            return Objects.hash(sensor, celsius);
        }
    }

    public static final class Humidity extends Reading {
        public final int percent;
        transient int cached = 7; // not stored

        Humidity(String sensor, int percent) {
            super(sensor);
            this.percent = percent;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Humidity h && h.sensor.equals(sensor) && h.percent == percent;
        }

        @Override
        public int hashCode() {
            return Objects.hash(sensor, percent);
        }
    }

    /** The {@code i}-th event of a deterministic mix of every kind. */
    public static Event event(long i) {
        long ts = 1_764_000_000_000L + i;
        switch ((int) (i % 4)) {
            case 0:
                return new Log(ts, "web-" + i % 7, Level.values()[(int) (i % 5)], "GET /items/" + i + " 200",
                        i % 3 == 0 ? Map.of() : Map.of("user", "u" + i, "req", Long.toHexString(i)));
            case 1:
                return new Metric(ts, "latency", i * 0.5, List.of("route:/items", "host:" + i % 3),
                        i % 2 == 0 ? Optional.of("ms") : Optional.empty());
            case 2:
                Span parent = i % 3 == 0 ? null : new Span(ts - 1, new UUID(i, ~i), 10, null, Instant.ofEpochMilli(ts));
                return new Span(ts, new UUID(~i, i), i * 1000, parent, Instant.ofEpochSecond(ts / 1000, i));
            default:
                return new Batch(ts, List.of(event(i + 1), event(i + 2)), new byte[] {(byte) i, 1, 2});
        }
    }

    /** The {@code i}-th of a mix of JDK values, as a {@code BlockingQueue<Object>} user queues them. */
    public static Object jdkValue(long i) {
        switch ((int) (i % 24)) {
            case 0: return "line " + i;
            case 1: return (int) i;
            case 2: return i;
            case 3: return i * 0.25;
            case 4: return i % 2 == 0;
            case 5: return new byte[] {1, 2, (byte) i};
            case 6: return new long[] {i, -i};
            case 7: return new String[] {"a", null, "b" + i};
            case 8: return new ArrayList<>(List.of("x", "y" + i));
            case 9: return new LinkedList<>(List.of(i, i + 1));
            case 10: return new HashMap<>(Map.of("k", i));
            case 11: return new TreeMap<>(Map.of("b", 2, "a", (int) i));
            case 12: return new LinkedHashMap<>(Map.of("only", List.of(i)));
            case 13: return new HashSet<>(Set.of("s" + i));
            case 14: return new TreeSet<>(Set.of(3L, i));
            case 15: return List.of(i, "mixed", Level.WARN);
            case 16: return Optional.of("present " + i);
            case 17: return new UUID(i, i * 31);
            case 18: return new BigDecimal(BigInteger.valueOf(i * 1_000_003), 3);
            case 19: return Duration.ofMillis(i);
            case 20: return ZonedDateTime.of(LocalDateTime.of(LocalDate.of(2026, 12, 2), java.time.LocalTime.NOON),
                    ZoneId.of("Europe/Berlin")).plusSeconds(i);
            case 21: return EnumSet.of(Level.INFO, Level.values()[(int) (i % 5)]);
            case 22: return URI.create("https://example.invalid/" + i);
            default:
                return new java.util.concurrent.ConcurrentHashMap<>(Map.of(Level.ERROR, new ArrayDeque<>(List.of("q" + i)).peekFirst()));
        }
    }

    /** The {@code i}-th reading: a plain class hierarchy. */
    public static Reading reading(long i) {
        return i % 2 == 0 ? new Temperature("t" + i, i / 10.0) : new Humidity("h" + i, (int) (i % 100));
    }

    /** Receives events {@code from} to {@code to - 1} from {@code ch} without waiting, asserting each is {@link #event(long)}. */
    public static void assertReceivesEvents(Channel<Event> ch, long from, long to) {
        for (long i = from; i < to; i++) {
            Event e = ch.receiver().poll();
            org.junit.jupiter.api.Assertions.assertTrue(same(event(i), e), "record " + i + ": " + e);
        }
    }

    /** Equality that looks into arrays, also inside lists and maps, which {@code equals} does not. */
    public static boolean same(Object a, Object b) {
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size() || x.getClass() != y.getClass()) {
                return false;
            }
            for (int i = 0; i < x.size(); i++) {
                if (!same(x.get(i), y.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (!x.keySet().equals(y.keySet()) || x.getClass() != y.getClass()) {
                return false;
            }
            for (Object k : x.keySet()) {
                if (!same(x.get(k), y.get(k))) {
                    return false;
                }
            }
            return true;
        }
        return Objects.deepEquals(a, b) && (a == null || a.getClass() == b.getClass());
    }
}
