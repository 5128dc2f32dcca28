package io.hopper.internal.receiver;

import io.hopper.ChannelClosedException;
import io.hopper.CorruptDataException;
import io.hopper.internal.codec.RecordCodec;
import io.hopper.StorageException;
import io.hopper.internal.placement.DiskRun;
import io.hopper.internal.recovery.ReadCursorFile;
import io.hopper.internal.recovery.SnapshotFile;
import io.hopper.internal.ring.RingDeque;
import io.hopper.internal.segment.SegmentCursor;
import io.hopper.internal.sender.SenderMachine;
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
 * The consumer state machine. Every method holds the ring's front lock, so one consumer acts at a
 * time even if several threads share the receiver.
 *
 * <p>Order of sources, for each record: first the disk stream while records are announced
 * ({@code cursor.readIndex() < limit}); then the ring, where a {@link DiskRun} raises the limit
 * and a record is returned; and when the ring is empty, disk records whose marker could not be
 * pushed are claimed under the back lock (ring empty means nothing in memory precedes them).
 */
public final class ReceiverMachine<T> implements SenderMachine.Evictor {
    private final RingDeque<SenderState> ring;
    private final SenderState senderState;
    private final SegmentCursor cursor;
    private final RecordCodec<T> codec;
    private final RecordCodec.DecodeScratch scratch = new RecordCodec.DecodeScratch();
    /** Decodes disk records ahead of this consumer; null when off. Set before the channel is published. */
    private ReadAhead<T> readAhead;
    private final Path directory;

    /** How often the read position is committed on its own while records come from disk. */
    public static final long AUTO_COMMIT_NANOS = 1_000_000_000L;

    /** Where the read position is stored. Its updates run under the cursor's file lock. */
    private final ReadCursorFile cursorFile;
    /**
     * Disk records below this index may be delivered: {@code Long.MAX_VALUE}, or under
     * {@code SyncPolicy.ALWAYS} the forced index, so the consumer never sees a record that a power
     * cut could take back. Whoever raises it wakes a parked consumer.
     */
    private final LongSupplier readable;
    /** Disk records below this index are announced to the receiver. Front lock. */
    private long limit;
    /**
     * Commit mode MANUAL: the position moves only at {@link #commit(long)}, and read files stay
     * until a commit passes them; AUTO: also once a second while reading from disk and before a
     * file is deleted.
     */
    private final boolean manual;
    /**
     * AUTO: the read index when the current receiver call began: every record below it has been
     * returned to the caller, so automatic stores may count it consumed (never the record a call
     * is about to return: the process may die first). Front lock.
     */
    private long handedOver;
    /** Last index written to the cursor file. The cursor's file lock (stores happen under it). */
    private long committed;
    /**
     * Last index written to the cursor file <em>and forced</em>: an unforced store (before a file
     * is deleted) may have written the index a commit asks for, and the commit must still force
     * it. The cursor's file lock.
     */
    private long committedForced;
    /** The snapshot progress last written to the cursor file (see {@link #snapshotDelivered}). The cursor's file lock. */
    private long storedSnapshotConsumed;
    /** When it was written. Written under the cursor's file lock; volatile for the consumer's lock-free check. */
    private volatile long lastCommitNanos = System.nanoTime();
    /**
     * Records of the live memory snapshot, as the cursor file must say (0 once it is replayed).
     * Written under the front lock; volatile because a store under the file lock alone (a
     * producer releasing a file) reads it.
     */
    private volatile long snapshotRecords;
    /** Set by close under the front lock; volatile for lock-free checks. */
    private volatile boolean closed;
    /** Markers taken from the ring. Front lock; volatile for stats. */
    private volatile long markersPopped;

