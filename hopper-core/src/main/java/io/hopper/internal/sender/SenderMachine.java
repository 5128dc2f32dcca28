package io.hopper.internal.sender;

import io.hopper.ChannelClosedException;
import io.hopper.OverflowPolicy;
import io.hopper.RecordTooLargeException;
import io.hopper.StorageException;
import io.hopper.internal.codec.EncodedRecord;
import io.hopper.internal.codec.RecordCodec;
import io.hopper.internal.placement.DiskRun;
import io.hopper.internal.ring.RingDeque;
import io.hopper.internal.segment.DiskSync;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.ToLongFunction;

/**
 * The producer state machine, shared by every producer thread.
 *
 * <p><b>Memory mode</b>: push the record into the ring. If the ring has no room, append it to
 * disk instead and enter disk mode. <b>Disk mode</b>: a record may go to memory only together
 * with a {@link DiskRun} marker that announces the disk records written so far (so two slots
 * must be free); otherwise it is appended to disk too. The marker's push returns the machine to
 * memory mode. A disk run whose marker was never pushed is still found: the receiver claims it
 * under the back lock when it finds the ring empty, so no record waits for another send.
 *
 * <p>Serialization and compression always run outside the back lock: ahead of it when the record
 * is bound for disk (disk mode, or too heavy for memory), otherwise only once a placement under
 * the lock found memory full, in which case the producer drops the lock, encodes and tries again.
 * Its own records stay in order because it does not send the next one before this one is placed.
 * The lock itself only orders the ring push or the file append.
 *
 * <p><b>Both tiers full.</b> After releasing drained files, the {@link OverflowPolicy} decides:
 * {@code BLOCK} waits (or refuses), {@code DROP_OLDEST} evicts the oldest queue file through the
 * {@link FileRoom} (the cursor's file lock, no channel lock held) and places the record again,
 * {@code DROP_NEWEST} drops the record. Neither drop policy ever waits for room.
 */
public final class SenderMachine<T> {
    /**
     * Frees disk room for a producer refused it; implemented by the consumer side, which owns the
     * read position and the read files.
     */
    public interface FileRoom {
        /**
         * Deletes queue files that are sealed and fully read, without the consumer (taking the
         * cursor's file lock, never the front lock). A file the producers sealed after the consumer
         * read its last record is otherwise only deleted when the consumer next looks for work, and
         * with the file budget spent a producer would be refused room that is really there.
         *
         * @return whether one was deleted
         */
        boolean releaseDrainedFiles();

        /**
         * Evicts the oldest queue file (or marks the one being written for sealing).
         *
         * @return the undelivered records discarded, or -1 when nothing on disk can be evicted
         */
        long evictOldest();

        /** {@return the undelivered records evicted since open} */
        long recordsEvicted();
    }

    /**
     * How the channel's producers place records, from the builder's settings.
     *
     * @param maxFrameBytes  the largest frame a queue file takes
     * @param directory      the channel's directory, for messages
     * @param writeThrough   every record goes to disk before its send returns; the ring carries only markers
     * @param sync           forces appended records; null when nothing is ever forced ({@code SyncPolicy.NONE})
     * @param syncEachRecord sends that put a record on disk wait for it to be forced ({@code SyncPolicy.ALWAYS})
     * @param syncEvery      force after this many disk appends ({@code SyncPolicy.every}); 0 otherwise
     * @param policy         what a producer refused room gets
     */
    public record Settings(long maxFrameBytes, Path directory, boolean writeThrough, DiskSync sync,
                           boolean syncEachRecord, int syncEvery, OverflowPolicy policy) {
    }

    private static final int PLACED = 0;
    private static final int PLACED_WAKE = 1;
    private static final int NEED_ENCODING = 2;
    private static final int FULL = 3;
    /** Weight marking a record that can never be held in memory. */
    private static final int NOT_IN_MEMORY = -1;

    final RingDeque<SenderState> ring;
    final SenderState state;
    final RecordCodec<T> codec;
    private final ToLongFunction<? super T> weigher;
    private final long maxFrameBytes;
    private final Path directory;
    /** Every record goes to disk before its send returns; the ring carries only disk markers. */
    final boolean writeThrough;
    /** Forces appended records; null when nothing is ever forced (SyncPolicy.NONE). */
    private final DiskSync sync;
    /** Sends that put a record on disk wait for it to be forced (SyncPolicy.ALWAYS). */
    private final boolean syncEachRecord;
    /** Force after this many disk appends (SyncPolicy.every); 0 otherwise. */
    private final int syncEvery;
    /** Disk appends since the last force, for syncEvery. Back lock. */
    private int appendsSinceForce;
    /** Index after the record the current placement appended. Back lock; read by the same thread before it unlocks. */
    private long appendedEnd;
    private final OverflowPolicy policy;
    /** Releases drained files and evicts, for a producer refused room; takes only the cursor's file lock. */
    private final FileRoom files;
    /**
     * At most this many eviction attempts for one record before it is dropped after all. Each
     * attempt frees a file or finds room that appeared meanwhile, so a record needs another only
     * when other producers took that room first: they made progress. The bound is there so that a
     * fault in the accounting cannot spin a producer forever; it is not reached otherwise
     * ({@code DropOldestContentionTest} runs eight producers on two files).
     */
    private static final int MAX_EVICTION_ATTEMPTS = 10_000;
    private final OverflowReport report;
    private final BatchPlacement<T> batches;

