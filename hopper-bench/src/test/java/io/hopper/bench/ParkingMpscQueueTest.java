package io.hopper.bench;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The benchmark's JCTools adapter loses no element and no wake-up, so its numbers compare like for like. */
class ParkingMpscQueueTest {

    @Test
    void producersAndAParkingConsumerMoveEverythingInPerProducerOrder() throws Exception {
        ParkingMpscQueue<Long> q = new ParkingMpscQueue<>(64);
        int producers = 3;
        int each = 100_000;
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            long id = p;
            Thread t = new Thread(() -> {
                for (long i = 0; i < each; i++) {
                    q.put((id << 32) | i);
                    if (i % 10_000 == 0) {
                        Thread.yield(); // let the consumer drain and park now and then
                    }
                }
            });
            threads.add(t);
            t.start();
        }
        long[] next = new long[producers];
        for (int i = 0; i < producers * each; i++) {
            long v = q.take();
            int p = (int) (v >>> 32);
            assertEquals(next[p], v & 0xffffffffL, "producer " + p);
            next[p]++;
        }
        for (Thread t : threads) {
            t.join(60_000);
            assertFalse(t.isAlive());
        }
        assertEquals(0, q.size());
    }
}
