package io.hopper.examples;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The downstream the events are shipped to, and a deliberately unreliable one: it is fast while
 * it is up, and it stops answering for {@code stall} out of every {@code period}, the way a
 * database under a lock or a collector being redeployed does. It also checks what it is given:
 * each client's sequence numbers must arrive complete and in order.
 */
final class FlakySink {
    private final long startNanos = System.nanoTime();
    private final long firstStallNanos;
    private final long periodNanos;
    private final long stallNanos;
    private final Map<String, Long> nextSeq = new HashMap<>();
    private volatile long delivered;
    private volatile String firstProblem;

    FlakySink(long firstStallMillis, long periodMillis, long stallMillis) {
        this.firstStallNanos = TimeUnit.MILLISECONDS.toNanos(firstStallMillis);
        this.periodNanos = TimeUnit.MILLISECONDS.toNanos(periodMillis);
        this.stallNanos = TimeUnit.MILLISECONDS.toNanos(stallMillis);
    }

    /** Whether the sink is in a stall at this moment. */
    boolean stalled() {
        long t = System.nanoTime() - startNanos - firstStallNanos;
        return t >= 0 && t % periodNanos < stallNanos;
    }

    /** Ships one event ({@code "<client> <seq> <payload>"}), waiting out a stall first. Single consumer thread. */
    void deliver(String event) throws InterruptedException {
        while (stalled()) {
            Thread.sleep(20);
        }
        int a = event.indexOf(' ');
        int b = event.indexOf(' ', a + 1);
        String client = event.substring(0, a);
        long seq = Long.parseLong(event.substring(a + 1, b));
        long expected = nextSeq.getOrDefault(client, 0L);
        if (seq != expected && firstProblem == null) {
            firstProblem = client + ": expected event " + expected + ", got " + seq;
        }
        nextSeq.put(client, seq + 1);
        delivered++; // single writer: the consumer thread
    }

    /** Events delivered so far. */
    long delivered() {
        return delivered;
    }

    /** The first gap or reordering seen, or null when every client's events arrived in order. */
    String firstProblem() {
        return firstProblem;
    }

    /** Events delivered from {@code client}. Call after the consumer has stopped. */
    long deliveredFrom(String client) {
        return nextSeq.getOrDefault(client, 0L);
    }
}
