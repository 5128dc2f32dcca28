package io.hopper.bench;

import org.jctools.queues.MpscArrayQueue;

import java.util.AbstractQueue;
import java.util.Collection;
import java.util.Iterator;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * JCTools' lock-free {@link MpscArrayQueue} made comparable with blocking queues: the single
 * consumer parks when the queue is empty instead of spinning (which would burn the core a
 * producer needs on a small machine), and producers wake it only when it announced it parks.
 * A producer facing a full queue spins, then yields; JCTools offers no blocking put.
 *
 * <p>No lost wake-up: the consumer sets {@code waiting} (volatile) and then polls again before
 * parking; a producer offers (a volatile store in JCTools) and then reads {@code waiting}. Both
 * orders are sequentially consistent, so either the consumer's second poll sees the element or
 * the producer sees the flag and unparks. Only the benchmark's {@code put}/{@code take} path is
 * supported.
 */
public final class ParkingMpscQueue<E> extends AbstractQueue<E> implements BlockingQueue<E> {
    private final MpscArrayQueue<E> queue;
    /** The consumer announced it is about to park. Written by the consumer, read by producers. */
    private volatile boolean waiting;
    /** The consumer thread; set by it before it first announces. */
    private volatile Thread consumer;

    public ParkingMpscQueue(int capacity) {
        this.queue = new MpscArrayQueue<>(capacity);
    }

    @Override
    public void put(E e) {
        int spins = 0;
        while (!queue.offer(e)) {
            if (++spins < 128) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        if (waiting) {
            LockSupport.unpark(consumer);
        }
    }

    @Override
    public E take() throws InterruptedException {
        E e = queue.poll();
        if (e != null) {
            return e;
        }
        consumer = Thread.currentThread();
        for (;;) {
            waiting = true;
            e = queue.poll();
            if (e != null) {
                waiting = false;
                return e;
            }
            LockSupport.park(this);
            waiting = false;
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            e = queue.poll();
            if (e != null) {
                return e;
            }
        }
    }

    @Override
    public boolean offer(E e) {
        boolean ok = queue.offer(e);
        if (ok && waiting) {
            LockSupport.unpark(consumer);
        }
        return ok;
    }

    @Override
    public E poll() {
        return queue.poll();
    }

    @Override
    public E peek() {
        return queue.peek();
    }

    @Override
    public int size() {
        return queue.size();
    }

    @Override
    public int remainingCapacity() {
        return queue.capacity() - queue.size();
    }

    @Override
    public boolean offer(E e, long timeout, TimeUnit unit) {
        throw new UnsupportedOperationException("benchmark adapter: put/take only");
    }

    @Override
    public E poll(long timeout, TimeUnit unit) {
        throw new UnsupportedOperationException("benchmark adapter: put/take only");
    }

    @Override
    public int drainTo(Collection<? super E> c) {
        throw new UnsupportedOperationException("benchmark adapter: put/take only");
    }

    @Override
    public int drainTo(Collection<? super E> c, int maxElements) {
        throw new UnsupportedOperationException("benchmark adapter: put/take only");
    }

    @Override
    public Iterator<E> iterator() {
        throw new UnsupportedOperationException("benchmark adapter: put/take only");
    }
}
