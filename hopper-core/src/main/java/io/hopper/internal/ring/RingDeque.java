package io.hopper.internal.ring;

import io.hopper.internal.concurrent.VarHandles;
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
 * which guards {@code head}. The only field both ends write is {@code state}, which packs the
 * number of occupied slots and the bytes they are charged into one {@code long} so that one
 * atomic add moves both: a reader never sees a slot counted without its bytes or the reverse.
 * (With two separate counters, a producer could fill the room a pop had released in bytes but
 * not yet in slots, and {@code size()} then read one more than any sequential order allows;
 * Lincheck's model checker found that interleaving.)
 *
 * <h2>Why it is safe</h2>
 * <ul>
 *   <li><b>Publishing a slot.</b> A producer writes {@code slots[tail]} and {@code weights[tail]}
 *   with plain stores, then adds one slot and its weight to {@code state} with a volatile
 *   read-modify-write (release). The consumer reads {@code state} with a volatile load (acquire)
 *   before it reads the slot, so a slot it sees counted is fully written.</li>
 *   <li><b>Freeing a slot.</b> The consumer nulls the slot, then subtracts it and its weight from
 *   {@code state} (release). A producer only writes a slot after an acquire load of
 *   {@code state} showed it free, so the consumer's last read of the slot happens-before the
 *   producer's overwrite.</li>
 *   <li><b>Bounds.</b> {@code state} only grows under the back lock (one producer at a time
 *   checks and adds) and only shrinks on the consumer side, so a producer's check-then-add can be
 *   overtaken only by frees: {@code size <= capacity} and {@code bytes <= maxBytes} always hold.
 *   Neither half can carry into the other: bytes stay within [0, maxBytes] with
 *   {@code maxBytes <= MAX_BYTES}, and slots within [0, capacity] with {@code capacity <= 2^27}.</li>
 *   <li><b>No lost wake-up.</b> A consumer about to park first increments
 *   {@code consumersParked} (volatile), then re-checks for work, then awaits {@code notEmpty}
 *   (which releases the front lock). A producer first adds its slot to {@code state}, then reads
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
public final class RingDeque<S> extends RingPadding.Padded {

    /** {@link #tryPushBack} result: the slot was pushed and the ring was not empty before. */
    public static final int PUSHED = 0;
    /** {@link #tryPushBack} result: the slot was pushed into an empty ring; the caller must {@link #signalNotEmpty()}. */
    public static final int PUSHED_INTO_EMPTY = 1;
    /** {@link #tryPushBack} result: no room (slots or bytes); nothing changed. */
    public static final int FULL = 2;

    /** Bits of {@link #state} that hold bytes; the slot count sits above them. */
    private static final int BYTES_BITS = 36;
    /** The largest byte budget a ring accepts (64 GiB), so that the byte count fits in its bits. */
    public static final long MAX_BYTES = (1L << BYTES_BITS) - 1;
    /** The largest slot count a ring accepts; the slot count's bits hold up to 2^28 - 1. */
    public static final int MAX_CAPACITY = 1 << 27;
    /** {@link #spinUntilNotEmpty}'s pauses between two probes of {@link #state}. */
    static final int PROBE_PAUSES = 32;
    /** One occupied slot, as added to {@link #state}. */
    private static final long ONE_SLOT = 1L << BYTES_BITS;

    private static final VarHandle STATE = VarHandles.field(MethodHandles.lookup(), RingPadding.State.class, "state", long.class);
    private static final VarHandle CONSUMERS_PARKED = VarHandles.field(MethodHandles.lookup(), RingPadding.Front.class, "consumersParked", int.class);
    private static final VarHandle PRODUCERS_WAITING = VarHandles.field(MethodHandles.lookup(), RingPadding.Back.class, "producersWaiting", int.class);

    /** The slots. Element i is written by a producer under the back lock, read and nulled by the consumer under the front lock; {@link #state} orders the two. */
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
    // tail and producersWaiting (the producers' end), head and consumersParked (the consumer's
    // end) and state (both) live in the padded superclasses of RingPadding.java, each group on
    // cache lines of its own.
    /** The producers' shared state; its contents are guarded by the back lock. */
    private final S backState;

    /** Consumer's lock: guards {@link #head} and {@link #notEmpty}. */
    private final ReentrantLock frontLock = new ReentrantLock();
    /** The consumer waits here for elements; signalled by producers on the empty-to-non-empty transition. */
    private final Condition notEmpty = frontLock.newCondition();

    public RingDeque(int capacity, long maxBytes, S backState) {
        if (capacity < 1 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("capacity must be in [1, " + MAX_CAPACITY + "] slots: " + capacity);
        }
        if (maxBytes < 0 || maxBytes > MAX_BYTES) {
            throw new IllegalArgumentException("maxBytes must be in [0, " + MAX_BYTES + "]: " + maxBytes);
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
        return slotsOf(state);
    }

    /** Bytes charged by occupied slots (acquire load). */
    public long bytes() {
        return bytesOf(state);
    }

    private static int slotsOf(long state) {
        return (int) (state >>> BYTES_BITS);
    }

    private static long bytesOf(long state) {
        return state & MAX_BYTES;
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
        long s = state;
        return slotsOf(s) + n <= capacity && bytesOf(s) + weight <= maxBytes;
    }

    /**
     * Pushes {@code element} charging {@code weight} bytes. Caller holds the back lock.
     *
     * @return {@link #PUSHED}, {@link #PUSHED_INTO_EMPTY} or {@link #FULL}
     */
    public int tryPushBack(Object element, int weight) {
        assert backLock.isHeldByCurrentThread();
        long s = state; // acquire: a slot seen free was fully read by the consumer
        if (slotsOf(s) == capacity || bytesOf(s) + weight > maxBytes) {
            return FULL;
        }
        int t = tail;
        slots[t] = element;
        weights[t] = weight;
        tail = (t + 1 == capacity) ? 0 : t + 1;
        // Release: the plain slot writes above become visible to a consumer that reads the new state.
        long before = (long) STATE.getAndAdd(this, ONE_SLOT + weight);
        return slotsOf(before) == 0 ? PUSHED_INTO_EMPTY : PUSHED;
    }

    /**
     * Pushes {@code elements[from, to)} in order, as many as fit (stopping at the first that does
     * not), charging {@code weights[i - from]} bytes each, with one atomic add for all of them: a
     * batch costs the consumer side one handshake, not one per element. Caller holds the back lock.
     *
     * @return the number pushed, shifted left by one, with the low bit set when the ring was empty
     *         before (the caller must {@link #signalNotEmpty()})
     */
    public int tryPushBackAll(java.util.List<?> elements, int from, int to, int[] weights) {
        assert backLock.isHeldByCurrentThread();
        long s = state; // acquire: slots seen free were fully read by the consumer
        int written = 0; // slots from tail on already holding elements[from, from + written)
        for (;;) {
            int room = capacity - slotsOf(s);
            long bytes = bytesOf(s);
            int n = 0;
            long charged = 0;
            while (n < room && from + n < to && bytes + charged + weights[n] <= maxBytes) {
                charged += weights[n];
                n++;
            }
            if (n == 0) {
                return 0;
            }
            int t = tail;
            for (int i = 0; i < n; i++) {
                if (i >= written) {
                    slots[t] = elements.get(from + i);
                    this.weights[t] = weights[i];
                }
                t = (t + 1 == capacity) ? 0 : t + 1;
            }
            written = Math.max(written, n);
            // Release on success. Only the consumer changes the state meanwhile, and only by freeing
            // room: on failure more may fit, so count again from the new state. The count then
            // answers exactly to the state the update applied to (a getAndAdd of a count taken
            // from an older state is not linearizable: Lincheck found a batch that stopped short
            // of room a concurrent pop had already freed).
            if (STATE.compareAndSet(this, s, s + n * ONE_SLOT + charged)) {
                tail = t;
                return n << 1 | (slotsOf(s) == 0 ? 1 : 0);
            }
            s = state;
        }
    }

    /**
     * Hands the leading elements to {@code sink} and takes them, with one atomic update for all of
     * them: at most {@code max}, and none from the first instance of {@code stop} on. An element the
     * sink refuses (throws) stays the head; what it took before is freed. Caller holds the front lock.
     *
     * <p>Linearizable as "take every leading element, up to {@code max}": nothing is freed until
     * the end, by a compare-and-set against the state the count was taken from. If a producer
     * pushed meanwhile, the set fails and the drain goes on with what arrived (up to {@code max})
     * before it tries again, so a producer that counted the drained elements as making the ring
     * non-empty (no wake-up owed) always finds its own element taken or still queued, and
     * {@code size()} never sees half a drain. (Lincheck found both anomalies in versions that freed
     * chunk by chunk, or subtracted a count taken from an older state.)
     *
     * @return how many were taken
     */
    public int drainFront(int max, Class<?> stop, java.util.function.Consumer<Object> sink) {
        assert frontLock.isHeldByCurrentThread();
        long s = state; // acquire: the slots it counts are fully written
        int handed = 0;
        long w = 0;
        int h = head;
        boolean freed = false;
        try {
            for (;;) {
                int limit = Math.min(max, slotsOf(s));
                while (handed < limit) {
                    Object e = slots[h];
                    if (stop.isInstance(e)) {
                        break;
                    }
                    sink.accept(e);
                    slots[h] = null; // ours until the update below makes the slot free
                    w += weights[h];
                    h = (h + 1 == capacity) ? 0 : h + 1;
                    handed++;
                }
                if (handed == 0) {
                    freed = true;
                    return 0;
                }
                // Release on success: the slots are cleared before a producer can see them free.
                if (STATE.compareAndSet(this, s, s - (handed * ONE_SLOT + w))) {
                    freed = true;
                    head = h;
                    return handed;
                }
                s = state; // only producers change it meanwhile, by adding: more may be taken
            }
        } finally {
            if (!freed && handed > 0) { // the sink threw: free what it took
                head = h;
                STATE.getAndAdd(this, -(handed * ONE_SLOT + w));
            }
        }
    }

    /**
     * The front element without taking it, or {@code null} when the ring is empty: it keeps its slot
     * and its bytes until {@link #pollFront()} takes it. Caller holds the front lock.
     */
    public Object peekFront() {
        assert frontLock.isHeldByCurrentThread();
        return size() == 0 ? null : slots[head]; // acquire: the slot is fully written
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
        // Release: the slot is cleared before a producer can see it free; slot and bytes go together.
        STATE.getAndAdd(this, -(ONE_SLOT + w));
        return e;
    }

    // ---- waking the consumer -------------------------------------------------------------

    /**
     * Spins for at most {@code nanos} until the ring holds a slot, without announcing anything:
     * a spinning consumer is not counted in {@code consumersParked}, so producers pushing meanwhile
     * skip the front lock and the wake-up, which is the point. Waiting this way costs the caller
     * its core for the spin; a record that arrives in it is taken with no park, no signal and no
     * system call on either side. Each probe is an acquire load of {@code state}, so a slot it sees
     * counted is fully written. Caller holds the front lock.
     *
     * <p>The probes are {@link #PROBE_PAUSES} pauses apart (well under a microsecond), not one: a
     * probe pulls {@code state}'s line to the consumer's core, and the producer's next push must take
     * it back, so a consumer probing on every pause turns each record into a tug-of-war over that
     * line. Probing less often lets a producer push several records while the line stays in its
     * cache. JMH, one producer: 5.5 M records/s on average (forks 2.5&ndash;7.9) probing on every
     * pause, 7.1 M/s (forks 4.7&ndash;12.6) probing every 32nd, at 0.3 &micro;s more median latency
     * (hopper-bench/RESULTS.md, "Speed III, continued"). Checks the clock every fourth probe.
     *
     * @return whether the ring held a slot before the time ran out
     */
    public boolean spinUntilNotEmpty(long nanos) {
        assert frontLock.isHeldByCurrentThread();
        if (nanos <= 0) {
            return false;
        }
        long deadline = System.nanoTime() + nanos;
        for (int i = 1; ; i++) {
            if (state != 0) { // slot count and bytes are 0 together: any non-zero state holds a slot
                return true;
            }
            if ((i & 3) == 0 && System.nanoTime() - deadline >= 0) {
                return false;
            }
            for (int k = 0; k < PROBE_PAUSES; k++) {
                Thread.onSpinWait();
            }
        }
    }

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

    /**
     * Waits for a signal. Caller holds the front lock and has announced parking. Returns the
     * nanoseconds left. {@code Long.MAX_VALUE} waits without a deadline, so the thread shows as
     * {@code WAITING}, as in any JDK queue's untimed take, not {@code TIMED_WAITING}.
     */
    public long awaitNotEmpty(long nanos) throws InterruptedException {
        if (nanos == Long.MAX_VALUE) {
            notEmpty.await();
            return nanos;
        }
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

    /**
     * Waits for room. Caller holds the back lock and has announced waiting. Returns the
     * nanoseconds left (&lt;= 0 on timeout); {@code Long.MAX_VALUE} waits without a deadline.
     */
    public long awaitNotFull(long nanos) throws InterruptedException {
        assert backLock.isHeldByCurrentThread();
        if (nanos == Long.MAX_VALUE) { // untimed, as awaitNotEmpty
            notFull.await();
            return nanos;
        }
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
