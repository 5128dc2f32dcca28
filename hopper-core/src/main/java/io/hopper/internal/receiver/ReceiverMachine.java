package io.hopper.internal.receiver;

import io.hopper.internal.concurrent.VarHandles;
import io.hopper.ChannelClosedException;
import io.hopper.internal.codec.RecordCodec;
import io.hopper.StorageException;
import io.hopper.internal.placement.DiskRun;
import io.hopper.internal.recovery.ReadCursorFile;
import io.hopper.internal.recovery.SnapshotFile;
import io.hopper.internal.ring.RingDeque;
import io.hopper.internal.segment.SegmentCursor;
import io.hopper.internal.sender.SenderState;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The consumer state machine: the receiver's calls ({@code poll}, {@code drainTo}, {@code peek},
 * {@code commit}, close), the peeked record, and the count of records delivered. Its parts:
 * {@link RecordSources} (where the next record comes from, in order), {@link SnapshotReplay}
 * (the memory tier across a graceful close), {@link PositionStore} (the committed position) and
 * {@link ProducerFileAccess} (what producers refused room may do to read files).
 *
 * <p>Lock: every public call except the accessors takes the ring's front lock, so one consumer
 * acts at a time even if several threads share the receiver; the parts take the file lock and
 * the back lock inside it (the order front, file, sync, back: {@code docs/DESIGN.md} section 4).
 * {@link ProducerFileAccess} runs on producers under the file lock alone.
 */
public final class ReceiverMachine<T> {
    private final RingDeque<SenderState> ring;
    private final SenderState senderState;
    private final SegmentCursor cursor;
    private final RecordCodec<T> codec;
    private final RecordCodec.DecodeScratch scratch = new RecordCodec.DecodeScratch();
    private final Path directory;

    /** How often the read position is committed on its own while records come from disk (AUTO). */
    public static final long AUTO_COMMIT_NANOS = 1_000_000_000L;

    /**
     * Commit mode MANUAL: the position moves only at {@link #commit(long)}, and read files stay
     * until a commit passes them; AUTO: also once a second while reading from disk and before a
     * file is deleted.
     */
    private final boolean manual;
    /** The committed position in {@code cursor.hop}. */
    private final PositionStore positions;
    private final ProducerFileAccess producerFileAccess;
    /** Where the next record comes from: disk stream, snapshot, ring, unannounced disk records. */
    private final RecordSources<T> sources;
    /** The memory tier a graceful close persisted, replayed before the ring. */
    private final SnapshotReplay<T> snapshot;
    /** Set by close under the front lock; volatile for lock-free checks. */
    private volatile boolean closed;

    /** A record {@link #peek()} returned and nobody has received yet; null when none. Front lock. */
    private T peeked;
    /**
     * {@link #peeked} came from the memory snapshot, so it is counted as delivered though nobody
     * received it. Written under the front lock; volatile for {@code size()}.
     */
    private volatile boolean peekedFromMemory;
    /**
     * Records delivered (or peeked from memory, which takes them out of the ring) since open.
     * Written under the front lock with release stores ({@link #countDelivered()}); read by
     * {@code size()} with acquire loads ({@link #delivered()}).
     */
    private long delivered;
    private static final VarHandle DELIVERED = VarHandles.field(MethodHandles.lookup(), "delivered", long.class);


    public ReceiverMachine(RingDeque<SenderState> ring, SegmentCursor cursor, RecordCodec<T> codec, long limit,
                           Path directory, SnapshotFile.Reader snapshot, boolean manual, ReadCursorFile cursorFile,
                           LongSupplier readable) {
        this.manual = manual;
        this.ring = ring;
        this.senderState = ring.backState();
        this.cursor = cursor;
        this.codec = codec;
        this.directory = directory;
        this.snapshot = new SnapshotReplay<>(codec, scratch, cursor, directory, snapshot);
        this.positions = new PositionStore(cursorFile, cursor, this::state, directory);
        this.sources = new RecordSources<>(ring, cursor, codec, scratch, this.snapshot, positions, directory, manual,
                readable, limit);
        if (!manual) {
            // Runs under the file lock, on the consumer or on a producer releasing a file. Not
            // forced: a file deletion is no more durable than this rename, and the commit before
            // deleting every file would otherwise cost a device flush per file.
            cursor.onBeforeDelete(index -> positions.store(index, false, false));
        }
        // Forced, in both modes: a restart must find the position past evicted records, or it
        // would count them as lost (damage) instead of evicted. One flush per evicted file.
        cursor.onBeforeEvict(index -> positions.store(index, true, false));
        this.producerFileAccess = new ProducerFileAccess(cursor, directory, () -> closed);
    }

