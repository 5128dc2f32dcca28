package io.hopper.internal.codec;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * A small lock-free pool of reusable objects, so that encoder state (Kryo instances, buffers,
 * hash tables) scales with the number of threads encoding <em>at once</em>, not with the number of
 * threads that ever encoded: with one virtual thread per request, a thread-local would build a
 * Kryo and a compressor for every request and keep them until the thread ends.
 *
 * <p>{@link #borrow()} takes an object from any occupied slot or, when every slot is empty (more
 * borrowers than slots), makes a new one; {@link #release} puts it into an empty slot or, when
 * every slot is full, lets it go to the garbage collector. So at most {@code slots} objects are
 * retained, however many threads come and go. A slot is taken and filled by compare-and-set, which
 * also orders everything the previous borrower wrote to the object before the next borrower's reads.
 */
final class BoundedPool<E> {
    private final AtomicReferenceArray<E> slots;
    private final int mask;
    private final Supplier<E> factory;
    /** Objects the factory made. Read by tests. */
    private final java.util.concurrent.atomic.AtomicLong created = new java.util.concurrent.atomic.AtomicLong();

    /** @param size slots, rounded up to a power of two */
    BoundedPool(int size, Supplier<E> factory) {
        int n = Integer.highestOneBit(Math.max(1, size - 1)) << 1;
        this.slots = new AtomicReferenceArray<>(n);
        this.mask = n - 1;
        this.factory = factory;
    }

    /** Slots for a pool of encoder state: twice the processors, at least 4, at most 64. */
    static int defaultSize() {
        return Math.max(4, Math.min(64, 2 * Runtime.getRuntime().availableProcessors()));
    }

    /** A pooled object, or a new one when the pool is empty. The caller owns it until {@link #release}. */
    E borrow() {
        int start = start();
        for (int i = 0; i <= mask; i++) {
            int at = (start + i) & mask;
            E e = slots.get(at);
            if (e != null && slots.compareAndSet(at, e, null)) {
                return e;
            }
        }
        created.incrementAndGet();
        return factory.get();
    }

    /** {@return how many objects the factory has made} Bounded by the most borrowers at once, plus the retained ones. */
    long created() {
        return created.get();
    }

    /** Gives {@code e} back; it is dropped if the pool is full. The caller must not use it afterwards. */
    void release(E e) {
        int start = start();
        for (int i = 0; i <= mask; i++) {
            int at = (start + i) & mask;
            if (slots.get(at) == null && slots.compareAndSet(at, null, e)) {
                return;
            }
        }
    }

    /** Objects held by the pool now (for tests). */
    int retained() {
        int n = 0;
        for (int i = 0; i <= mask; i++) {
            n += slots.get(i) != null ? 1 : 0;
        }
        return n;
    }

    /** Where a thread starts looking: spread by its id, so that threads rarely contend for one slot. */
    private static int start() {
        long id = Thread.currentThread().getId();
        return (int) (id ^ (id >>> 16)) * 0x9E3779B9;
    }
}
