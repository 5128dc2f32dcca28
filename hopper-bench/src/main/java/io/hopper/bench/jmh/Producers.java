package io.hopper.bench.jmh;

import io.hopper.Channel;

import java.util.concurrent.BlockingQueue;

/** Starts the producer threads of one benchmark invocation: each sends its share of records by a blocking send. */
final class Producers {
    private Producers() {
    }

    /**
     * Starts {@code producers} threads that each send {@code perProducer} records taken from
     * {@code records} (its length a power of two), into {@code channel} if it is not null, else into
     * {@code queue}. The caller joins them.
     */
    static Thread[] start(int producers, int perProducer, byte[][] records, Channel<byte[]> channel,
                          BlockingQueue<byte[]> queue) {
        int mask = records.length - 1;
        if ((records.length & mask) != 0) {
            throw new IllegalArgumentException("records.length must be a power of two: " + records.length);
        }
        Thread[] threads = new Thread[producers];
        for (int p = 0; p < producers; p++) {
            int id = p;
            threads[p] = new Thread(() -> {
                try {
                    for (int i = 0; i < perProducer; i++) {
                        byte[] r = records[(id * 131 + i) & mask];
                        if (channel != null) {
                            channel.sender().send(r);
                        } else {
                            queue.put(r);
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "bench-producer-" + p);
            threads[p].start();
        }
        return threads;
    }
}