    public SenderMachine(RingDeque<SenderState> ring, RecordCodec<T> codec, ToLongFunction<? super T> weigher,
                         Settings settings, FileRoom files) {
        this.ring = ring;
        this.state = ring.backState();
        this.codec = codec;
        this.weigher = weigher;
        this.maxFrameBytes = settings.maxFrameBytes();
        this.directory = settings.directory();
        this.writeThrough = settings.writeThrough();
        this.sync = settings.sync();
        this.syncEachRecord = settings.syncEachRecord() && sync != null;
        this.syncEvery = settings.syncEvery();
        this.policy = Objects.requireNonNull(settings.policy(), "policy");
        this.files = Objects.requireNonNull(files, "files");
        this.report = new OverflowReport(directory, policy, files::recordsEvicted, state::dropped);
        this.batches = new BatchPlacement<>(this); // last: it reads the fields above
    }

    public OverflowPolicy policy() {
        return policy;
    }

    /**
     * Places one record in memory or on disk.
     *
     * @param block wait for room up to {@code nanos} (policy {@code BLOCK} only: the drop policies
     *              never wait for room)
     * @return whether the record was accepted; {@code false} only when neither tier has room
     *         (under {@code BLOCK} the caller keeps it; under the drop policies it was dropped and counted)
     */
    public boolean offer(T record, boolean block, long nanos) throws InterruptedException {
        Objects.requireNonNull(record, "record");
        if (record instanceof DiskRun) {
            throw new IllegalArgumentException("DiskRun is the channel's internal marker, not a record");
        }
        if (state.closed) {
            throw closedError();
        }
        codec.verify(record); // a class that cannot be stored is refused now, not lost when it spills
        return offerWeighed(record, weigh(record), block, nanos);
    }

    /** The weigher's answer for {@code record}, checked. Runs outside the channel's locks. */
    long weigh(T record) {
        long w = weigher.applyAsLong(record);
        if (w < 0) {
            throw new IllegalArgumentException("weigher returned a negative weight " + w + " for a record of "
                    + record.getClass().getName());
        }
        return w;
    }

    /**
     * {@link #offer} for a record already checked and weighed ({@code w}). The hot path, kept small
     * enough for the JIT to inline: in memory mode, one hold of the back lock places the record in
     * the ring. Anything else (no room in memory, disk mode, write-through) takes
     * {@link #offerSlow}, which starts over: a refused placement changed nothing.
     */
    boolean offerWeighed(T record, long w, boolean block, long nanos) throws InterruptedException {
        int weight = (writeThrough || w > Integer.MAX_VALUE || w > ring.maxBytes()) ? NOT_IN_MEMORY : (int) w;
        boolean memoryFirst = weight != NOT_IN_MEMORY && !state.diskModeHint;
        if (memoryFirst) {
            int outcome = placeInMemory(record, weight, block);
            if (outcome == PLACED) {
                return true;
            }
            if (outcome == PLACED_WAKE) {
                ring.signalNotEmpty(); // after the back lock: the lock order is front, then back
                return true;
            }
        }
        return offerSlow(record, w, weight, block, nanos, memoryFirst);
    }

    /**
     * One attempt to place a record in the ring, under the back lock.
     *
     * @return {@code PLACED} or {@code PLACED_WAKE}, or {@code NEED_ENCODING} when it must go to
     *         disk (memory is full, or records wait on disk ahead of it): nothing was placed
     */
    private int placeInMemory(T record, int weight, boolean block) throws InterruptedException {
        ReentrantLock lock = ring.backLock();
        if (block) {
            lock.lockInterruptibly();
        } else {
            lock.lock();
        }
        try {
            if (state.closed) {
                throw closedError();
            }
            return place(record, weight, null); // no encoding: never appends to disk
        } finally {
            lock.unlock();
        }
    }

