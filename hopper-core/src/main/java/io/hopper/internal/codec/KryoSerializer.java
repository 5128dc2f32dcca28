package io.hopper.internal.codec;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.SerializerFactory;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.DefaultSerializers;
import com.esotericsoftware.kryo.serializers.EnumNameSerializer;
import com.esotericsoftware.kryo.util.DefaultInstantiatorStrategy;
import io.hopper.Serializer;
import org.objenesis.strategy.StdInstantiatorStrategy;

import java.io.OutputStream;
import java.net.URI;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The default {@link Serializer}: Kryo 5, set up so that what a channel writes decodes after a
 * restart and after a deploy.
 *
 * <ul>
 *   <li><b>Any subtype.</b> Every record is written with its class, so a channel of a sealed
 *   interface, an abstract class or {@code Object} gets back exactly the class that was sent.</li>
 *   <li><b>Stable class ids.</b> Classes are named by {@link TypeRegistry} ids derived from what
 *   they are, never by registration order ({@link StableClassResolver}).</li>
 *   <li><b>Schema evolution.</b> Records and plain classes are written by {@link EvolvingSerializer}:
 *   a field added since gets its default, a field removed is skipped, a changed type fails that
 *   record with a typed error.</li>
 *   <li><b>Enums by name</b>, so reordering constants is harmless; {@code UUID}, {@code URI} and
 *   {@code Pattern} have serializers; everything else Kryo supports out of the box (collections,
 *   maps, {@code java.time}, {@code Optional}, {@code BigDecimal}, arrays, ...) is Kryo's.</li>
 * </ul>
 *
 * Kryo instances are not thread-safe, so each call borrows one from a small pool (configured
 * identically; as many as threads serialize at once, not one per thread that ever did, which with
 * a virtual thread per request would build a Kryo per request). A
 * channel binds the serializer to its directory's registry ({@link #withRegistry}); unbound, ids
 * live in memory for the life of the process.
 */
public final class KryoSerializer<T> implements Serializer<T> {

    private static final SerializerFactory<EvolvingSerializer<?>> EVOLVING =
            new SerializerFactory.BaseSerializerFactory<>() {
                @Override
                @SuppressWarnings({"unchecked", "rawtypes"})
                public EvolvingSerializer<?> newSerializer(Kryo kryo, Class type) {
                    return new EvolvingSerializer(kryo, type);
                }
            };

    private final Class<T> type;
    private final Consumer<Kryo> configure;
    private final TypeRegistry registry;
    private final BoundedPool<State> states = new BoundedPool<>(BoundedPool.defaultSize(), this::newState);

    public KryoSerializer(Class<T> type, Consumer<Kryo> configure) {
        this(type, configure, TypeRegistry.inMemory());
    }

    private KryoSerializer(Class<T> type, Consumer<Kryo> configure, TypeRegistry registry) {
        this.type = Objects.requireNonNull(type, "type");
        this.configure = Objects.requireNonNull(configure, "configure");
        this.registry = registry;
        states.release(newState()); // fail fast on a configuration error, on the thread that builds the channel
    }

    /** The same serializer, naming classes through {@code registry} (a channel directory's). */
    public KryoSerializer<T> withRegistry(TypeRegistry registry) {
        return new KryoSerializer<>(type, configure, Objects.requireNonNull(registry, "registry"));
    }

    /** {@return Kryo instances made so far} For tests: it follows concurrency, not threads. */
    long statesCreated() {
        return states.created();
    }

    private State newState() {
        StableClassResolver resolver = new StableClassResolver(registry);
        Kryo kryo = new Kryo(resolver, null);
        resolver.builtinLimit(kryo.getNextRegistrationId());
        kryo.setRegistrationRequired(false);
        kryo.setReferences(false);
        kryo.setInstantiatorStrategy(new DefaultInstantiatorStrategy(new StdInstantiatorStrategy()));
        ClassLoader loader = type.getClassLoader();
        if (loader != null) {
            kryo.setClassLoader(loader);
        }
        kryo.setDefaultSerializer(EVOLVING);
        kryo.addDefaultSerializer(Record.class, EVOLVING);
        kryo.addDefaultSerializer(Enum.class, EnumNameSerializer.class);
        kryo.addDefaultSerializer(UUID.class, new DefaultSerializers.UUIDSerializer());
        kryo.addDefaultSerializer(URI.class, new DefaultSerializers.URISerializer());
        kryo.addDefaultSerializer(Pattern.class, new DefaultSerializers.PatternSerializer());
        configure.accept(kryo);
        return new State(kryo, resolver);
    }

    @Override
    public void serialize(T value, OutputStream out) {
        State s = states.borrow();
        try {
            serialize(s, value, out);
        } finally {
            states.release(s);
        }
    }

    private void serialize(State s, T value, OutputStream out) {
        s.output.setOutputStream(out);
        try {
            s.kryo.writeClassAndObject(s.output, value);
            s.output.flush();
        } finally {
            s.output.setOutputStream(null);
        }
    }

    @Override
    public T deserialize(byte[] bytes, int offset, int length) {
        State s = states.borrow();
        try {
            return deserialize(s, bytes, offset, length);
        } finally {
            states.release(s);
        }
    }

    private T deserialize(State s, byte[] bytes, int offset, int length) {
        s.input.setBuffer(bytes, offset, length);
        try {
            Object value = s.kryo.readClassAndObject(s.input);
            if (s.input.position() != offset + length) {
                throw new IllegalStateException("Kryo consumed " + (s.input.position() - offset)
                        + " of " + length + " bytes");
            }
            if (!type.isInstance(value)) {
                throw new IncompatibleTypeException("decoded " + (value == null ? "null" : "a " + value.getClass().getName())
                        + ", which is not a " + type.getName());
            }
            return type.cast(value);
        } finally {
            s.input.setBuffer(EMPTY);
        }
    }

    /**
     * Encodes and decodes {@code value} without storing new type ids: the check a channel makes
     * the first time it is sent a record of a class, so that a class that cannot make the round
     * trip is refused at the send rather than lost at the receive.
     *
     * @return the decoded copy
     */
    T roundTrip(T value) {
        State s = states.borrow();
        s.resolver.trial(true);
        try {
            ByteSink sink = new ByteSink(256);
            serialize(s, value, sink);
            return deserialize(s, sink.array(), 0, sink.length());
        } finally {
            s.resolver.trial(false);
            states.release(s);
        }
    }

    private static final byte[] EMPTY = new byte[0];

    private static final class State {
        final Kryo kryo;
        final StableClassResolver resolver;
        final Output output = new Output(4096, -1);
        final Input input = new Input();

        State(Kryo kryo, StableClassResolver resolver) {
            this.kryo = kryo;
            this.resolver = resolver;
        }
    }
}
