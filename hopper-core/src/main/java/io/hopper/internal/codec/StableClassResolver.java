package io.hopper.internal.codec;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.DefaultClassResolver;

import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Names classes in payloads by their {@link TypeRegistry} id instead of Kryo's registration
 * number or class name, so that a payload decodes the same whatever classes a later process
 * registers, and in which order.
 *
 * <p>Encoding of a class reference: {@code 0} (varint) for null; {@code 2 + n} (varint) for the
 * primitives and {@code String}, which Kryo registers itself with fixed numbers {@code n} before
 * anything else; otherwise {@code 1} (varint) and the 4-byte type id. Classes a user registers
 * (with a serializer of their own) are written by type id too: the registration only chooses the
 * serializer.
 *
 * <p>When the id of an {@link EvolvingSerializer} class was just written or read, the serializer
 * is told so ({@link #takeWrittenId}, {@link #takeReadId}) and does not repeat it; written as a
 * field of a final type, where Kryo writes no class, the serializer writes the id itself.
 *
 * <p>One instance per Kryo, so per thread: no field here is shared.
 */
final class StableClassResolver extends DefaultClassResolver {
    /** Written by this resolver for "a 4-byte type id follows" (Kryo's NAME + 2). */
    static final int TYPE_ID = 1;

    private final TypeRegistry registry;
    /** Registration numbers below this are Kryo's own, fixed by Kryo (primitives and String). */
    private int builtinLimit;
    /** A trial encode at a first send: compute ids without storing them. */
    private boolean trial;

    /** Per class: its descriptor and id; {@code stored} once the registry has it in its file. */
    private final Map<Class<?>, ClassId> ids = new IdentityHashMap<>();
    /** Per id read: the registration that decodes it. */
    private final Map<Integer, Registration> byId = new HashMap<>();
    /**
     * The last id {@link #readClass} looked up, and its registration (null before the first). Like
     * every field here, confined to the thread that holds this resolver's Kryo instance: the
     * serializer's pool hands an instance to one thread at a time, and its compare-and-set orders
     * one holder's writes before the next holder's reads.
     */
    private int lastId;
    private Registration lastRegistration;

    /** The class whose id was just written by {@link #writeClass}, and the output position after it. */
    private Class<?> writtenClass;
    private long writtenAt = -1;
    /** The class and id just read by {@link #readClass}, and the input position after it. */
    private Class<?> readClassValue;
    private int readId;
    private long readAt = -1;

    private static final class ClassId {
        final TypeDescriptor descriptor;
        final int id;
        boolean stored;

        ClassId(TypeDescriptor descriptor, int id, boolean stored) {
            this.descriptor = descriptor;
            this.id = id;
            this.stored = stored;
        }
    }

    StableClassResolver(TypeRegistry registry) {
        this.registry = registry;
    }

    /** Called once, right after Kryo's constructor registered its own classes. */
    void builtinLimit(int limit) {
        this.builtinLimit = limit;
    }

    /** Sets whether ids are only computed (a trial encode) or also stored before use. */
    void trial(boolean trial) {
        this.trial = trial;
    }

    @Override
    public Registration writeClass(Output output, Class type) {
        if (type == null) {
            output.writeByte(Kryo.NULL);
            return null;
        }
        Registration registration = kryo.getRegistration(type);
        int number = registration.getId();
        if (number >= 0 && number < builtinLimit) {
            output.writeVarInt(number + 2, true);
            return registration;
        }
        output.writeByte(TYPE_ID);
        output.writeInt(idOf(registration));
        if (registration.getSerializer() instanceof EvolvingSerializer) {
            writtenClass = registration.getType();
            writtenAt = output.total();
        }
        return registration;
    }

    /** The id for {@code registration}'s class, stored in the registry first unless this is a trial. */
    private int idOf(Registration registration) {
        Class<?> type = registration.getType();
        ClassId c = ids.get(type);
        if (c != null && (c.stored || trial)) {
            return c.id;
        }
        return idOf(type, registration.getSerializer() instanceof EvolvingSerializer<?> es
                ? es.descriptor() : TypeDescriptor.named(type.getName()));
    }

    /** The id of {@code type}, described by {@code d}, stored in the registry first unless this is a trial. */
    int idOf(Class<?> type, TypeDescriptor d) {
        ClassId c = ids.get(type);
        if (c == null) {
            c = new ClassId(d, registry.idOf(d, !trial), !trial);
            ids.put(type, c);
        } else if (!c.stored && !trial) {
            registry.idOf(c.descriptor, true);
            c.stored = true;
        }
        return c.id;
    }

    /** The id of {@code type}, described by {@code d}, as far as this process knows; stores nothing. */
    int currentId(Class<?> type, TypeDescriptor d) {
        ClassId c = ids.get(type);
        if (c == null) {
            c = new ClassId(d, registry.idOf(d, false), false);
            ids.put(type, c);
        }
        return c.id;
    }

    /** Whether {@link #writeClass} has just written {@code type}'s id at {@code position}; clears it. */
    boolean takeWrittenId(Class<?> type, long position) {
        boolean just = writtenClass == type && writtenAt == position;
        writtenClass = null;
        return just;
    }

    /** Whether {@link #readClass} has just read {@code type}'s id, ending at {@code position}; clears it. */
    boolean takeReadId(Class<?> type, long position) {
        boolean just = readClassValue == type && readAt == position;
        readClassValue = null;
        return just;
    }

    /** The id read by the last {@link #readClass} of an {@link EvolvingSerializer} class. */
    int lastReadId() {
        return readId;
    }

    @Override
    public Registration readClass(Input input) {
        int number = input.readVarInt(true);
        if (number == Kryo.NULL) {
            return null;
        }
        if (number != TYPE_ID) {
            Registration r = number - 2 < builtinLimit ? getRegistration(number - 2) : null;
            if (r == null) {
                throw new KryoException("payload names class number " + (number - 2)
                        + ", which is not one of Kryo's own");
            }
            return r;
        }
        int id = input.readInt();
        Registration r = lastRegistration;
        if (r == null || id != lastId) {
            r = byId.get(id);
            if (r == null) {
                r = resolve(id);
                byId.put(id, r);
            }
            lastId = id;
            lastRegistration = r;
        }
        if (r.getSerializer() instanceof EvolvingSerializer) {
            readClassValue = r.getType();
            readId = id;
            readAt = input.total();
        }
        return r;
    }

    /** The registration that decodes payloads written with type id {@code id}. */
    Registration resolve(int id) {
        TypeDescriptor d = registry.lookup(id);
        if (d == null) {
            throw new IncompatibleTypeException("payload uses type id 0x" + Integer.toHexString(id)
                    + ", which the channel's type registry (" + TypeRegistry.FILE_NAME + ") does not hold");
        }
        Class<?> type = load(d.className());
        Registration r = kryo.getRegistration(type);
        boolean evolving = r.getSerializer() instanceof EvolvingSerializer;
        if (evolving != (d.kind() == TypeDescriptor.Kind.FIELDS)) {
            throw new IncompatibleTypeException(type.getName() + " was written by "
                    + (evolving ? "a serializer registered for it" : "hopper's field serializer")
                    + " and is now read by " + (evolving ? "hopper's field serializer" : "a serializer registered for it"));
        }
        return r;
    }

    Class<?> load(String name) {
        try {
            return Class.forName(name, false, kryo.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            try {
                return Class.forName(name, false, Kryo.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e2) {
                throw new IncompatibleTypeException("class " + name + " was written but cannot be loaded now: " + e);
            }
        }
    }

    TypeRegistry registry() {
        return registry;
    }
}
