package io.hopper;

import java.util.AbstractQueue;
import java.util.Collection;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The {@link BlockingQueue} face of a {@link Channel}; see {@link Channel#asBlockingQueue()} for
 * the contract. Stateless: every call goes straight to the channel's sender or receiver, so any
 * number of views of one channel are the same queue.
 */
final class ChannelQueue<T> extends AbstractQueue<T> implements BlockingQueue<T> {
    private static final String NO_IN_PLACE = "a hopper channel can only be consumed from its head:"
            + " records further in may be in compressed queue files; use poll(), take() or drainTo()";

    private final Channel<T> channel;

    ChannelQueue(Channel<T> channel) {
        this.channel = channel;
    }

    @Override
    public boolean offer(T e) {
        return channel.sender().offer(e);
    }

    @Override
    public boolean offer(T e, long timeout, TimeUnit unit) throws InterruptedException {
        return channel.sender().offer(e, timeout, unit);
    }

    @Override
    public void put(T e) throws InterruptedException {
        channel.sender().send(e);
    }

    @Override
    public T poll() {
        return channel.receiver().poll();
    }

    @Override
    public T poll(long timeout, TimeUnit unit) throws InterruptedException {
        return channel.receiver().poll(timeout, unit);
    }

    @Override
    public T take() throws InterruptedException {
        return channel.receiver().receive();
    }

    @Override
    public int drainTo(Collection<? super T> c) {
        return drainTo(c, Integer.MAX_VALUE);
    }

    @Override
    public int drainTo(Collection<? super T> c, int maxElements) {
        Objects.requireNonNull(c, "c");
        if (c == this) {
            throw new IllegalArgumentException("cannot drain a queue into itself");
        }
        if (maxElements <= 0) {
            return 0;
        }
        return channel.receiver().drainTo(c, maxElements);
    }

    /** Records in memory and on disk, not yet received; an estimate under concurrent use. */
    @Override
    public int size() {
        return (int) Math.min(Integer.MAX_VALUE, channel.queuedRecords());
    }

    @Override
    public boolean isEmpty() {
        return channel.queuedRecords() == 0;
    }

    /**
     * An estimate of how many more records of the size seen so far fit in memory and on disk
     * (see {@link Channel#asBlockingQueue()}); the budgets are in bytes, not records.
     */
    @Override
    public int remainingCapacity() {
        return (int) Math.min(Integer.MAX_VALUE, channel.remainingCapacityEstimate());
    }

    /** Receives and discards every record available now. */
    @Override
    public void clear() {
        while (channel.receiver().poll() != null) {
            // discard
        }
    }

    /** The head without taking it ({@link Receiver#peek()}): the next take returns it, decoded once. */
    @Override
    public T peek() {
        return channel.receiver().peek();
    }

    @Override
    public Iterator<T> iterator() {
        throw new UnsupportedOperationException(NO_IN_PLACE);
    }

    @Override
    public boolean remove(Object o) {
        throw new UnsupportedOperationException(NO_IN_PLACE);
    }

    @Override
    public boolean contains(Object o) {
        throw new UnsupportedOperationException(NO_IN_PLACE);
    }

    @Override
    public Object[] toArray() {
        throw new UnsupportedOperationException(NO_IN_PLACE);
    }

    @Override
    public <A> A[] toArray(A[] a) {
        throw new UnsupportedOperationException(NO_IN_PLACE);
    }

    @Override
    public boolean removeAll(Collection<?> c) {
        throw new UnsupportedOperationException(NO_IN_PLACE);
    }

    @Override
    public boolean retainAll(Collection<?> c) {
        throw new UnsupportedOperationException(NO_IN_PLACE);
    }

    @Override
    public boolean containsAll(Collection<?> c) {
        throw new UnsupportedOperationException(NO_IN_PLACE);
    }

    @Override
    public String toString() {
        ChannelStats st = channel.stats();
        return "hopper channel " + channel.directory() + " (" + size() + " queued: " + st.recordsInMemory()
                + " in memory, " + st.recordsOnDisk() + " on disk)";
    }
}
