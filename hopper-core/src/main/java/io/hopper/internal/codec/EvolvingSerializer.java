package io.hopper.internal.codec;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Hopper's serializer for Java records and plain classes: it writes a class's fields in a layout
 * that is described once in the {@link TypeRegistry} (names, declared types, encodings), so a
 * payload written before a deploy decodes after it even when the class gained or lost fields.
 *
 * <p>Payload of one object: the 4-byte id of the writer's {@link TypeDescriptor} (left out when
 * the class reference just before it carried that id), then each field in descriptor order:
 * primitives in Kryo's encodings (varints for {@code int} and {@code long}), fields of a final
 * type as Kryo's null flag and value, any other field as a class reference and value.
 *
 * <p>Reading: a payload of the reader's own layout is read positionally. Any other layout is
 * matched field by field by name: a field the class no longer has is read and dropped, a field the
 * payload lacks gets its default (null, zero, false; for a plain class, whatever its no-arg
 * constructor leaves, when it has one), and a value that the field's current type cannot hold
 * (its type changed) fails the record with {@link IncompatibleTypeException}, never a wrong value.
 *
 * <p>Fields: a record's components in declaration order; for a plain class, every non-static,
 * non-transient, non-synthetic field of it and its superclasses, superclass first, sorted by name
 * within each class (a shadowed field is named {@code Declaring.name}). One instance per Kryo, so
 * per thread.
 */
final class EvolvingSerializer<T> extends Serializer<T> {
    private static final Map<String, Class<?>> PRIMITIVES = Map.of(
            "int", int.class, "long", long.class, "boolean", boolean.class, "byte", byte.class,
            "short", short.class, "char", char.class, "float", float.class, "double", double.class);

    private final Class<T> type;
    private final StableClassResolver resolver;
    private final Member[] members;
    private final Map<String, Integer> memberIndex = new HashMap<>();
    /** The canonical constructor, spread over an {@code Object[]}; null for a plain class. */
    private final MethodHandle canonical;
    private final TypeDescriptor descriptor;
    /** Field values a payload without them leaves: null, or a primitive's zero. */
    private final Object[] defaults;
    /** How to read payloads of other layouts, by writer id. */
    private final Map<Integer, Step[]> plans = new HashMap<>();

    private static final class Member {
        final String name;
        final Class<?> type;
        final TypeDescriptor.Mode mode;
        final MethodHandle getter;
        /** Null for a record component (set through the constructor). */
        final MethodHandle setter;

        Member(String name, Class<?> type, TypeDescriptor.Mode mode, MethodHandle getter, MethodHandle setter) {
            this.name = name;
            this.type = type;
            this.mode = mode;
            this.getter = getter;
            this.setter = setter;
        }
    }

    /** One field of a writer's layout: how to read it, and which member (or -1: none) gets it. */
    private record Step(String name, TypeDescriptor.Mode mode, Class<?> type, String typeName, int target) {
    }

    EvolvingSerializer(Kryo kryo, Class<T> type) {
        this.type = type;
        this.resolver = (StableClassResolver) kryo.getClassResolver();
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        List<Member> list = new ArrayList<>();
        try {
            if (type.isRecord()) {
                RecordComponent[] rc = type.getRecordComponents();
                Class<?>[] types = new Class<?>[rc.length];
                for (int i = 0; i < rc.length; i++) {
                    types[i] = rc[i].getType();
                    Method accessor = rc[i].getAccessor();
                    accessor.setAccessible(true);
                    list.add(new Member(rc[i].getName(), types[i], modeOf(kryo, types[i]),
                            lookup.unreflect(accessor).asType(MethodType.methodType(Object.class, Object.class)), null));
                }
                Constructor<T> c = type.getDeclaredConstructor(types);
                c.setAccessible(true);
                canonical = lookup.unreflectConstructor(c).asSpreader(Object[].class, rc.length)
                        .asType(MethodType.methodType(Object.class, Object[].class));
            } else {
                List<Class<?>> chain = new ArrayList<>();
                for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
                    chain.add(0, c);
                }
                Map<String, Integer> seen = new HashMap<>();
                for (Class<?> c : chain) {
                    List<Field> fields = new ArrayList<>();
                    for (Field f : c.getDeclaredFields()) {
                        int m = f.getModifiers();
                        if (!Modifier.isStatic(m) && !Modifier.isTransient(m) && !f.isSynthetic()) {
                            fields.add(f);
                        }
                    }
                    fields.sort(Comparator.comparing(Field::getName));
                    for (Field f : fields) {
                        f.setAccessible(true);
                        String name = seen.merge(f.getName(), 1, Integer::sum) == 1 ? f.getName()
                                : c.getName() + "." + f.getName();
                        list.add(new Member(name, f.getType(), modeOf(kryo, f.getType()),
                                lookup.unreflectGetter(f).asType(MethodType.methodType(Object.class, Object.class)),
                                lookup.unreflectSetter(f).asType(MethodType.methodType(void.class, Object.class, Object.class))));
                    }
                }
                canonical = null;
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new KryoException("hopper cannot serialize " + type.getName() + ": its fields are not accessible ("
                    + e + ")", e);
        }
        members = list.toArray(new Member[0]);
        defaults = new Object[members.length];
        List<TypeDescriptor.Field> fields = new ArrayList<>(members.length);
        for (int i = 0; i < members.length; i++) {
            Member m = members[i];
            memberIndex.put(m.name, i);
            defaults[i] = m.type.isPrimitive() ? zero(m.type) : null;
            fields.add(new TypeDescriptor.Field(m.name, m.type.getName(), m.mode));
        }
        descriptor = new TypeDescriptor(TypeDescriptor.Kind.FIELDS, type.getName(), fields);
    }