    /** A record {@link #peek()} returned and nobody has received yet; null when none. Front lock. */
    private T peeked;
    /**
     * {@link #peeked} is the ring's front element, left in its slot: it keeps its bytes in the
     * memory budget (the channel holds it as before the peek) until it is taken. Front lock.
     */
    private boolean peekedInRing;
    /**
     * {@link #peeked} came from the memory snapshot, so it is counted as delivered though nobody
     * received it. Written under the front lock; volatile for {@code size()}.
     */
    private volatile boolean peekedFromMemory;
    /**
     * Whether {@link #peeked} is the cursor's located frame, decoded but not consumed: the read
     * position stays before it until it is received, so a commit or a close in between does not
     * count it as consumed. Front lock.
     */
    private boolean peekedOnDisk;
    /**
     * Records delivered (or peeked from memory, which takes them out of the ring) since open.
     * Written under the front lock with release stores ({@link #countDelivered()}); read by
     * {@code size()} with acquire loads ({@link #delivered()}).
     */
    private long delivered;
    private static final VarHandle DELIVERED;

    static {
        try {
            DELIVERED = MethodHandles.lookup().findVarHandle(ReceiverMachine.class, "delivered", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The memory tier a graceful close persisted, replayed before the ring; null when none. Front lock. */
    private SnapshotFile.Reader snapshot;
    /** Snapshot records not yet replayed. Written under the front lock; volatile for stats. */
    private volatile long snapshotPending;
    /**
     * Records of the live snapshot delivered (or skipped at open as delivered before a commit):
     * stored with the position, so that a reopen never replays them again. Written under the front
     * lock; volatile because a store under the file lock alone (a producer releasing a file) reads it.
     */
    private volatile long snapshotDelivered;
    /** Generation of the live snapshot (0: none, or a version-1 one). Front lock; volatile like {@link #snapshotDelivered}. */
    private volatile long snapshotGeneration;
    /**
     * AUTO: {@link #snapshotDelivered} when the current receiver call began (see {@link #handedOver}).
     * Written under the front lock; volatile like {@link #snapshotDelivered}, since a store on a
     * producer's thread (releasing a file, under the file lock alone) reads it.
     */
    private volatile long handedOverSnapshot;

    public ReceiverMachine(RingDeque<SenderState> ring, SegmentCursor cursor, RecordCodec<T> codec, long limit,
                           Path directory, SnapshotFile.Reader snapshot, boolean manual, ReadCursorFile cursorFile,
                           LongSupplier readable) {
        this.manual = manual;
        this.cursorFile = cursorFile;
        this.readable = readable;
        this.ring = ring;
        this.senderState = ring.backState();
        this.cursor = cursor;
        this.codec = codec;
        this.limit = limit;
        this.directory = directory;
        this.committed = cursor.readIndex();
        this.committedForced = committed;
        this.handedOver = committed;
        this.snapshot = snapshot;
        this.snapshotPending = snapshot == null ? 0 : snapshot.recordCount();
        this.snapshotRecords = snapshot == null ? 0 : snapshot.recordCount();
        this.snapshotGeneration = snapshot == null ? 0 : snapshot.generation();
        if (!manual) {
            // Runs under the file lock, on the consumer or on a producer releasing a file. Not
            // forced: a file deletion is no more durable than this rename, and the commit before
            // deleting every file would otherwise cost a device flush per file.
            cursor.onBeforeDelete(index -> store(index, false, false));
        }
        // Forced, in both modes: a restart must find the position past evicted records, or it
        // would count them as lost (damage) instead of evicted. One flush per evicted file.
        cursor.onBeforeEvict(index -> store(index, true, false));
    }

    /**
     * {@code OverflowPolicy.DROP_OLDEST}, for a producer refused room: evicts the oldest queue file
     * ({@link SegmentCursor#evictOldest()}). Takes only the cursor's file lock, like
     * {@link #releaseDrainedFiles()}. Caller holds no channel lock.
     *
     * @return the undelivered records discarded, or -1 when nothing on disk can be evicted
     * @throws StorageException if the read position could not be stored (nothing was evicted)
     */
    @Override
    public long evictOldest() {
        ReentrantLock fileLock = cursor.fileLock();
        fileLock.lock();
        try {
            if (closed) {
                return -1;
            }
            return cursor.evictOldest();
        } catch (IOException e) {
            throw new StorageException("cannot record the read position in " + directory
                    + " before evicting a queue file", e);
        } finally {
            fileLock.unlock();
        }
    }

    @Override
    public long recordsEvicted() {
        return cursor.recordsEvicted();
    }

    /**
     * For a producer refused room: deletes queue files that are sealed and fully read (MANUAL:
     * and committed). Takes only the cursor's file lock, never the front lock, so it works while
     * the consumer is busy (in a slow {@code drainTo} sink, say); it waits at most for the
     * consumer's current step through a file. Caller holds no channel lock.
     *
     * @return whether a file was deleted
     */
    public boolean releaseDrainedFiles() {
        ReentrantLock fileLock = cursor.fileLock();
        fileLock.lock();
        try {
            return !closed && cursor.releaseDrainedFiles();
        } finally {
            fileLock.unlock();
        }
    }

    /** Records of a replayed memory snapshot still waiting in {@code snapshot.hop} (volatile load). */
    public long snapshotPending() {
        return snapshotPending;
    }

    /**
     * The cursor file says the first {@code consumed} records of the live snapshot were delivered
     * before its last store: skip them (markers among them still raise the disk limit, so the disk
     * records they announced keep their place). Before first use.
     */
    public void resumeSnapshot(long consumed) throws IOException {
        long skipped = 0;
        while (snapshot != null && skipped < consumed) {
            SnapshotFile.Reader.Kind kind = snapshot.next();
            if (kind == SnapshotFile.Reader.Kind.END) {
                break;
            }
            if (kind == SnapshotFile.Reader.Kind.MARKER) {
                limit = Math.max(limit, snapshot.markerEnd());
            } else if (kind == SnapshotFile.Reader.Kind.RECORD || kind == SnapshotFile.Reader.Kind.DAMAGED) {
                skipped++;
            }
        }
        snapshotDelivered = skipped;
        handedOverSnapshot = skipped;
        storedSnapshotConsumed = skipped;
        if (snapshot != null) {
            snapshotPending = snapshot.recordsUnaccounted();
        }
    }

    /**
     * The read cursor says a snapshot of {@code records} records was left, but none could be
     * opened (deleted, or unreadable and set aside): count them as lost. Before first use.
     */
    public void snapshotMissing(long records) {
        if (records > 0) {
            cursor.countDamage(records);
            System.getLogger("io.hopper").log(System.Logger.Level.WARNING, "hopper: the memory snapshot of "
                    + records + " record(s) in " + directory + " is missing or unreadable; counted as lost");
        }
    }

    /**
     * Turns on decoding disk records ahead of the consumer on a helper thread ({@link ReadAhead}).
     * Called before the channel is published.
     */
    public void readAhead(long fileBytes) {
        readAhead = new ReadAhead<>(codec, directory, fileBytes);
        cursor.prefetcher(readAhead);
    }

    /** Disk records whose value was decoded ahead (0 when read-ahead is off). Front lock held. */
    public long readAheadHits() {
        return readAhead == null ? 0 : readAhead.hits();
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
            settle();
            long remaining = nanos;
            for (;;) {
                checkOpen();
                T t = take();
                if (t != null || !block || remaining <= 0) {
                    return delivered(t);
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
            settle();
            int n = 0;
            while (n < max) {
                if (peeked == null && snapshot == null && cursor.readIndex() >= limit) {
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
                settle(); // the sink has it: handed over, so a file it finished can go to producers now
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
            settle();
            return delivered(peekLocked());
        } finally {
            lock.unlock();
        }
    }

    private T peekLocked() {
        if (peeked == null) {
            peeked = next(false);
            if (peeked != null && !peekedOnDisk && !peekedInRing) {
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
            t = next(true);
            if (t != null) {
                countDelivered();
            }
            return t;
        }
        peeked = null;
        peekedFromMemory = false;
        if (peekedInRing) {
            peekedInRing = false;
            Object front = ring.pollFront();
            assert front == t : "the peeked record is the ring's front until it is taken";
            ring.signalNotFull();
            countDelivered();
        } else if (peekedOnDisk) {
            peekedOnDisk = false;
            consumedDisk();
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

    /**
     * AUTO, at the start of a receiver call: what earlier calls returned is handed over; read
     * files it passes are deleted (their position stored first). Front lock held.
     */
    private void settle() {
        if (manual) {
            return;
        }
        long read = cursor.readIndex();
        if (read == handedOver && snapshotDelivered == handedOverSnapshot) {
            // Nothing was read from disk or the snapshot since the last settle (the memory tier's
            // records need no release): skip the file lock and the volatile store on the hot path.
            // The cursor's released position moved with handedOver, so it has nothing to release.
            return;
        }
        handedOver = read;
        handedOverSnapshot = snapshotDelivered;
        if (cursor.settle()) {
            ring.signalAllProducers();
        }
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
        if (ring.size() > 0 || cursor.readIndex() < limit || snapshot != null || peeked != null) {
            ring.signalNotEmptyLocked();
        }
        return t;
    }

    /**
     * The next record from whichever source holds it, or {@code null} if none is available. Front
     * lock held, nothing peeked.
     *
     * @param consume whether the record is taken; if not, a disk record is left located
     *                ({@link #peekedOnDisk}) and a ring record in its slot ({@link #peekedInRing})
     */
    @SuppressWarnings("unchecked")
    private T next(boolean consume) {
        for (;;) {
            long at = cursor.readIndex(); // an eviction may move it at any time; nextFrame re-checks
            if (at < limit) {
                if (at >= readable.getAsLong()) {
                    // Announced, but not forced yet: it and everything after it wait. The force's
                    // thread wakes us; announceParking/re-check in poll covers the race.
                    return null;
                }
                if (!cursor.hasFileToRead()) {
                    cursor.writeOffMissing(limit); // announced, but their files are gone
                    continue;
                }
                T t = readDisk(consume, at);
                if (t != null) {
                    return t;
                }
                continue;
            }
            if (snapshot != null) {
                T t = replaySnapshot();
                if (t != null) {
                    return t;
                }
                continue;
            }
            Object o = consume ? ring.pollFront() : ring.peekFront();
            if (o != null) {
                if (o instanceof DiskRun run) {
                    if (!consume) {
                        ring.pollFront(); // a marker is no record: a peek takes it like a receive
                    }
                    ring.signalNotFull();
                    markersPopped++;
                    if (run.end() > limit) {
                        limit = run.end();
                    }
                    continue;
                }
                if (consume) {
                    ring.signalNotFull();
                } else {
                    peekedInRing = true;
                }
                return (T) o;
            }
            if (!claimUnannouncedDiskRecords()) {
                // Nothing to deliver, so this call hands nothing over: every record read so far
                // was returned by an earlier call (or skipped as damage, like a whole file whose
                // header is gone), and may be released now rather than at the next call, which
                // could be a long park away. A file the writer sealed after we read its last
                // record is released here too; a producer waiting for a file nudges us awake for this.
                settle();
                if (cursor.releaseDrainedFiles()) {
                    ring.signalAllProducers();
                }
                return null;
            }
        }
    }

    /**
     * One step through the snapshot: a record is returned; a marker raises the limit; damage is
     * counted; at the end the snapshot is deleted. Returns null when the caller should look again.
     */
    private T replaySnapshot() {
        try {
            SnapshotFile.Reader.Kind kind = snapshot.next();
            snapshotPending = snapshot.recordsUnaccounted();
            switch (kind) {
                case RECORD:
                    snapshotDelivered++;
                    try {
                        return codec.decode(snapshot.payload(), snapshot.payloadOffset(), snapshot.payloadLength(), snapshot.compressed(),
                                scratch);
                    } catch (CorruptDataException e) {
                        cursor.countDamage(1);
                        System.getLogger("io.hopper").log(System.Logger.Level.WARNING, "hopper: record "
                                + (snapshotDelivered - 1) + " of the memory snapshot in " + directory
                                + " does not decode (" + e.getMessage() + "); skipping it");
                        return null;
                    }
                case MARKER:
                    limit = Math.max(limit, snapshot.markerEnd());
                    return null;
                case DAMAGED:
                    snapshotDelivered++;
                    cursor.countDamage(1);
                    return null;
                case DAMAGED_MARKER:
                    cursor.countDamage(0);
                    return null;
                default:
                    if (snapshot.recordsUnaccounted() > 0) {
                        cursor.countDamage(snapshot.recordsUnaccounted());
                    }
                    snapshot.finish();
                    snapshot = null;
                    snapshotPending = 0;
                    snapshotRecords = 0;
                    snapshotDelivered = 0;
                    handedOverSnapshot = 0;
                    snapshotGeneration = 0;
                    // The cursor file's snapshot size is stale now: write it at once. MANUAL keeps the
                    // committed position (store never moves it back, so MIN_VALUE means "as it is").
                    storeQuietly(manual ? Long.MIN_VALUE : handedOver, true, true);
                    return null;
            }
        } catch (IOException e) {
            throw new StorageException("cannot read the memory snapshot in " + directory, e);
        }
    }

    private T readDisk(boolean consume, long at) {
        if (!cursor.nextFrame(at)) {
            // A finished file was deleted or damage was skipped: disk room may have appeared.
            ring.signalAllProducers();
            return null;
        }
        T value;
        if (readAhead != null && cursor.locatedPrefetched()) {
            value = readAhead.take();
        } else {
            try {
                value = codec.decode(cursor.window(), cursor.payloadOffset(), cursor.payloadLength(),
                        cursor.compressed(), scratch);
            } catch (CorruptDataException e) {
                cursor.undecodable(e);
                return null;
            }
        }
        if (consume) {
            consumedDisk();
        } else {
            peekedOnDisk = true;
        }
        return value;
    }

    /** The located disk record was received. Front lock held. */
    private void consumedDisk() {
        cursor.consumed();
        if (cursor.releaseDrainedFiles()) {
            ring.signalAllProducers();
        }
        if (!manual) {
            autoCommit();
        }
    }

    /**
     * The ring is empty: announce to ourselves any disk records whose marker never made it into
     * the ring. A volatile read rules the common case out without the back lock.
     */
    private boolean claimUnannouncedDiskRecords() {
        if (senderState.appender().nextIndex() <= limit) {
            return false;
        }
        ReentrantLock back = ring.backLock();
        back.lock(); // lock order: front, then back
        try {
            if (ring.size() != 0) {
                return true; // a producer pushed meanwhile; what it pushed comes first
            }
            long claimed = senderState.claimAll();
            if (claimed <= limit) {
                return false;
            }
            limit = claimed;
            ring.signalNotFullLocked(); // producers can use memory again
            return true;
        } finally {
            back.unlock();
        }
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
            settle();
            long delivered = cursor.readIndex();
            if (position > delivered) {
                throw new IllegalArgumentException("position " + position + " lies past the records delivered so far ("
                        + delivered + ")");
            }
            if (store(position, true, false) && manual && cursor.releaseDrainedFiles()) {
                ring.signalAllProducers();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stores {@code index} as the committed position, unless a commit already covers it and
     * {@code always} is false ({@code always}: the cursor file must be rewritten anyway, e.g. for
     * a new snapshot size; the position never moves back). Takes the file lock (reentrant: the
     * delete hook already holds it).
     *
     * @return whether the committed position moved
     * @throws StorageException if the cursor file could not be written
     */
    private boolean store(long index, boolean force, boolean always) {
        ReentrantLock fileLock = cursor.fileLock();
        fileLock.lock();
        try {
            long at = Math.max(index, committed);
            ReadCursorFile.State state = state(at);
            boolean snapshotMoved = state.snapshotConsumed() != storedSnapshotConsumed;
            if (!always && !snapshotMoved && at == committed && (!force || committedForced >= at)) {
                return false;
            }
            try {
                cursorFile.store(state, force);
            } catch (IOException e) {
                throw new StorageException("cannot record the read position in " + directory, e);
            }
            storedSnapshotConsumed = state.snapshotConsumed();
            if (force) {
                committedForced = at;
            }
            boolean moved = at > committed;
            committed = at;
            lastCommitNanos = System.nanoTime();
            cursor.committed(at);
            return moved;
        } finally {
            fileLock.unlock();
        }
    }

    /** {@link #store} for a commit the caller did not ask for: a failure is logged and retried later. */
    private void storeQuietly(long index, boolean force, boolean always) {
        try {
            store(index, force, always);
        } catch (StorageException e) {
            lastCommitNanos = System.nanoTime();
            System.getLogger("io.hopper").log(System.Logger.Level.WARNING, "hopper: " + e.getMessage());
        }
    }

    private ReadCursorFile.State state(long readIndex) {
        // MANUAL: snapshot records count as consumed at any commit after their delivery (they are
        // memory-tier records: delivered once, never redelivered after a commit that followed them).
        return new ReadCursorFile.State(readIndex, senderState.appender().nextIndex(),
                senderState.appender().nextSequence(), snapshotRecords,
                snapshotRecords == 0 ? 0 : manual ? snapshotDelivered : handedOverSnapshot,
                snapshotRecords == 0 ? 0 : snapshotGeneration);
    }

    /** AUTO: commits at most once per {@link #AUTO_COMMIT_NANOS} while records are read from disk. Front lock held. */
    private void autoCommit() {
        if (System.nanoTime() - lastCommitNanos >= AUTO_COMMIT_NANOS) {
            storeQuietly(handedOver, true, false);
        }
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
        if (readAhead != null) {
            readAhead.close();
        }
        List<Object> slots = new ArrayList<>();
        boolean anyRecord = false;
        // A peeked disk record stays in its file, unconsumed, unless DROP_OLDEST evicted that file
        // (the eviction counted it as delivered): then it goes into the snapshot ahead of
        // everything, the disk records announced after it included (a marker follows it).
        boolean evictedHead = peekedOnDisk && cursor.locatedFrameEvicted();
        // A record peeked in the ring is still in its slot: the ring's order below writes it.
        T head = (peekedOnDisk && !evictedHead) || peekedInRing ? null : peeked;
        peeked = null;
        peekedInRing = false;
        peekedFromMemory = false;
        anyRecord |= head != null;
        for (Object o = ring.pollFront(); o != null; o = ring.pollFront()) {
            slots.add(o);
            anyRecord |= !(o instanceof DiskRun);
        }
        long dropped = 0;
        try {
            long snapshotRecords = 0;
            if (anyRecord || snapshot != null) {
                long headerLimit = evictedHead ? Math.min(limit, cursor.readIndex()) : limit;
                try (SnapshotFile.Writer w = new SnapshotFile.Writer(directory, headerLimit)) {
                    // A peeked record was taken from memory (the old snapshot or the ring) after
                    // every announced disk record was read: it comes first.
                    if (head != null && !snapshotRecord(w, head)) {
                        dropped++;
                    }
                    if (evictedHead) {
                        w.marker(limit);
                    }
                    if (snapshot != null) {
                        long damaged = snapshot.copyRemainingTo(w);
                        if (damaged > 0) {
                            cursor.countDamage(damaged);
                        }
                    }
                    for (Object o : slots) {
                        if (o instanceof DiskRun run) {
                            w.marker(run.end());
                            continue;
                        }
                        if (!snapshotRecord(w, (T) o)) {
                            dropped++;
                        }
                    }
                    w.marker(senderState.appender().nextIndex());
                    w.commit();
                    if (dropped > 0) {
                        cursor.countLost(dropped); // visible in stats() after close
                    }
                    snapshotRecords = w.records();
                    snapshotGeneration = w.generation();
                }
                if (snapshot != null) {
                    snapshot.close(); // its file was just replaced by the new snapshot
                    snapshot = null;
                    snapshotPending = 0;
                }
            }
            this.snapshotRecords = snapshotRecords;
            snapshotDelivered = 0; // the new snapshot holds only what was not delivered
            handedOverSnapshot = 0;
            // MANUAL: what was read but not committed comes again after the restart.
            ReentrantLock fileLock = cursor.fileLock();
            fileLock.lock();
            try {
                cursorFile.store(state(manual ? committed : cursor.readIndex()));
            } finally {
                fileLock.unlock();
            }
        } finally {
            try {
                cursor.close();
            } finally {
                cursorFile.close();
            }
        }
    }

    /** Writes one record into the close's snapshot; false (logged) if it cannot be encoded. */
    private boolean snapshotRecord(SnapshotFile.Writer w, T record) throws IOException {
        try {
            io.hopper.internal.codec.EncodedRecord e = codec.encode(record);
            try {
                w.record(e);
            } finally {
                codec.release(e);
            }
            return true;
        } catch (RuntimeException e) {
            System.getLogger("io.hopper").log(System.Logger.Level.WARNING,
                    "hopper: a record could not be serialized at close and is dropped: " + e);
            return false;
        }
    }

    public SegmentCursor cursor() {
        return cursor;
    }

    public long markersPopped() {
        return markersPopped;
    }
}
