package io.hopper.internal.ring;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded, lock-split ring of slots: any number of producers push at the back, one consumer
 * at a time pops at the front, and the two ends never take each other's lock to do so.
 *
 * <h2>Algorithm</h2>
 * The slots are a fixed array used circularly. Producers serialize on the <em>back lock</em>,
 * which guards {@code tail} and the producers' shared state {@code S} (the ring carries that
 * state for its owner and never looks inside it). The consumer holds the <em>front lock</em>,
 * which guards {@code head}. The only fields both ends touch are {@code size} and {@code bytes}.
 *
 * <h2>Why it is safe</h2>
 * <ul>
 *   <li><b>Publishing a slot.</b> A producer writes {@code slots[tail]} and {@code weights[tail]}
 *   with plain stores, then increments {@code size} with a volatile read-modify-write (release).
 *   The consumer reads {@code size} with a volatile load (acquire) before it reads the slot, so a
 *   slot it sees counted is fully written.</li>
 *   <li><b>Freeing a slot.</b> The consumer nulls the slot, then decrements {@code size}
 *   (release). A producer only writes a slot after an acquire load of {@code size} showed it free,
 *   so the consumer's last read of the slot happens-before the producer's overwrite.</li>
 *   <li><b>Byte bound.</b> {@code bytes} only grows under the back lock (one producer at a time
 *   checks and adds) and only shrinks on the consumer side, so a producer's check-then-add can be
 *   overtaken only by frees: the bound {@code bytes <= maxBytes} always holds.</li>
 *   <li><b>No lost wake-up.</b> A consumer about to park first increments
 *   {@code consumersParked} (volatile), then re-checks for work, then awaits {@code notEmpty}
 *   (which releases the front lock). A producer first increments {@code size}, then reads
 *   {@code consumersParked}. Both are volatile, hence sequentially consistent: either the
 *   consumer's re-check sees the new slot, or the producer sees the parked consumer and signals
 *   it &mdash; taking the front lock to do so, which it can only get once the consumer is
 *   actually waiting. Producers signal after releasing the back lock, so the lock order is always
 *   front &rarr; back, never the reverse.</li>
 *   <li><b>Cheap wake-ups.</b> Signalling costs a lock and possibly a system call, so producers
 *   signal only on the empty &rarr; non-empty transition <em>and</em> when a consumer is parked
 *   (the technique of <i>Rust Atomics and Locks</i>, ch. 9). Symmetrically the consumer signals
 *   {@code notFull} only when {@code producersWaiting > 0}; producers announce themselves before
 *   their last check for room, mirroring the consumer's protocol.</li>
 * </ul>
 *
 * @param <S> the producers' shared state, guarded by the back lock
 */
public final class RingDeque<S> {

    /** {@link #tryPushBack} result: the slot was pushed and the ring was not empty before. */
    public static final int PUSHED = 0;
    /** {@link #tryPushBack} result: the slot was pushed into an empty ring; the caller must {@link #signalNotEmpty()}. */
    public static final int PUSHED_INTO_EMPTY = 1;
    /** {@link #tryPushBack} result: no room (slots or bytes); nothing changed. */
    public static final int FULL = 2;