    TypeDescriptor descriptor() {
        return descriptor;
    }

    private static TypeDescriptor.Mode modeOf(Kryo kryo, Class<?> t) {
        if (t.isPrimitive()) {
            return TypeDescriptor.Mode.PRIMITIVE;
        }
        return kryo.isFinal(t) ? TypeDescriptor.Mode.EXACT : TypeDescriptor.Mode.TAGGED;
    }

    @Override
    public void write(Kryo kryo, Output output, T object) {
        if (!resolver.takeWrittenId(type, output.total())) {
            output.writeInt(resolver.idOf(type, descriptor));
        }
        for (Member m : members) {
            try {
                writeValue(kryo, output, m.mode, m.type, m.getter.invokeExact((Object) object));
            } catch (Throwable e) {
                throw traced(e, m.name + " (" + type.getName() + ")");
            }
        }
    }

    @Override
    public T read(Kryo kryo, Input input, Class<? extends T> ignored) {
        int id = resolver.takeReadId(type, input.total()) ? resolver.lastReadId() : input.readInt();
        Object[] values = defaults.clone();
        boolean[] present = null;
        if (id == resolver.currentId(type, descriptor)) {
            for (int i = 0; i < members.length; i++) {
                Member m = members[i];
                try {
                    values[i] = readValue(kryo, input, m.mode, m.type, m.type.getName());
                } catch (Throwable e) {
                    throw traced(e, m.name + " (" + type.getName() + ")");
                }
            }
        } else {
            Step[] plan = plans.get(id);
            if (plan == null) {
                plan = plan(id);
                plans.put(id, plan);
            }
            present = new boolean[members.length];
            for (Step s : plan) {
                Object v;
                try {
                    v = readValue(kryo, input, s.mode(), s.type(), s.typeName());
                } catch (Throwable e) {
                    throw traced(e, s.name() + " (" + type.getName() + ", as written)");
                }
                if (s.target() < 0) {
                    continue;
                }
                Member m = members[s.target()];
                if (v == null ? m.type.isPrimitive() : !box(m.type).isInstance(v)) {
                    throw new IncompatibleTypeException(type.getName() + "." + m.name + " was written as "
                            + s.typeName() + (v == null ? " null" : " (a " + v.getClass().getName() + ")")
                            + " and is now declared " + m.type.getName() + ": an incompatible change");
                }
                values[s.target()] = v;
                present[s.target()] = true;
            }
        }
        try {
            if (canonical != null) {
                return type.cast(canonical.invokeExact(values));
            }
            T object = kryo.newInstance(type);
            for (int i = 0; i < members.length; i++) {
                if (present == null || present[i]) {
                    members[i].setter.invokeExact((Object) object, values[i]);
                }
            }
            return object;
        } catch (KryoException e) {
            throw e;
        } catch (Throwable e) {
            throw new KryoException("cannot create " + type.getName() + " from its fields: " + e, e);
        }
    }