    /**
     * The full placement protocol: encoding for disk outside the lock, placement in either tier,
     * waiting for room ({@code BLOCK}), releasing drained files, evicting ({@code DROP_OLDEST}),
     * waking a parked consumer, and the durability wait.
     *
     * @param memoryWasFull the hot path found no room in memory: encode before taking the lock
     */
    private boolean offerSlow(T record, long w, int weight, boolean block, long nanos, boolean memoryWasFull)
            throws InterruptedException {
        EncodedRecord encoded = null;
        try {
            // Encode ahead, outside the lock, only when the record is bound for disk: it cannot be
            // held in memory, the last placement went to disk (disk mode), or the hot path just
            // found memory full. "Memory looks full" by itself is not enough: at the boundary the
            // consumer frees room all the time, and encoding records that then go to memory anyway
            // cost a 15x slowdown in the spill benchmark.
            if (weight == NOT_IN_MEMORY || state.diskModeHint || memoryWasFull) {
                encoded = encode(record, w, weight);
            }
            ReentrantLock lock = ring.backLock();
            boolean wait = block && policy == OverflowPolicy.BLOCK;
            long remaining = nanos;
            boolean mayNudge = true;
            boolean mayRelease = true;
            // Files sealed when this sender last looked (back lock), -1 before its first look.
            long sealsSeen = -1;
            int evictions = 0;
            for (;;) {
                if (block) {
                    lock.lockInterruptibly();
                } else {
                    lock.lock();
                }
                int outcome;
                boolean nudge = false;
                boolean release = false;
                long mustBeDurable = -1;
                try {
                    for (;;) {
                        if (state.closed) {
                            throw closedError();
                        }
                        outcome = place(record, weight, encoded);
                        if (outcome == FULL && state.appender.filesSealed() != sealsSeen) {
                            // A file was sealed since we last looked, perhaps by this very append.
                            // The consumer may have read it to its end already and be parked (or
                            // spinning): then nobody else deletes it, so earn another release even
                            // if this call spent its own and its nudge. One per seal seen, and
                            // every seal follows a file filled, so this cannot loop without progress.
                            sealsSeen = state.appender.filesSealed();
                            mayRelease = true;
                        }
                        if (outcome != FULL || !wait || remaining <= 0) {
                            break;
                        }
                        if (mayNudge && ring.consumerParked()) {
                            nudge = true;
                            break;
                        }
                        if (mayRelease) {
                            release = true; // try releasing drained files (outside this lock) before waiting
                            break;
                        }
                        ring.announceProducerWaiting();
                        try {
                            // Re-check after announcing: room freed by a consumer that missed the
                            // announcement is visible now.
                            outcome = place(record, weight, encoded);
                            if (outcome != FULL || state.closed) {
                                break;
                            }
                            if (state.appender.filesSealed() != sealsSeen) {
                                continue; // this append sealed a file: place again, which earns a release (above)
                            }
                            // A waiting sender holds no encoder state: with thousands of virtual
                            // threads blocked here, their frames would be the channel's heap. The
                            // record is encoded again, if it still must go to disk, when room appears.
                            codec.release(encoded);
                            encoded = null;
                            remaining = ring.awaitNotFull(remaining);
                            mayNudge = true;
                            mayRelease = true;
                        } finally {
                            ring.withdrawProducerWaiting();
                        }
                    }
                    if ((outcome == PLACED || outcome == PLACED_WAKE) && appendedEnd > 0) {
                        mustBeDurable = appendedEnd;
                        appendedEnd = 0;
                    }
                } finally {
                    lock.unlock();
                }
                switch (outcome) {
                    case PLACED:
                        awaitDurable(mustBeDurable);
                        return true;
                    case PLACED_WAKE:
                        if (mustBeDurable > 0 && syncEachRecord) {
                            // The consumer reads only forced records: the force that covers this one
                            // wakes it (DiskSync.onDurable), so waking it now would only make it park again.
                            awaitDurable(mustBeDurable);
                            return true;
                        }
                        ring.signalNotEmpty();
                        awaitDurable(mustBeDurable);
                        return true;
                    case FULL:
                        if (mayRelease && !nudge) {
                            mayRelease = false;
                            if (files.releaseDrainedFiles()) {
                                ring.signalAllProducers(); // the room is theirs too
                                continue;
                            }
                            if (release) {
                                continue; // nothing to release: go and wait
                            }
                        }
                        if (policy != OverflowPolicy.BLOCK) {
                            if (state.closed) {
                                throw closedError();
                            }
                            // FULL always follows an attempt to append, so the record is encoded.
                            if (policy == OverflowPolicy.DROP_OLDEST && evictions < MAX_EVICTION_ATTEMPTS
                                    && encoded.frameLength() <= maxFrameBytes) {
                                // Evict, then place again. An answer of -1 (nothing on disk to evict)
                                // means the disk emptied since the append was refused (the consumer
                                // released files meanwhile): the record fits now, so place it again too.
                                evictions++;
                                if (files.evictOldest() > 0) {
                                    report.discarded();
                                }
                                continue;
                            }
                            state.countDropped();
                            report.discarded();
                            return false;
                        }
                        // Both tiers are full. A parked consumer may hold a drained queue file that it
                        // releases when it looks for work (an active consumer does so before parking).
                        // Wake it, outside the back lock since the lock order is front, then back; then
                        // wait before nudging again, so producer and consumer cannot ping-pong.
                        if (nudge || (!block && ring.consumerParked())) {
                            ring.signalNotEmpty();
                            mayNudge = false;
                            if (block && remaining > 0) {
                                continue;
                            }
                        }
                        if (state.closed) {
                            throw closedError();
                        }
                        return false;
                    default: // NEED_ENCODING: memory filled up since the guess; encode without the lock
                        encoded = encode(record, w, weight);
                }
            }
    
        } finally {
            codec.release(encoded); // the frame goes back to the codec's pool once placed (or refused)
        }
    }

