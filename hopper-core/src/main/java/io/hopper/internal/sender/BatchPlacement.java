package io.hopper.internal.sender;

import io.hopper.OverflowPolicy;
import io.hopper.internal.placement.DiskRun;
import io.hopper.internal.ring.RingDeque;

import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A producer's batch ({@code offerAll}, {@code sendAll}): weighed whole before any of it is
 * placed, then placed in order. Lock: the back lock, taken per chunk of {@link #BATCH_CHUNK}
 * records, like the single-record path it falls back to.
 */
final class BatchPlacement<T> {
    private final SenderMachine<T> machine;
    private final RingDeque<SenderState> ring;
    private final SenderState state;

    BatchPlacement(SenderMachine<T> machine) {
        this.machine = machine;
        this.ring = machine.ring;
        this.state = machine.state;
    }

    /** Records placed by one hold of the back lock in {@link #offerAll}: bounds the time other producers wait. */
    private static final int BATCH_CHUNK = 256;

    /**
     * Places {@code records} in order. In memory mode, runs of records go into the ring under one
     * hold of the back lock with one atomic add (so one batch is contiguous in the channel's order
     * for as long as memory has room); a record that does not fit there takes the single-record
     * path ({@link SenderMachine#offer}), with its encoding, disk placement, overflow policy and waiting.
     *
     * @param block wait for room for each record (policy {@code BLOCK}); otherwise stop at the first
     *              record refused ({@code BLOCK}) or apply the drop policy to each record
     * @param accepted where the count so far is kept, for a caller interrupted while waiting
     * @return the records accepted: under {@code BLOCK} a prefix; under {@code DROP_NEWEST} the
     *         others were dropped and counted
     */
    int offerAll(List<? extends T> records, boolean block, int[] accepted) throws InterruptedException {
        int n = records.size();
        long[] weights = new long[n];
        for (int i = 0; i < n; i++) { // nothing is placed if one record cannot be, or its weigher throws
            T r = records.get(i);
            if (r == null) { // not requireNonNull(r, message): its message would be built for every record
                throw new NullPointerException("records contains null at index " + i);
            }
            if (r instanceof DiskRun) {
                throw new IllegalArgumentException("DiskRun is the channel's internal marker, not a record");
            }
            machine.codec.verify(r);
            weights[i] = machine.weigh(r);
        }
        int pos = 0; // next record to place
        int taken = 0;
        int[] chunk = null;
        while (pos < n) {
            if (!machine.writeThrough && !state.diskModeHint) {
                int to = Math.min(n, pos + BATCH_CHUNK);
                if (chunk == null) {
                    chunk = new int[Math.min(n, BATCH_CHUNK)];
                }
                int fit = memoryWeights(weights, pos, to, chunk);
                int k = fit == 0 ? 0 : pushBatch(records, pos, pos + fit, chunk);
                pos += k;
                taken += k;
                accepted[0] = taken;
                if (k == to - (pos - k)) {
                    continue; // the whole chunk went into memory
                }
                if (pos == n) {
                    break;
                }
            }
            if (machine.offerWeighed(records.get(pos), weights[pos], block, block ? Long.MAX_VALUE : 0)) {
                taken++;
                accepted[0] = taken;
            } else if (machine.policy() == OverflowPolicy.BLOCK) {
                return taken; // a prefix: the rest stays with the caller
            } // else dropped and counted by offer: go on with the next
            pos++;
        }
        return taken;
    }

    /**
     * Copies the weights of {@code records[from, to)} into {@code chunk}, up to the first record
     * that cannot be held in memory at all (that one takes the single-record path).
     *
     * @return how many of them may go into memory
     */
    private int memoryWeights(long[] weights, int from, int to, int[] chunk) {
        for (int i = from; i < to; i++) {
            long w = weights[i];
            if (w > Integer.MAX_VALUE || w > ring.maxBytes()) {
                return i - from;
            }
            chunk[i - from] = (int) w;
        }
        return to - from;
    }

    /** Pushes what fits of {@code records[from, to)} into memory under one hold of the back lock; wakes the consumer once. */
    private int pushBatch(List<? extends T> records, int from, int to, int[] weights) {
        ReentrantLock lock = ring.backLock();
        int r;
        lock.lock();
        try {
            if (state.closed) {
                throw machine.closedError();
            }
            if (state.announced != state.appender.nextIndex()) {
                return 0; // disk mode: each record needs the single-record path's marker logic
            }
            r = ring.tryPushBackAll(records, from, to, weights);
            if (r != 0) {
                state.countAccepted(r >>> 1);
                state.memoryMode();
            }
        } finally {
            lock.unlock();
        }
        if ((r & 1) != 0) {
            ring.signalNotEmpty();
        }
        return r >>> 1;
    }

}