    private static final VarHandle SIZE;
    private static final VarHandle BYTES;
    private static final VarHandle CONSUMERS_PARKED;
    private static final VarHandle PRODUCERS_WAITING;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            SIZE = l.findVarHandle(RingDeque.class, "size", int.class);
            BYTES = l.findVarHandle(RingDeque.class, "bytes", long.class);
            CONSUMERS_PARKED = l.findVarHandle(RingDeque.class, "consumersParked", int.class);
            PRODUCERS_WAITING = l.findVarHandle(RingDeque.class, "producersWaiting", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The slots. Element i is written by a producer under the back lock, read and nulled by the consumer under the front lock; {@code size} orders the two. */
    private final Object[] slots;
    /** Bytes charged for the element in the same slot; same ownership as {@link #slots}. */
    private final int[] weights;
    /** Number of slots; immutable. */
    private final int capacity;
    /** Memory budget in bytes; immutable. */
    private final long maxBytes;

    /** Producers' lock: guards {@link #tail}, {@link #backState} and {@link #notFull}. */
    private final ReentrantLock backLock = new ReentrantLock();
    /** Producers wait here for room; signalled by the consumer side. */
    private final Condition notFull = backLock.newCondition();
    /** Next slot to fill. Guarded by the back lock. */
    private int tail;
    /** The producers' shared state; its contents are guarded by the back lock. */
    private final S backState;
    /** Producers blocked in {@link #awaitNotFull}. Written under the back lock; read by the consumer without it (volatile). */
    private volatile int producersWaiting;

    /** Consumer's lock: guards {@link #head} and {@link #notEmpty}. */
    private final ReentrantLock frontLock = new ReentrantLock();
    /** The consumer waits here for elements; signalled by producers on the empty-to-non-empty transition. */
    private final Condition notEmpty = frontLock.newCondition();
    /** Next slot to pop. Guarded by the front lock. */
    private int head;
    /** Consumers that announced they are about to park. Written under the front lock; read by producers without it (volatile). */
    private volatile int consumersParked;

    /** Occupied slots: the handshake between the two ends. Incremented under the back lock, decremented under the front lock; volatile RMW. */
    private volatile int size;
    /** Bytes charged by occupied slots. Increased under the back lock, decreased under the front lock; volatile RMW. */
    private volatile long bytes;

    public RingDeque(int capacity, long maxBytes, S backState) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1 slot: " + capacity);
        }
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
        }
        this.capacity = capacity;
        this.maxBytes = maxBytes;
        this.slots = new Object[capacity];
        this.weights = new int[capacity];
        this.backState = backState;
    }

    public int capacity() {
        return capacity;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** Occupied slots (acquire load). */
    public int size() {
        return (int) SIZE.getVolatile(this);
    }

    /** Bytes charged by occupied slots (acquire load). */
    public long bytes() {
        return (long) BYTES.getVolatile(this);
    }

    public ReentrantLock backLock() {
        return backLock;
    }

    public ReentrantLock frontLock() {
        return frontLock;
    }

    /** The producers' shared state. The caller must hold the back lock to touch its contents. */
    public S backState() {
        return backState;
    }

    /** Whether {@code n} more slots carrying {@code weight} bytes in total would fit now. Exact under the back lock (the consumer can only add room). */
    public boolean hasRoom(int n, long weight) {
        return size() + n <= capacity && bytes() + weight <= maxBytes;
    }

    /**
     * Pushes {@code element} charging {@code weight} bytes. Caller holds the back lock.
     *
     * @return {@link #PUSHED}, {@link #PUSHED_INTO_EMPTY} or {@link #FULL}
     */
    public int tryPushBack(Object element, int weight) {
        assert backLock.isHeldByCurrentThread();
        if (size() == capacity || bytes() + weight > maxBytes) {
            return FULL;
        }
        int t = tail;
        slots[t] = element;
        weights[t] = weight;
        tail = (t + 1 == capacity) ? 0 : t + 1;
        if (weight != 0) {
            BYTES.getAndAdd(this, (long) weight);
        }
        // Release: the plain slot writes above become visible to a consumer that reads the new size.
        int before = (int) SIZE.getAndAdd(this, 1);
        return before == 0 ? PUSHED_INTO_EMPTY : PUSHED;
    }

    /** Pops the front element, or returns {@code null} when the ring is empty. Caller holds the front lock. */
    public Object pollFront() {
        assert frontLock.isHeldByCurrentThread();
        if (size() == 0) { // acquire: the slot below is fully written
            return null;
        }
        int h = head;
        Object e = slots[h];
        int w = weights[h];
        slots[h] = null;
        head = (h + 1 == capacity) ? 0 : h + 1;
        if (w != 0) {
            BYTES.getAndAdd(this, (long) -w);
        }
        // Release: the slot is cleared before a producer can see it free.
        SIZE.getAndAdd(this, -1);
        return e;
    }

    // ---- waking the consumer -------------------------------------------------------------

    /** Caller holds the front lock and is about to re-check for work and then park. */
    public void announceParking() {
        assert frontLock.isHeldByCurrentThread();
        CONSUMERS_PARKED.getAndAdd(this, 1);
    }

    /** Undoes {@link #announceParking()}. Caller holds the front lock. */
    public void withdrawParking() {
        assert frontLock.isHeldByCurrentThread();
        CONSUMERS_PARKED.getAndAdd(this, -1);
    }

    /** Waits for a signal. Caller holds the front lock and has announced parking. Returns the nanoseconds left. */
    public long awaitNotEmpty(long nanos) throws InterruptedException {
        return notEmpty.awaitNanos(nanos);
    }

    /** Whether a consumer is parked or about to park (volatile load). */
    public boolean consumerParked() {
        return consumersParked > 0;
    }

    /**
     * Wakes a parked consumer, if any. Called by a producer that holds no lock, after a push into
     * an empty ring or after making disk records claimable.
     */
    public void signalNotEmpty() {
        if (consumersParked > 0) {
            frontLock.lock();
            try {
                notEmpty.signal();
            } finally {
                frontLock.unlock();
            }
        }
    }

    /** Wakes one more parked consumer (a cascade). Caller holds the front lock. */
    public void signalNotEmptyLocked() {
        assert frontLock.isHeldByCurrentThread();
        if (consumersParked > 0) {
            notEmpty.signal();
        }
    }

    /** Wakes every consumer, e.g. on close. */
    public void signalAllConsumers() {
        frontLock.lock();
        try {
            notEmpty.signalAll();
        } finally {
            frontLock.unlock();
        }
    }

    // ---- waking producers ----------------------------------------------------------------

    /**
     * Caller holds the back lock and is about to re-check for room and then wait. Announcing first
     * closes the race with a consumer that frees room between the producer's failed check and its
     * wait: the consumer frees room, then reads {@code producersWaiting}; the producer announces,
     * then re-checks. Both volatile, so one of them sees the other.
     */
    public void announceProducerWaiting() {
        assert backLock.isHeldByCurrentThread();
        PRODUCERS_WAITING.getAndAdd(this, 1);
    }

    /** Undoes {@link #announceProducerWaiting()}. Caller holds the back lock. */
    public void withdrawProducerWaiting() {
        assert backLock.isHeldByCurrentThread();
        PRODUCERS_WAITING.getAndAdd(this, -1);
    }

    /** Waits for room. Caller holds the back lock and has announced waiting. Returns the nanoseconds left (&lt;= 0 on timeout). */
    public long awaitNotFull(long nanos) throws InterruptedException {
        assert backLock.isHeldByCurrentThread();
        return notFull.awaitNanos(nanos);
    }

    /**
     * Wakes the waiting producers, if any: called by the consumer side after it freed room.
     * All of them, because records differ in weight: the room one producer cannot use may fit
     * another's record. Takes the back lock only when someone waits.
     */
    public void signalNotFull() {
        if (producersWaiting > 0) {
            backLock.lock();
            try {
                notFull.signalAll();
            } finally {
                backLock.unlock();
            }
        }
    }

    /** As {@link #signalNotFull()}, for a caller that holds the back lock. */
    public void signalNotFullLocked() {
        assert backLock.isHeldByCurrentThread();
        if (producersWaiting > 0) {
            notFull.signalAll();
        }
    }

    /** Wakes every waiting producer: a lot of room appeared at once, or the channel closed. */
    public void signalAllProducers() {
        if (producersWaiting > 0) {
            backLock.lock();
            try {
                notFull.signalAll();
            } finally {
                backLock.unlock();
            }
        }
    }
}