    /**
     * Places {@code records} in order ({@link BatchPlacement}): runs of records go into the ring
     * under one hold of the back lock; a record that does not fit there takes the single-record path.
     *
     * @param block wait for room for each record (policy {@code BLOCK}); otherwise stop at the first
     *              record refused ({@code BLOCK}) or apply the drop policy to each record
     * @param accepted where the count so far is kept, for a caller interrupted while waiting
     * @return the records accepted: under {@code BLOCK} a prefix; under {@code DROP_NEWEST} the
     *         others were dropped and counted
     */
    public int offerAll(List<? extends T> records, boolean block, int[] accepted) throws InterruptedException {
        return batches.offerAll(records, block, accepted);
    }

    /** One placement attempt. Caller holds the back lock. */
    private int place(T record, int weight, EncodedRecord encoded) {
        long next = state.appender.nextIndex();
        if (weight != NOT_IN_MEMORY) {
            if (state.announced == next) {
                int r = ring.tryPushBack(record, weight);
                if (r != RingDeque.FULL) {
                    state.memoryMode();
                    state.countAccepted();
                    return r == RingDeque.PUSHED_INTO_EMPTY ? PLACED_WAKE : PLACED;
                }
            } else if (ring.hasRoom(2, weight)) {
                int r = ring.tryPushBack(new DiskRun(next), 0);
                ring.tryPushBack(record, weight); // cannot fail: room for both was checked under the lock
                state.announced = next;
                state.countMarkerPushed();
                state.memoryMode();
                state.countAccepted();
                return r == RingDeque.PUSHED_INTO_EMPTY ? PLACED_WAKE : PLACED;
            }
        }
        if (encoded == null) {
            return NEED_ENCODING;
        }
        try {
            if (!state.appender.tryAppend(encoded)) {
                return FULL;
            }
        } catch (IOException e) {
            throw new StorageException("cannot spill a record to " + directory, e);
        }
        state.countSpilled();
        if (!state.diskModeHint) {
            state.diskModeHint = true;
        }
        state.countAccepted();
        if (syncEachRecord) {
            appendedEnd = state.appender.nextIndex();
        } else if (syncEvery > 0 && ++appendsSinceForce >= syncEvery) {
            try {
                sync.forceNow();
            } catch (IOException e) {
                throw new StorageException("the record was accepted and will be delivered, but forcing queue files"
                        + " in " + directory + " to the device failed", e);
            }
            appendsSinceForce = 0;
        }
        // No ring transition here: a parked consumer must be told that there is a disk run to claim.
        return ring.consumerParked() ? PLACED_WAKE : PLACED;
    }

    /** SyncPolicy.ALWAYS: waits, holding no lock, until the record just appended is forced. */
    private void awaitDurable(long end) {
        if (end <= 0) {
            return;
        }
        try {
            sync.awaitDurable(end);
        } catch (IOException e) {
            throw new StorageException("the record was accepted and will be delivered, but forcing it to the device"
                    + " in " + directory + " failed", e);
        }
    }

    private EncodedRecord encode(T record, long w, int weight) {
        EncodedRecord e = codec.encode(record);
        if (e.frameLength() > maxFrameBytes && weight == NOT_IN_MEMORY) {
            int length = e.frameLength();
            codec.release(e);
            throw new RecordTooLargeException(w, length, ring.maxBytes(), maxFrameBytes);
        }
        return e;
    }

    /**
     * Forces the queue file being written to the device, unless the sync policy is NONE: records
     * are never buffered in the process, so there is nothing else to push.
     */
    public void flush() {
        ReentrantLock lock = ring.backLock();
        lock.lock();
        try {
            if (state.closed) {
                throw closedError();
            }
            if (sync != null) {
                sync.forceNow();
            }
        } catch (IOException e) {
            throw new StorageException("cannot force queue file in " + directory, e);
        } finally {
            lock.unlock();
        }
    }

    ChannelClosedException closedError() {
        return new ChannelClosedException("channel " + directory + " is closed");
    }
}
