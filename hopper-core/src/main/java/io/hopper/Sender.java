package io.hopper;

import io.hopper.internal.sender.SenderMachine;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The producing end of a channel. Thread-safe: share one instance among any number of producer
 * threads. Records from one thread are received in the order that thread sent them.
 *
 * <p>A record goes to the memory tier while its byte budget has room, otherwise it is serialized,
 * compressed and appended to a queue file. Either way it becomes receivable as soon as the call
 * returns true, without any further send or flush. When neither tier has room, the channel's
 * {@link OverflowPolicy} decides: under {@code BLOCK} (the default) the record stays with the
 * caller ({@link #offer(Object)} says {@code false}, {@link #send(Object)} waits); under
 * {@code DROP_OLDEST} the oldest queue file is evicted and the record accepted; under
 * {@code DROP_NEWEST} the record is dropped and counted, and {@code offer} says {@code false}.
 * The drop policies never wait for room.
 *
 * <p><b>Interrupts</b>, as in the JDK's blocking queues: the calls that may wait ({@link #send},
 * {@link #sendAll}, the timed {@link #offer(Object, long, TimeUnit)}) throw
 * {@link InterruptedException} ({@link BatchInterruptedException}) when the calling thread is
 * interrupted before or while they wait, and the record stays with the caller; once a record is
 * placed, the call completes (a durable send still waits for its force). The calls that never wait
 * ({@link #offer(Object)}, {@link #offerAll}, {@link #flush()}) complete normally whatever the
 * interrupt status, and leave it set. No interrupt, of this thread or any other, closes a queue
 * file, fails another producer's send, or surfaces as {@link StorageException}.
 *
 * <p><b>Your code that throws</b> (the weigher, the serializer) reaches the caller, wrapped in
 * {@link UnsupportedRecordException} for a serializer; the record stays with the caller and no lock
 * is left held.
 *
 * @param <T> the record type
 */
public final class Sender<T> {
    private final SenderMachine<T> machine;

    Sender(SenderMachine<T> machine) {
        this.machine = machine;
    }

    /**
     * Accepts the record if memory or disk has room for it now; never blocks for room.
     *
     * @param record the record; the channel keeps a reference while it is in memory
     * @return {@code false} iff both budgets are exhausted (for this record): under
     *         {@link OverflowPolicy#BLOCK} the caller keeps it; under the drop policies it was
     *         dropped and counted in {@link ChannelStats#recordsDropped()}
     * @throws NullPointerException      if {@code record} is null
     * @throws UnsupportedRecordException if the record's class cannot be stored, or the serializer fails
     *                                   on it; the record was not taken
     * @throws RecordTooLargeException   if the record can fit in neither tier even when both are empty
     * @throws StorageException          if a queue file could not be written; the record was not taken
     * @throws ChannelClosedException    if the channel is closed
     */
    public boolean offer(T record) {
        try {
            return machine.offer(record, false, 0);
        } catch (InterruptedException e) {
            throw new AssertionError("a non-blocking offer cannot be interrupted", e);
        }
    }

    /**
     * Accepts the record, waiting up to {@code timeout} for the consumer to free room. Under a drop
     * policy it never waits: it answers as {@link #offer(Object)} does.
     *
     * @param record  the record
     * @param timeout how long to wait for room
     * @param unit    the unit of {@code timeout}
     * @return {@code false} if no room appeared in time; the caller keeps the record (under a drop
     *         policy: it was dropped and counted)
     * @throws InterruptedException if interrupted while waiting; the record was not taken
     */
    public boolean offer(T record, long timeout, TimeUnit unit) throws InterruptedException {
        return machine.offer(record, true, unit.toNanos(timeout));
    }

    /**
     * Accepts the record, waiting as long as it takes for room. Under
     * {@link OverflowPolicy#DROP_OLDEST} it never waits and the record is accepted; under
     * {@link OverflowPolicy#DROP_NEWEST} it never waits and the record may be dropped (counted in
     * {@link ChannelStats#recordsDropped()}): use {@link #offer(Object)} to learn which.
     *
     * @param record the record
     * @throws InterruptedException   if interrupted while waiting; the record was not taken
     * @throws ChannelClosedException if the channel is closed, before or while waiting
     */
    public void send(T record) throws InterruptedException {
        machine.offer(record, true, Long.MAX_VALUE);
    }

    /**
     * Accepts records of {@code records}, in order, that memory or disk has room for now; never
     * blocks for room. While memory has room, runs of up to 256 records go in under one hold of
     * the producers' lock with one atomic update, so they are contiguous in the channel's order and
     * cost the consumer one hand-over; records that spill take the single-record path. Byte
     * accounting is per record, exactly as for {@link #offer(Object)}. Every record is checked
     * (null, a class the serializer cannot store) and weighed before the first one is placed, so a
     * weigher that throws leaves the whole list with the caller.
     *
     * @param records the records, in the order they are to be received
     * @return how many were accepted. Under {@link OverflowPolicy#BLOCK} they are the first ones of
     *         the list and the rest stay with the caller; under {@link OverflowPolicy#DROP_NEWEST}
     *         each record not accepted was dropped and counted in {@link ChannelStats#recordsDropped()}
     * @throws NullPointerException      if {@code records} or one of its elements is null; nothing was taken
     * @throws UnsupportedRecordException if a record's class cannot be stored; nothing was taken. Also if
     *                                   the serializer fails on a record bound for disk: the ones before
     *                                   it were taken
     * @throws RuntimeException          what the weigher throws, or {@link IllegalArgumentException} for a
     *                                   negative weight; nothing was taken
     * @throws RecordTooLargeException   if a record fits in neither tier; the ones before it were taken
     * @throws StorageException          if a queue file could not be written; the ones before it were taken
     * @throws ChannelClosedException    if the channel is closed
     */
    public int offerAll(List<? extends T> records) {
        Objects.requireNonNull(records, "records");
        try {
            return machine.offerAll(records, false, new int[1]);
        } catch (InterruptedException e) {
            throw new AssertionError("a non-blocking offer cannot be interrupted", e);
        }
    }

    /**
     * Sends every record of {@code records}, in order, waiting for room as {@link #send(Object)}
     * does; runs of records that fit in memory go in as {@link #offerAll(List)} places them.
     * Under a drop policy it never waits, as {@link #send(Object)}.
     *
     * @param records the records, in the order they are to be received
     * @throws BatchInterruptedException if interrupted while waiting; it says how many records, from
     *                                   the start of the list, were taken
     * @throws NullPointerException      if {@code records} or one of its elements is null; nothing was taken
     * @throws ChannelClosedException    if the channel is closed, before or while waiting
     */
    public void sendAll(List<? extends T> records) throws BatchInterruptedException {
        Objects.requireNonNull(records, "records");
        int[] accepted = new int[1];
        try {
            machine.offerAll(records, true, accepted);
        } catch (InterruptedException e) {
            BatchInterruptedException b = new BatchInterruptedException(accepted[0], records.size());
            b.initCause(e);
            throw b;
        }
    }

    /**
     * Forces the queue file being written to the storage device, unless the channel's
     * {@link SyncPolicy} is {@code NONE} (records are never buffered inside the process, so there is
     * nothing else to push). Records are visible to the receiver without it; this is about surviving
     * a power loss.
     *
     * @throws StorageException if forcing failed
     */
    public void flush() {
        machine.flush();
    }
}
