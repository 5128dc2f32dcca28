package io.hopper;

import io.hopper.internal.receiver.ReceiverMachine;

import java.util.Collection;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The consuming end of a channel. Meant for one consumer thread; calls from several threads are
 * safe (they take turns on the receiver's lock) but then no thread sees the whole order.
 *
 * <p>Records come back in send order per producer, memory and disk records interleaved exactly as
 * they were sent. Queue files are deleted as soon as they are fully read. A damaged frame in a
 * queue file is skipped and counted ({@link ChannelStats#corruptFramesSkipped()},
 * {@link ChannelStats#recordsLost()}), never returned.
 *
 * <p><b>Interrupts</b>, as in the JDK's blocking queues: {@link #receive()}, the timed
 * {@link #poll(long, TimeUnit)} and the iterator's {@code hasNext()} throw
 * {@link InterruptedException} when the thread is interrupted before or while they wait, and no
 * record is taken; {@link #poll()}, {@link #peek()}, {@link #drainTo}, {@link #commit()} and
 * {@link #position()} complete normally whatever the interrupt status, and leave it set. An
 * interrupt never makes a record be skipped, counted as damage, or delivered twice.
 *
 * <p>A queue file that cannot be read (an I/O error, not damage) makes the call throw
 * {@link StorageException} with nothing taken and nothing skipped: the next call reads it again
 * ({@link #drainTo} returns the records it moved before the failure, and the next call throws).
 *
 * @param <T> the record type
 */
public final class Receiver<T> implements Iterable<T> {
    private final ReceiverMachine<T> machine;

    Receiver(ReceiverMachine<T> machine) {
        this.machine = machine;
    }

    /**
     * Takes the next record, waiting for one as long as it takes.
     *
     * @return the record
     * @throws InterruptedException   if interrupted while waiting
     * @throws ChannelClosedException if the channel is closed, before or while waiting
     */
    public T receive() throws InterruptedException {
        return machine.poll(true, Long.MAX_VALUE);
    }

    /**
     * Takes the next record if one is available now.
     *
     * @return the record, or {@code null} if none is available now
     * @throws ChannelClosedException if the channel is closed
     */
    public T poll() {
        try {
            return machine.poll(false, 0);
        } catch (InterruptedException e) {
            throw new AssertionError("a non-blocking poll cannot be interrupted", e);
        }
    }

    /**
     * Takes the next record, waiting up to {@code timeout} for one.
     *
     * @param timeout how long to wait
     * @param unit    the unit of {@code timeout}
     * @return the record, or {@code null} on timeout
     * @throws InterruptedException if interrupted while waiting
     */
    public T poll(long timeout, TimeUnit unit) throws InterruptedException {
        return machine.poll(true, unit.toNanos(timeout));
    }

    /**
     * The next record without taking it, if one is available now: the next {@code receive},
     * {@code poll} or {@code drainTo} returns this same instance first. A record from disk is
     * decoded once; until it is taken, the read position stays before it (a {@link #commit()} or a
     * close does not count it as consumed).
     *
     * @return the head, or {@code null} if none is available now
     * @throws ChannelClosedException if the channel is closed
     */
    public T peek() {
        return machine.peek();
    }

    /**
     * Moves up to {@code max} records that are available now into {@code sink}, in order, without
     * waiting. A record the sink refuses (its {@code add} throws) stays the head of the channel, and
     * the sink's exception reaches the caller (the records added before it were taken).
     *
     * @param sink receives the records, in order
     * @param max  the most records to move
     * @return how many were moved
     */
    public int drainTo(Collection<? super T> sink, int max) {
        Objects.requireNonNull(sink, "sink");
        if (max < 0) {
            throw new IllegalArgumentException("max must not be negative: " + max);
        }
        return machine.drainTo(sink, max);
    }

    /**
     * Durably marks every record received so far as consumed: after a restart (or a crash) the
     * channel resumes after it. Under {@link CommitMode#AUTO} the channel also commits on its own
     * (at close, before deleting a consumed queue file, and at most once a second while reading
     * from disk); under {@link CommitMode#MANUAL} only this and {@link #commit(long)} move it.
     * Records held in memory are not covered by a commit: a crash loses them (see docs/guarantees.md).
     *
     * @throws StorageException       if the position could not be written
     * @throws ChannelClosedException if the channel is closed
     */
    public void commit() {
        machine.commit(machine.position());
    }

    /**
     * Durably marks the records before {@code position} as consumed, for a consumer whose records
     * are still in flight after {@code receive} returned: take {@link #position()} after each
     * receive and commit it once that record and every one before it are done. A position at or
     * before the last commit changes nothing (the committed position never moves back).
     *
     * @param position a value {@link #position()} returned
     * @throws IllegalArgumentException if {@code position} lies past the records received so far
     * @throws StorageException         if the position could not be written
     * @throws ChannelClosedException   if the channel is closed
     */
    public void commit(long position) {
        machine.commit(position);
    }

    /**
     * The position just after the last record received: committing it ({@link #commit(long)})
     * marks that record and everything received before it as consumed. Call it on the consumer
     * thread, right after the receive it refers to. Records that stayed in memory share the
     * position of the disk record before them (see {@link CommitMode#MANUAL}).
     *
     * @return an opaque, non-decreasing position in the channel's stream
     */
    public long position() {
        return machine.position();
    }

    /**
     * A blocking iterator: {@code hasNext()} waits for the next record and returns {@code false}
     * only once the channel is closed.
     *
     * @throws OperationInterruptedException from {@code hasNext()} if the thread is interrupted
     *                                       while waiting (its interrupt status is set again)
     */
    @Override
    public Iterator<T> iterator() {
        return new Iterator<>() {
            private T next;

            @Override
            public boolean hasNext() {
                if (next != null) {
                    return true;
                }
                try {
                    next = machine.poll(true, Long.MAX_VALUE);
                    return true;
                } catch (ChannelClosedException e) {
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new OperationInterruptedException("interrupted while waiting for a record", e);
                }
            }

            @Override
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("channel closed");
                }
                T t = next;
                next = null;
                return t;
            }
        };
    }
}