    /** The file operations producers refused room may run without the consumer. */
    public ProducerFileAccess producerFileAccess() {
        return producerFileAccess;
    }

    /**
     * Turns on decoding disk records ahead of the consumer on a helper thread ({@link ReadAhead}).
     * Called before the channel is published.
     */
    public void readAhead(long fileBytes) {
        sources.readAhead(fileBytes);
    }

    /**
     * How long a blocking receive spins on an empty ring before it parks ({@link RingDeque#spinUntilNotEmpty}).
     * Set before the channel is published; then read only by the consumer under the front lock.
     */
    private long spinNanos;

    /** Sets the spin of a blocking receive on an empty ring; 0 parks at once. Called before the channel is published. */
    public void spinBeforeParking(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("spin must be >= 0 ns: " + nanos);
        }
        this.spinNanos = nanos;
    }

    /** Disk records whose value was decoded ahead (0 when read-ahead is off). Front lock held. */
    public long readAheadHits() {
        return sources.readAheadHits();
    }

    /** Records of a replayed memory snapshot still waiting in {@code snapshot.hop} (volatile load). */
    public long snapshotPending() {
        return snapshot.pending();
    }

    /**
     * The cursor file says the first {@code consumed} records of the live snapshot were delivered
     * before its last store: skip them; markers among them still raise the disk limit. Before
     * first use.
     */
    public void resumeSnapshot(long consumed) throws IOException {
        positions.snapshotResumed(snapshot.resume(consumed));
        sources.limit = Math.max(sources.limit, snapshot.limitSeen());
    }

    /** The cursor file names a snapshot that could not be opened: its records count as lost. Before first use. */
    public void snapshotMissing(long records) {
        snapshot.missing(records);
    }


    /**
     * Takes the next record.
     *
     * @param block wait up to {@code nanos} for one
     * @return the record, or {@code null} when none arrived in time
     */
    public T poll(boolean block, long nanos) throws InterruptedException {
        ReentrantLock lock = ring.frontLock();
        if (block) {
            lock.lockInterruptibly();
        } else {
            lock.lock();
        }
        try {
            checkOpen();
            sources.settle();
            long remaining = nanos;
            for (;;) {
                checkOpen();
                T t = take();
                if (t != null || !block || remaining <= 0) {
                    return delivered(t);
                }
                if (spinNanos > 0 && ring.size() == 0) {
                    // An empty ring: a producer's next record is likely microseconds away, and a
                    // spin takes it without a park, a signal or the producer taking our lock. Only
                    // when the ring is empty: a record waiting on something else (a disk record
                    // not forced yet) would end every spin at once.
                    long spin = Math.min(spinNanos, remaining);
                    long before = System.nanoTime();
                    boolean arrived = ring.spinUntilNotEmpty(spin);
                    if (remaining != Long.MAX_VALUE) {
                        remaining -= System.nanoTime() - before;
                    }
                    if (arrived) {
                        continue;
                    }
                }
                ring.announceParking();
                try {
                    // Re-check after announcing: a producer that missed the announcement
                    // published its record before we look again.
                    t = take();
                    if (t != null) {
                        return delivered(t);
                    }
                    checkOpen();
                    remaining = ring.awaitNotEmpty(remaining);
                } finally {
                    ring.withdrawParking();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Moves up to {@code max} available records into {@code sink} without blocking. */
    public int drainTo(Collection<? super T> sink, int max) {
        ReentrantLock lock = ring.frontLock();
        lock.lock();
        try {
            checkOpen();
            sources.settle();
            int n = 0;
            while (n < max) {
                if (peeked == null && !snapshot.active() && cursor.readIndex() >= sources.limit) {
                    // Records in memory, up to the next disk marker: one hand-over per chunk.
                    int k = drainRing(sink, max - n);
                    n += k;
                    if (k > 0) {
                        continue;
                    }
                }
                T t;
                try {
                    t = peekLocked(); // stays the head if the sink refuses it
                } catch (StorageException e) {
                    if (n == 0) {
                        throw e;
                    }
                    break; // the sink has records: report them; the next call meets the failure again
                }
                if (t == null) {
                    break;
                }
                sink.add(t);
                take();
                n++;
                sources.settle(); // the sink has it: handed over, so a file it finished can go to producers now
            }
            delivered(null);
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** The sink of the current {@link #drainRing}, and how many it took. Front lock. */
    private Collection<? super T> drainSink;
    private int drained;
    @SuppressWarnings("unchecked")
    private final java.util.function.Consumer<Object> handOver = o -> {
        drainSink.add((T) o);
        drained++;
    };

    /**
     * Moves the ring's leading records (up to the next disk marker) into {@code sink}, freeing them
     * with one atomic update per call instead of one per record ({@link RingDeque#drainFront}). A
     * record the sink refuses stays the head. Front lock held, nothing peeked, no disk record
     * announced before the ring's head.
     */
    private int drainRing(Collection<? super T> sink, int max) {
        drainSink = sink;
        drained = 0;
        try {
            ring.drainFront(max, DiskRun.class, handOver);
        } finally {
            drainSink = null;
            if (drained > 0) {
                DELIVERED.setRelease(this, delivered + drained);
                ring.signalNotFull();
            }
        }
        return drained;
    }

    /**
     * The next record without taking it: the next receive returns it (decoded once). A disk
     * record stays unconsumed (the read position, commits and the file holding it do not move
     * past it) until then.
     *
     * @return the head, or {@code null} when nothing is available now
     */
    public T peek() {
        ReentrantLock lock = ring.frontLock();
        lock.lock();
        try {
            checkOpen();
            sources.settle();
            return delivered(peekLocked());
        } finally {
            lock.unlock();
        }
    }

    private T peekLocked() {
        if (peeked == null) {
            peeked = sources.next(false);
            if (peeked != null && !sources.locatedOnDisk && !sources.leftInRing) {
                peekedFromMemory = true;
                countDelivered(); // it has left the snapshot
            }
        }
        return peeked;
    }

    /** Takes the next record: a peeked one first. Front lock held. */
    private T take() {
        T t = peeked;
        if (t == null) {
            t = sources.next(true);
            if (t != null) {
                countDelivered();
            }
            return t;
        }
        peeked = null;
        peekedFromMemory = false;
        if (sources.leftInRing) {
            sources.leftInRing = false;
            Object front = ring.pollFront();
            assert front == t : "the peeked record is the ring's front until it is taken";
            ring.signalNotFull();
            countDelivered();
        } else if (sources.locatedOnDisk) {
            sources.locatedOnDisk = false;
            sources.consumedDisk();
            countDelivered();
        }
        return t;
    }

    /**
     * Whether a peeked memory record waits to be received: counted as delivered (it left the ring),
     * though nobody received it yet. Lock-free, for {@code size()}.
     */
    public boolean holdsPeekedMemoryRecord() {
        return peekedFromMemory;
    }


    /** Front lock held: one writer, so a release store of the increment is enough. */
    private void countDelivered() {
        DELIVERED.setRelease(this, delivered + 1);
    }

    /** Records delivered since open (acquire load): {@code size()} subtracts it from those accepted. */
    public long delivered() {
        return (long) DELIVERED.getAcquire(this);
    }

    private T delivered(T t) {
        // Cascade: if work remains and another consumer thread is parked, pass the wake-up on.
        if (peeked != null || sources.anyWaiting()) {
            ring.signalNotEmptyLocked();
        }
        return t;
    }



    private void checkOpen() {
        if (closed) {
            throw new ChannelClosedException("channel " + directory + " is closed");
        }
    }

    /**
     * The position after every record delivered so far: what {@link #commit(long)} takes. Read by
     * the consumer between its calls (volatile load).
     */
    public long position() {
        return cursor.readIndex();
    }

    /**
     * Durably records {@code position} (from {@link #position()}) as consumed: the records before
     * it are not delivered again after a restart or a crash. A position at or before the last
     * commit changes nothing. MANUAL: read files the position passes are deleted.
     *
     * @throws IllegalArgumentException if {@code position} lies past what was delivered
     */
    public void commit(long position) {
        ReentrantLock lock = ring.frontLock();
        lock.lock();
        try {
            checkOpen();
            sources.settle();
            long delivered = cursor.readIndex();
            if (position > delivered) {
                throw new IllegalArgumentException("position " + position + " lies past the records delivered so far ("
                        + delivered + ")");
            }
            if (positions.store(position, true, false) && manual && cursor.releaseDrainedFiles()) {
                ring.signalAllProducers();
            }
        } finally {
            lock.unlock();
        }
    }

    private ReadCursorFile.State state(long readIndex) {
        // MANUAL: snapshot records count as consumed at any commit after their delivery (they are
        // memory-tier records: delivered once, never redelivered after a commit that followed them).
        return new ReadCursorFile.State(readIndex, senderState.appender().nextIndex(),
                senderState.appender().nextSequence(), snapshot.records(), snapshot.consumedForStore(manual),
                snapshot.generation());
    }


    /**
     * Closes the receiving side: persists the memory tier, records the read position, releases the
     * reader's file. Caller holds the front lock and then the back lock (producers are stopped).
     *
     * <p>The snapshot keeps the exact delivery order: its header carries the disk limit announced
     * so far, then come the entries of an older snapshot not yet replayed, then the ring's slots
     * in order (records, and markers as markers), and last a marker for every disk record written,
     * since unannounced disk records follow everything in memory.
     *
     * <p>A record whose serializer fails here is dropped with a log line and counted in the
     * cursor's lost records, so {@code stats()} shows it after the close.
     */
    @SuppressWarnings("unchecked")
    public void closeLocked() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        sources.closeReadAhead();
        List<Object> slots = new ArrayList<>();
        boolean anyRecord = false;
        // A peeked disk record stays in its file, unconsumed, unless DROP_OLDEST evicted that file
        // (the eviction counted it as delivered): then it goes into the snapshot ahead of
        // everything, the disk records announced after it included (a marker follows it).
        boolean evictedHead = sources.locatedOnDisk && cursor.locatedFrameEvicted();
        // A record peeked in the ring is still in its slot: the ring's order below writes it.
        T head = (sources.locatedOnDisk && !evictedHead) || sources.leftInRing ? null : peeked;
        peeked = null;
        sources.leftInRing = false;
        peekedFromMemory = false;
        anyRecord |= head != null;
        for (Object o = ring.pollFront(); o != null; o = ring.pollFront()) {
            slots.add(o);
            anyRecord |= !(o instanceof DiskRun);
        }
        try {
            boolean write = anyRecord || snapshot.active();
            if (write) {
                long limit = sources.limit;
                long headerLimit = evictedHead ? Math.min(limit, cursor.readIndex()) : limit;
                snapshot.writeAtClose(headerLimit, head, evictedHead ? limit : -1, slots,
                        senderState.appender().nextIndex());
            }
            snapshot.closed(write);
            positions.storeAtClose(manual);
        } finally {
            try {
                cursor.close();
            } finally {
                positions.close();
            }
        }
    }


    public SegmentCursor cursor() {
        return cursor;
    }

    public long markersPopped() {
        return sources.markersPopped();
    }
}
