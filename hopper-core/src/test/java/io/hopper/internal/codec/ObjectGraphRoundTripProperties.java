package io.hopper.internal.codec;

import io.hopper.Compression;
import io.hopper.Serializer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

/**
 * The default serializer round-trips random object graphs of the shapes services send: sealed
 * records nesting each other, plain classes, and {@code Object} holding JDK values, lists and maps
 * of them, to a few levels deep.
 */
class ObjectGraphRoundTripProperties {

    sealed interface Node permits Leaf, Branch, Tagged {
    }

    record Leaf(long id, String text, double weight, boolean flag) implements Node {
    }

    record Branch(String name, List<Node> children, Map<String, Object> attributes) implements Node {
    }

    record Tagged(Object payload, Optional<String> tag, Kind kind) implements Node {
    }

    enum Kind { A, B, C }

    /** A plain class with a superclass, no no-arg constructor and an {@code Object} field. */
    static class Base {
        final String origin;

        Base(String origin) {
            this.origin = origin;
        }
    }

    static final class Holder extends Base {
        final Object value;
        final int[] counts;

        Holder(String origin, Object value, int[] counts) {
            super(origin);
            this.value = value;
            this.counts = counts;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Holder h && h.origin.equals(origin) && Objects.equals(h.value, value)
                    && Arrays.equals(h.counts, counts);
        }

        @Override
        public int hashCode() {
            return origin.hashCode();
        }
    }

    private static final RecordCodec<Object> CODEC =
            new RecordCodec<>(Serializer.kryo(Object.class), Compression.LZ4, 24);
    private static final RecordCodec<Node> SEALED =
            new RecordCodec<>(Serializer.kryo(Node.class), Compression.NONE, 24);

    @Provide
    Arbitrary<Object> jdkValues() {
        return Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(40).injectNull(0.05),
                Arbitraries.longs().map(Object.class::cast),
                Arbitraries.integers().map(Object.class::cast),
                Arbitraries.doubles().map(Object.class::cast),
                Arbitraries.longs().map(l -> (Object) new UUID(l, ~l)),
                Arbitraries.longs().between(0, 4_000_000_000L).map(s -> (Object) Instant.ofEpochSecond(s)),
                Arbitraries.of(Kind.class).map(Object.class::cast));
    }

    @Provide
    Arbitrary<Node> nodes() {
        return Arbitraries.lazyOf(
                () -> leaves().map(Node.class::cast),
                () -> Arbitraries.lazyOf(this::nodes).list().ofMaxSize(4).flatMap(children ->
                        attributes().map(attrs -> (Node) new Branch("b" + children.size(), children, attrs))),
                () -> jdkValues().injectNull(0.1).flatMap(p -> Arbitraries.of(Kind.class).map(k ->
                        (Node) new Tagged(p, p == null ? Optional.empty() : Optional.of(String.valueOf(p)), k))));
    }

    private Arbitrary<Leaf> leaves() {
        return Arbitraries.longs().flatMap(id -> Arbitraries.strings().ofMaxLength(30).injectNull(0.1)
                .map(t -> new Leaf(id, t, id / 3.0, id % 2 == 0)));
    }

    private Arbitrary<Map<String, Object>> attributes() {
        return Arbitraries.maps(Arbitraries.strings().alpha().ofLength(3), jdkValues().filter(Objects::nonNull))
                .ofMaxSize(3).map(m -> m.isEmpty() ? Map.of() : new HashMap<>(m));
    }

    @Property(tries = 300)
    void sealedGraphsComeBackEqualAndOfTheirOwnClass(@ForAll("nodes") Node node) {
        assertEquals(node, roundTrip(SEALED, node));
    }

    @Property(tries = 300)
    void objectChannelsKeepEveryShape(@ForAll("nodes") Node node, @ForAll("jdkValues") Object value) {
        List<Object> mixed = new ArrayList<>(Arrays.asList(node, value, new TreeMap<>(Map.of("k", node))));
        Object back = roundTrip(CODEC, mixed);
        assertEquals(mixed, back);
        assertNotSame(mixed, back);
        Holder h = new Holder("h", node, new int[] {1, 2});
        assertEquals(h, roundTrip(CODEC, h));
    }

    private static <T> T roundTrip(RecordCodec<T> codec, T value) {
        codec.verify(value);
        EncodedRecord e = codec.encode(value);
        byte[] frame = Arrays.copyOfRange(e.buffer(), 24, 24 + e.payloadLength());
        return codec.decode(frame, 0, frame.length, e.codec(), new RecordCodec.DecodeScratch());
    }
}
