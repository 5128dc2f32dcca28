package io.hopper.internal.concurrent;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The one way hopper makes a {@link VarHandle}: {@code VarHandles.field(MethodHandles.lookup(),
 * "name", long.class)} in a static initialiser of the class that declares the field.
 *
 * <p>The counter idiom (docs/DESIGN.md, section 5): a counter has one writer at a time (a thread,
 * or whoever holds the lock its field comment names); it is a plain field that the writer updates
 * with {@code H.setRelease(this, value + n)} and everyone else reads with {@code H.getAcquire(this)}.
 * A release store is a plain store on x86 and orders everything the writer did before it; a
 * {@code volatile} field would add a full fence per increment, which the hot paths (a record sent,
 * received, read from disk) cannot afford and the readers (statistics, size estimates) do not need.
 * {@code volatile} is for flags and positions whose store must be ordered before a later load of
 * another field (the park/wake handshakes), and each such field says so.
 */
public final class VarHandles {
    private VarHandles() {
    }

    /**
     * The handle of field {@code name} of type {@code type} in the lookup's class.
     *
     * @throws ExceptionInInitializerError if there is no such field (a typo, found at class load)
     */
    public static VarHandle field(MethodHandles.Lookup lookup, String name, Class<?> type) {
        return field(lookup, lookup.lookupClass(), name, type);
    }

    /** The handle of field {@code name} of {@code declaring}, a class the lookup may access privately (a nested class). */
    public static VarHandle field(MethodHandles.Lookup lookup, Class<?> declaring, String name, Class<?> type) {
        try {
            return lookup.findVarHandle(declaring, name, type);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
