package io.hopper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When queue files are forced to the device, per sync policy (counted in {@link ChannelStats#forces()}). */
class SyncPolicyTest {

    @TempDir
    Path tmp;

    private Channel<Long> open(SyncPolicy policy, Durability durability) throws Exception {
        return Hopper.builder(Long.class, tmp.resolve("ch")).syncPolicy(policy).durability(durability)
                .inMemoryBytes(0).diskBytes(64L << 20).maxDiskFiles(4)
                .open();
    }

    @Test
    void noneNeverForces() throws Exception {
        try (Channel<Long> ch = open(SyncPolicy.NONE, Durability.WRITE_THROUGH)) {
            for (long i = 0; i < 100; i++) {
                ch.sender().send(i);
            }
            ch.sender().flush();
            assertEquals(0, ch.stats().forces());
        }
    }

    @Test
    void everyNForcesOncePerNRecordsAndOnFlush() throws Exception {
        try (Channel<Long> ch = open(SyncPolicy.every(10), Durability.WRITE_THROUGH)) {
            for (long i = 0; i < 100; i++) {
                ch.sender().send(i);
            }
            assertEquals(10, ch.stats().forces());
            ch.sender().flush();
            assertEquals(11, ch.stats().forces());
        }
    }

    @Test
    void alwaysForcesBeforeEachSendReturnsAndSharesForcesAmongProducers() throws Exception {
        try (Channel<Long> ch = open(SyncPolicy.ALWAYS, Durability.WRITE_THROUGH)) {
            ch.sender().send(0L);
            assertEquals(1, ch.stats().forces(), "the first send returned after one force");
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                Future<?>[] f = new Future<?>[4];
                for (int p = 0; p < 4; p++) {
                    long base = 1 + p * 1000L;
                    f[p] = pool.submit(() -> {
                        for (long i = 0; i < 200; i++) {
                            ch.sender().send(base + i);
                        }
                        return null;
                    });
                }
                for (Future<?> x : f) {
                    x.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            long forces = ch.stats().forces();
            assertTrue(forces >= 1 && forces <= 801, "forces " + forces);
            System.out.printf("SyncPolicy.ALWAYS: 801 sends from 4 producers needed %d forces (group commit)%n", forces);
        }
    }

    @Test
    void intervalForcesInTheBackgroundWhileRecordsAreUnforced() throws Exception {
        try (Channel<Long> ch = open(SyncPolicy.interval(Duration.ofMillis(20)), Durability.WRITE_THROUGH)) {
            ch.sender().send(1L);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (ch.stats().forces() == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(ch.stats().forces() >= 1, "the timer forced the unforced record");
            long after = ch.stats().forces();
            // Nothing new to force: the timer keeps quiet (checked over many timer periods).
            for (int i = 0; i < 10; i++) {
                ch.sender().flush(); // flush forces too, counted; the timer must not add to it
            }
            assertEquals(after + 10, ch.stats().forces());
        }
    }

    @Test
    void invalidPoliciesAreRejectedNamingTheProblem() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SyncPolicy.every(0)).getMessage().contains("every"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SyncPolicy.interval(Duration.ZERO))
                .getMessage().contains("interval"));
    }
}
