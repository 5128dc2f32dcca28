package io.hopper.internal.codec;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.DefaultInstantiatorStrategy;
import io.hopper.Serializer;
import org.objenesis.strategy.StdInstantiatorStrategy;

import java.io.OutputStream;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The default {@link Serializer}: Kryo 5. Kryo instances are not thread-safe, so each thread gets
 * its own (with its own {@link Output} and {@link Input}), configured identically.
 *
 * <p>The channel's type is registered; other classes reachable from a record are written by name
 * (registration not required), so plain classes and Java records work without set-up. Classes
 * without a no-arg constructor are instantiated through Objenesis.
 */
public final class KryoSerializer<T> implements Serializer<T> {

    private final Class<T> type;
    private final Consumer<Kryo> configure;
    private final ThreadLocal<State> state = ThreadLocal.withInitial(this::newState);

    public KryoSerializer(Class<T> type, Consumer<Kryo> configure) {
        this.type = Objects.requireNonNull(type, "type");
        this.configure = Objects.requireNonNull(configure, "configure");
        newState(); // fail fast on a configuration error, on the thread that builds the channel
    }

    private State newState() {
        Kryo kryo = new Kryo();
        kryo.setRegistrationRequired(false);
        kryo.setReferences(false);
        kryo.setInstantiatorStrategy(new DefaultInstantiatorStrategy(new StdInstantiatorStrategy()));
        ClassLoader loader = type.getClassLoader();
        if (loader != null) {
            kryo.setClassLoader(loader);
        }
        kryo.register(type);
        configure.accept(kryo);
        return new State(kryo);
    }

    @Override
    public void serialize(T value, OutputStream out) {
        State s = state.get();
        s.output.setOutputStream(out);
        try {
            s.kryo.writeObject(s.output, value);
            s.output.flush();
        } finally {
            s.output.setOutputStream(null);
        }
    }

    @Override
    public T deserialize(byte[] bytes, int offset, int length) {
        State s = state.get();
        s.input.setBuffer(bytes, offset, length);
        try {
            T value = s.kryo.readObject(s.input, type);
            if (s.input.position() != offset + length) {
                throw new IllegalStateException("Kryo consumed " + (s.input.position() - offset)
                        + " of " + length + " bytes");
            }
            return value;
        } finally {
            s.input.setBuffer(EMPTY);
        }
    }

    private static final byte[] EMPTY = new byte[0];

    private static final class State {
        final Kryo kryo;
        final Output output = new Output(4096, -1);
        final Input input = new Input();

        State(Kryo kryo) {
            this.kryo = kryo;
        }
    }
}
