package io.hopper;

import io.hopper.internal.receiver.ReceiverMachine;
import io.hopper.internal.ring.RingDeque;
import io.hopper.internal.segment.SegmentCompactor;
import io.hopper.internal.segment.SegmentCursor;
import io.hopper.internal.recovery.DirectoryLock;
import io.hopper.internal.segment.DiskSync;
import io.hopper.internal.segment.SegmentLog;
import io.hopper.internal.segment.SegmentRecovery;
import io.hopper.internal.sender.SenderState;

import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.ObjectName;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A byte-bounded multi-producer, single-consumer queue that pages to disk. Open one with
 * {@link Hopper#builder(Class, Path)}; hand {@link #sender()} to producers and {@link #receiver()}
 * to the consumer.
 *
 * @param <T> the record type
 */
public final class Channel<T> implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.hopper");
    private final Path directory;
    private final RingDeque<SenderState> ring;
    private final SegmentLog log;
    private final Sender<T> sender;
    private final Receiver<T> receiver;
    private final ReceiverMachine<T> receiverMachine;
    private final DirectoryLock lock;
    private final SegmentRecovery.Result recovered;
    private final DiskSync sync;
    private final SyncPolicy syncPolicy;
    private final CommitMode commitMode;
    private final Durability durability;
    private final OverflowPolicy overflow;
    /** Records counted as lost while the channel opened (never accepted in this run); immutable. */
    private final long lostAtOpen;
    /** Records an earlier run left to deliver: on disk from the committed position on, and in the memory snapshot; immutable. */
    private final long recordsRecovered;
    /** Forces on a timer for SyncPolicy.interval; null otherwise. */
    private final ScheduledExecutorService syncTimer;

    Channel(Path directory, RingDeque<SenderState> ring, SegmentLog log, Sender<T> sender,
            ReceiverMachine<T> receiverMachine, DirectoryLock lock, SegmentRecovery.Result recovered,
            DiskSync sync, SyncPolicy syncPolicy, CommitMode commitMode, Durability durability,
            OverflowPolicy overflow, long recordsRecovered) {
        this.directory = directory;
        this.ring = ring;
        this.log = log;
        this.sender = sender;
        this.receiverMachine = receiverMachine;
        this.receiver = new Receiver<>(receiverMachine);
        this.lock = lock;
        this.recovered = recovered;
        this.sync = sync;
        this.syncPolicy = syncPolicy;
        this.commitMode = commitMode;
        this.durability = durability;
        this.overflow = overflow;
        this.lostAtOpen = receiverMachine.cursor().recordsLost();
        this.recordsRecovered = recordsRecovered;
        if (syncPolicy.kind == SyncPolicy.Kind.INTERVAL) {
            syncTimer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "hopper-sync " + directory.getFileName());
                t.setDaemon(true);
                return t;
            });
            long nanos = syncPolicy.interval.toNanos();
            syncTimer.scheduleWithFixedDelay(this::forceIfDirty, nanos, nanos, TimeUnit.NANOSECONDS);
        } else {
            syncTimer = null;
        }
    }

    /** SyncPolicy.interval: forces the file being written if records were appended since the last force. */
    private void forceIfDirty() {
        ReentrantLock back = ring.backLock();
        back.lock();
        try {
            SenderState s = ring.backState();
            if (!s.closed() && s.appender().nextIndex() > forcedUpTo) {
                forcedUpTo = s.appender().nextIndex();
                sync.forceNow();
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "hopper: forcing queue files in " + directory + " failed: " + e);
        } finally {
            back.unlock();
        }
    }

    /**
     * The name this channel's MBean is registered under, or null. Written once by {@code open()}
     * before the channel is handed out; read by close() under the channel's locks (a later
     * synchronization point than the publication of the channel itself).
     */
    private volatile ObjectName mbeanName;

    /** Registers the channel's MBean; called by the builder before the channel is handed out. */
    void registerMBean(String name) {
        try {
            ObjectName on = new ObjectName("io.hopper:type=Channel,name=" + ObjectName.quote(name));
            ManagementFactory.getPlatformMBeanServer().registerMBean(new ChannelMBean(this), on);
            mbeanName = on;
        } catch (InstanceAlreadyExistsException e) {
            throw new IllegalStateException("jmxName \"" + name + "\" is already registered by another channel", e);
        } catch (JMException e) {
            throw new IllegalStateException("cannot register the MBean for jmxName \"" + name + "\"", e);
        }
    }

    /**
     * Rewrites sealed files in blocks ({@link Compression#LZ4_BLOCKS}), or null. Written once by
     * {@code open()} before the channel is handed out; closed by close() before it takes the
     * channel's locks (the compactor's swap takes the file lock, and it wakes producers through
     * the back lock).
     */
    private volatile SegmentCompactor compactor;

    /** Installs the compactor; called by the builder before the channel is handed out. */
    void compactor(SegmentCompactor c) {
        this.compactor = c;
    }

    /** Run at JVM shutdown before the hook closes the channel; see {@link #addShutdownTask(Runnable)}. */
    private final List<Runnable> shutdownTasks = new CopyOnWriteArrayList<>();

    /** Records below this index were forced by the interval timer. Back lock. */
    private long forcedUpTo;

    /** {@return the producing end} Thread-safe: share it among producer threads. */
    public Sender<T> sender() {
        return sender;
    }

    /** {@return the consuming end} Meant for one consumer thread; see {@link Receiver}. */
    public Receiver<T> receiver() {
        return receiver;
    }

    /**
     * {@return who moves the committed read position} A component that commits on its own (an
     * outlet that commits only what a downstream system acknowledged) checks for
     * {@link CommitMode#MANUAL} here.
     */
    public CommitMode commitMode() {
        return commitMode;
    }

    /** {@return whether records go through the disk tier always or only when memory is full} */
    public Durability durability() {
        return durability;
    }

    /** {@return what happens to a record when memory and disk are both full} */
    public OverflowPolicy overflowPolicy() {
        return overflow;
    }

    /** {@return the channel's own directory} */
    public Path directory() {
        return directory;
    }

    /** {@return a snapshot of the channel's counters} Taking it does not block producers or the consumer. */
    public ChannelStats stats() {
        SenderState s = ring.backState();
        SegmentCursor c = receiverMachine.cursor();
        ChannelStats.Values v = new ChannelStats.Values();
        v.recordsInMemory = recordsInMemory(ring.size());
        v.bytesInMemory = ring.bytes();
        v.inMemoryBytesLimit = ring.maxBytes();
        v.recordsOnDisk = recordsOnDisk();
        v.bytesOnDisk = log.bytes();
        v.diskBytesLimit = log.segmentBytes() * log.maxFiles();
        v.diskFiles = log.files();
        v.maxDiskFiles = log.maxFiles();
        v.recordsSpilled = s.spilled();
        v.recordsReadFromDisk = c.recordsRead();
        v.filesDeleted = log.filesDeleted();
        v.bytesWrittenToDisk = log.bytesWritten();
        v.corruptFramesSkipped = c.corruptFrames();
        v.recordsLost = c.recordsLost();
        v.recordsRecovered = recordsRecovered;
        v.filesRepaired = recovered.filesRepaired() + recovered.filesSetAside();
        v.forces = sync.forces();
        v.storage = log.storageName();
        v.bytesReadFromDisk = c.bytesRead();
        v.recordBytesSpilled = log.recordBytesWritten();
        v.payloadBytesSpilled = log.payloadBytesWritten();
        v.forceNanos = log.forceNanos();
        v.maxForceNanos = log.maxForceNanos();
        v.recordsEvicted = c.recordsEvicted();
        v.recordsDropped = s.dropped();
        v.filesEvicted = c.filesEvicted();
        v.filesCompacted = log.filesCompacted();
        v.bytesSavedByCompaction = log.bytesSavedByCompaction();
        return new ChannelStats(v);
    }

    /**
     * A {@link BlockingQueue} view of this channel, for code written against the standard
     * interface (an executor's work queue, Log4j2's {@code AsyncAppender}, ...). The view and the
     * channel are one queue: records offered through either are received through either, in one
     * order. It adds no buffering and no thread.
     *
     * <p>Producer methods ({@code offer}, {@code put}, {@code add}) are the {@link Sender}'s and are
     * thread-safe. Consumer methods ({@code poll}, {@code take}, {@code peek}, {@code element},
     * {@code drainTo}, {@code clear}) are the {@link Receiver}'s: safe from several threads, which
     * take turns. A peeked record is decoded once and is the one the next take returns; untimed
     * {@code take} and {@code put} wait in {@code WAITING}, as the JDK's queues do.
     * {@code size} and {@code isEmpty} are read without locks and never count more records than
     * were accepted and not yet taken; {@code remainingCapacity} estimates how many records of
     * the average size seen so far still fit (the budgets are in bytes); {@code toString} shows
     * the depth in each tier. Methods that would look at or remove records other than the head
     * ({@code iterator}, {@code remove(Object)}, {@code contains}, {@code toArray}) throw
     * {@link UnsupportedOperationException}: records further in may be in compressed queue
     * files, and the channel has one read position, which only moves forward.
     *
     * <p>A record that went through the disk tier comes back as an equal copy made by the
     * {@link Serializer}, not as the same instance; code that recognises a sentinel element by
     * identity needs a serializer that maps it back to that instance.
     *
     * <p>Methods throw {@link ChannelClosedException} once the channel is closed and
     * {@link StorageException} when a queue file cannot be written or read.
     *
     * @return a view sharing this channel's state; cheap, may be called more than once
     */
    public BlockingQueue<T> asBlockingQueue() {
        return new ChannelQueue<>(this);
    }

    /**
     * Records held in memory or on disk and not yet received: a moment's estimate, read without
     * locks, and never more than were accepted and not yet received. The estimate reads several
     * counters at different moments and could count a record twice (a disk marker popped between
     * two reads, say); it is capped by {@code accepted - delivered - lost - evicted}, with {@code accepted}
     * read first: since the others only grow, that difference is at most the true number at the
     * moment {@code accepted} was read.
     */
    long queuedRecords() {
        long accepted = ring.backState().accepted();
        long gone = receiverMachine.delivered() + receiverMachine.cursor().recordsLost() - lostAtOpen
                + receiverMachine.cursor().recordsEvicted();
        // A peeked record is still queued, but neither tier counts it once it left the ring (a
        // memory record, counted as delivered too) or its file was evicted (the read position passed it).
        long peekedMemory = receiverMachine.holdsPeekedMemoryRecord() ? 1 : 0;
        long peekedEvicted = receiverMachine.cursor().locatedFrameEvicted() ? 1 : 0;
        long estimate = recordsInMemory(ring.size()) + recordsOnDisk() + peekedMemory + peekedEvicted;
        return Math.max(0, Math.min(estimate, accepted - gone + peekedMemory));
    }

    /**
     * Records among {@code slotsUsed} occupied ring slots: the slots less the disk markers still in
     * the ring. Both counters are read with acquire loads, without locks, so this is a moment's estimate.
     */
    private long recordsInMemory(int slotsUsed) {
        long markersInRing = Math.max(0, ring.backState().markersPushed() - receiverMachine.markersPopped());
        return Math.max(0, slotsUsed - markersInRing);
    }

    /** Queue-file records not yet read, plus a replayed memory snapshot's records still in snapshot.hop. */
    private long recordsOnDisk() {
        long unread = ring.backState().appender().nextIndex() - receiverMachine.cursor().readIndex();
        return Math.max(0, unread) + receiverMachine.snapshotPending();
    }

    /**
     * How many more records of the size seen so far would fit, in memory and on disk: the memory
     * tier's free bytes divided by the average weight of the records it holds (its free slots when
     * it holds none), plus the room in queue files not yet created divided by the average frame
     * written so far ({@link Hopper#DEFAULT_RECORD_WEIGHT} before the first). Conservative on disk:
     * the room left in the file being written is not counted.
     */
    long remainingCapacityEstimate() {
        int slotsUsed = ring.size();
        long freeSlots = Math.max(0, ring.capacity() - slotsUsed);
        long memBytes = ring.bytes();
        long freeMemBytes = Math.max(0, ring.maxBytes() - memBytes);
        long recordsInMemory = recordsInMemory(slotsUsed);
        long memory = recordsInMemory == 0 ? (freeMemBytes > 0 ? freeSlots : 0)
                : Math.min(freeSlots, freeMemBytes / Math.max(1, memBytes / recordsInMemory));
        long spilled = ring.backState().spilled();
        long frame = spilled > 0 ? Math.max(1, log.bytesWritten() / spilled) : Hopper.DEFAULT_RECORD_WEIGHT;
        long freeDisk = Math.max(0, log.maxFiles() - log.files()) * log.segmentBytes();
        return memory + freeDisk / frame;
    }

    /** {@return whether {@link #close()} was called} */
    public boolean isClosed() {
        return ring.backState().closed();
    }

    /**
     * Closes the channel: later sends and receives throw {@link ChannelClosedException}, and
     * threads blocked in {@code send} or {@code receive} wake up with it. Nothing that was accepted
     * and not yet received is lost: records still in memory are written, in their place in the
     * order, to {@code snapshot.hop}; the file being written is sealed; the read position is
     * committed; files are closed and the directory is released. The next {@code open()} of the
     * directory delivers the remaining records in the original order, then new ones.
     * Idempotent; it waits for a receiver call under way (the consumer's current step) to end.
     * The calling thread's interrupt status does not change what it does (it stays set).
     *
     * @throws StorageException if the file being written could not be closed cleanly
     */
    @Override
    public void close() {
        closeWithin(-1);
    }

    /**
     * JVM shutdown ({@link JvmShutdown}): runs the shutdown tasks, newest first, while the channel
     * is still open, then closes it, waiting at most {@code lockWaitNanos} for a consumer call
     * under way. Never throws: what fails is logged.
     */
    void shutdown(long lockWaitNanos) {
        List<Runnable> tasks = new ArrayList<>(shutdownTasks);
        Collections.reverse(tasks);
        for (Runnable task : tasks) {
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                LOG.log(System.Logger.Level.WARNING, "hopper: a shutdown task of channel " + directory
                        + " failed; closing the channel anyway", e);
            }
        }
        try {
            if (!closeWithin(lockWaitNanos)) {
                LOG.log(System.Logger.Level.WARNING, "hopper: channel " + directory + " was not closed at JVM"
                        + " shutdown: a consumer call held it for " + TimeUnit.NANOSECONDS.toSeconds(lockWaitNanos)
                        + " s; what was in memory is lost, as after a kill");
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "hopper: closing channel " + directory + " at JVM shutdown failed", e);
        }
    }

    /**
     * Registers {@code task} to run when the JVM shuts down, before the shutdown hook closes this
     * channel (see {@link Hopper.Builder#shutdownHook(boolean)}). A component that consumes the
     * channel on its own thread, such as an outlet into another system, stops there: it finishes
     * or gives back the records it has in flight and commits while the channel is still open.
     * Tasks run on a shutdown thread, newest first, one after the other; one that throws is logged
     * and the others still run. Keep them short: the whole JVM waits for them. With the hook turned
     * off they never run. Remove the task ({@link #removeShutdownTask(Runnable)}) when the
     * component stops on its own.
     *
     * @param task what to run
     * @throws NullPointerException if {@code task} is null
     */
    public void addShutdownTask(Runnable task) {
        shutdownTasks.add(Objects.requireNonNull(task, "task"));
    }

    /**
     * Removes a task {@link #addShutdownTask(Runnable)} registered (the same instance).
     *
     * @param task the task
     * @return whether it was registered
     */
    public boolean removeShutdownTask(Runnable task) {
        return shutdownTasks.remove(task);
    }

    /**
     * {@link #close()}, waiting at most {@code lockWaitNanos} (-1: without a bound) for a receiver
     * call under way.
     *
     * @return false if that wait ran out and nothing was done
     */
    private boolean closeWithin(long lockWaitNanos) {
        SegmentCompactor c = compactor;
        if (c != null) {
            c.close(); // first, without locks: a rewrite under way is abandoned and its copy deleted
        }
        ReentrantLock front = ring.frontLock();
        ReentrantLock back = ring.backLock();
        // Lock order: front, then back. Holding both, nothing moves while the state is saved.
        if (lockWaitNanos < 0) {
            front.lock();
        } else if (!tryLockUninterruptibly(front, lockWaitNanos)) {
            return false;
        }
        Throwable failure = null;
        try {
            back.lock();
            try {
                SenderState s = ring.backState();
                if (s.closed()) {
                    return true;
                }
                s.markClosed();
                if (syncTimer != null) {
                    syncTimer.shutdownNow();
                }
                try {
                    receiverMachine.closeLocked();
                } catch (IOException | RuntimeException | Error e) {
                    failure = e;
                }
                try {
                    s.appender().close();
                } catch (IOException | RuntimeException | Error e) {
                    failure = first(failure, e);
                }
            } finally {
                back.unlock();
            }
        } finally {
            front.unlock();
        }
        // Closed: whatever failed above, wake the waiters and release the directory.
        JvmShutdown.unregister(this);
        ring.signalAllProducers();
        ring.signalAllConsumers();
        ObjectName on = mbeanName;
        if (on != null) {
            try {
                ManagementFactory.getPlatformMBeanServer().unregisterMBean(on);
            } catch (JMException e) {
                LOG.log(System.Logger.Level.WARNING, "hopper: cannot unregister MBean " + on + ": " + e);
            }
        }
        try {
            lock.close();
        } catch (IOException e) {
            failure = first(failure, e);
        }
        if (failure instanceof Error err) {
            throw err;
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure != null) {
            throw new StorageException("closing channel " + directory, (IOException) failure);
        }
        return true;
    }

    private static Throwable first(Throwable earlier, Throwable later) {
        if (earlier == null) {
            return later;
        }
        earlier.addSuppressed(later);
        return earlier;
    }

    /** Takes {@code lock} within {@code nanos}, whatever interrupts arrive meanwhile (the status is set again after). */
    private static boolean tryLockUninterruptibly(ReentrantLock lock, long nanos) {
        long deadline = System.nanoTime() + nanos;
        boolean interrupted = false;
        try {
            for (;;) {
                try {
                    return lock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Disk records whose value the read-ahead decoded (0 when it is off); for tests. */
    long readAheadHits() {
        ReentrantLock front = ring.frontLock();
        front.lock();
        try {
            return receiverMachine.readAheadHits();
        } finally {
            front.unlock();
        }
    }
}
