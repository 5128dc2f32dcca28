package io.hopper;

import io.hopper.testkit.TestDirs;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The original crate's repeat-loop test: one producer and one consumer thread through budgets so
 * small that almost every record pages to disk, thousands of times, hammering the same spot to
 * shake out scheduling-dependent bugs. Loops: {@code -Dhopper.repeat.loops} (default 2,500).
 */
@org.junit.jupiter.api.Timeout(value = 2, unit = java.util.concurrent.TimeUnit.HOURS) // -Pstress runs long
class RepeatLoopTest {

    private static final int LOOPS = Integer.getInteger("hopper.repeat.loops", 2_500);

    @Test
    void singleSenderSingleReceiverRoundTripRepeatedly() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int loop = 0; loop < LOOPS; loop++) {
                StorageBackend storage = loop % 2 == 0 ? StorageBackend.FILE_CHANNEL : StorageBackend.CHRONICLE_BYTES;
                roundTrip(pool, storage, loop);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static void roundTrip(ExecutorService pool, StorageBackend storage, int loop) throws Exception {
        Path dir = TestDirs.create();
        // One 8-byte record of memory, five tiny queue files, ten records: the original's (8, 8, 5, 10).
        try (Channel<Long> ch = Hopper.builder(Long.class, dir)
                .storage(storage)
                .inMemoryBytes(8).weigher(x -> 8)
                .diskBytes(5 * 128).maxDiskFiles(5)
                .open()) {
            int total = 10;
            Future<?> producer = pool.submit(() -> {
                for (long i = 0; i < total; i++) {
                    ch.sender().send(i);
                }
                return null;
            });
            Future<?> consumer = pool.submit(() -> {
                for (long i = 0; i < total; i++) {
                    assertEquals(i, ch.receiver().receive(), "loop " + loop);
                }
                return null;
            });
            producer.get(30, TimeUnit.SECONDS);
            consumer.get(30, TimeUnit.SECONDS);
            assertEquals(null, ch.receiver().poll());
        } finally {
            TestDirs.delete(dir);
        }
    }
}