    /**
     * {@code e} with {@code field} added to its serialization trace, so the message names the
     * field path; JVM errors other than a stack overflow pass through as they are.
     */
    private static RuntimeException traced(Throwable e, String field) {
        if (e instanceof VirtualMachineError && !(e instanceof StackOverflowError)) {
            throw (VirtualMachineError) e;
        }
        KryoException k = e instanceof KryoException ke ? ke : new KryoException(e);
        k.addTrace(field);
        return k;
    }

    /** How to read a payload whose layout is the registry's descriptor {@code id}. */
    private Step[] plan(int id) {
        TypeDescriptor d = resolver.registry().lookup(id);
        if (d == null) {
            throw new IncompatibleTypeException("a " + type.getName() + " was written with layout id 0x"
                    + Integer.toHexString(id) + ", which the channel's type registry does not hold");
        }
        if (d.kind() != TypeDescriptor.Kind.FIELDS || !d.className().equals(type.getName())) {
            throw new IncompatibleTypeException("layout id 0x" + Integer.toHexString(id) + " describes "
                    + d.className() + ", not " + type.getName());
        }
        Step[] steps = new Step[d.fields().size()];
        for (int i = 0; i < steps.length; i++) {
            TypeDescriptor.Field f = d.fields().get(i);
            Class<?> t = null;
            if (f.mode() == TypeDescriptor.Mode.PRIMITIVE) {
                t = PRIMITIVES.get(f.typeName());
                if (t == null) {
                    throw new IncompatibleTypeException("layout of " + type.getName() + " has primitive field "
                            + f.name() + " of unknown type " + f.typeName());
                }
            } else if (f.mode() == TypeDescriptor.Mode.EXACT) {
                Integer target = memberIndex.get(f.name());
                if (target != null && members[target].type.getName().equals(f.typeName())) {
                    t = members[target].type;
                }
                // else: loaded when a payload needs it, so a missing class fails only those payloads
            }
            Integer target = memberIndex.get(f.name());
            steps[i] = new Step(f.name(), f.mode(), t, f.typeName(), target == null ? -1 : target);
        }
        return steps;
    }

    private static void writeValue(Kryo kryo, Output out, TypeDescriptor.Mode mode, Class<?> t, Object v) {
        switch (mode) {
            case PRIMITIVE -> writePrimitive(out, t, v);
            case EXACT -> kryo.writeObjectOrNull(out, v, t);
            default -> kryo.writeClassAndObject(out, v);
        }
    }

    private Object readValue(Kryo kryo, Input in, TypeDescriptor.Mode mode, Class<?> t, String typeName) {
        switch (mode) {
            case PRIMITIVE:
                return readPrimitive(in, t);
            case EXACT:
                Class<?> exact = t != null ? t : resolver.load(typeName);
                return kryo.readObjectOrNull(in, exact);
            default:
                return kryo.readClassAndObject(in);
        }
    }

    private static void writePrimitive(Output out, Class<?> t, Object v) {
        if (t == int.class) {
            out.writeVarInt((Integer) v, false);
        } else if (t == long.class) {
            out.writeVarLong((Long) v, false);
        } else if (t == double.class) {
            out.writeDouble((Double) v);
        } else if (t == boolean.class) {
            out.writeBoolean((Boolean) v);
        } else if (t == float.class) {
            out.writeFloat((Float) v);
        } else if (t == byte.class) {
            out.writeByte((Byte) v);
        } else if (t == short.class) {
            out.writeShort((Short) v);
        } else {
            out.writeChar((Character) v);
        }
    }

    private static Object readPrimitive(Input in, Class<?> t) {
        if (t == int.class) {
            return in.readVarInt(false);
        } else if (t == long.class) {
            return in.readVarLong(false);
        } else if (t == double.class) {
            return in.readDouble();
        } else if (t == boolean.class) {
            return in.readBoolean();
        } else if (t == float.class) {
            return in.readFloat();
        } else if (t == byte.class) {
            return in.readByte();
        } else if (t == short.class) {
            return in.readShort();
        } else {
            return in.readChar();
        }
    }

    private static Object zero(Class<?> t) {
        if (t == int.class) {
            return 0;
        } else if (t == long.class) {
            return 0L;
        } else if (t == double.class) {
            return 0d;
        } else if (t == boolean.class) {
            return false;
        } else if (t == float.class) {
            return 0f;
        } else if (t == byte.class) {
            return (byte) 0;
        } else if (t == short.class) {
            return (short) 0;
        } else {
            return (char) 0;
        }
    }

    private static Class<?> box(Class<?> t) {
        return t.isPrimitive() ? zero(t).getClass() : t;
    }
}
