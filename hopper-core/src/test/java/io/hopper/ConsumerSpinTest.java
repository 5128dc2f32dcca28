package io.hopper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code consumerSpin}: a blocking receive spins on an empty channel, then parks, and in either
 * state takes every record a producer sends, whatever the gaps between records.
 */
class ConsumerSpinTest {

    @TempDir
    Path dir;

    @Test
    void theSpinIsValidated() {
        Hopper.Builder<String> b = Hopper.builder(String.class, dir.resolve("ch"));
        assertThrows(IllegalArgumentException.class, () -> b.consumerSpin(Duration.ofNanos(-1)));
        assertThrows(IllegalArgumentException.class, () -> b.consumerSpin(Duration.ofSeconds(1).plusNanos(1)));
        assertThrows(NullPointerException.class, () -> b.consumerSpin(null));
        b.consumerSpin(Duration.ZERO).consumerSpin(Duration.ofSeconds(1));
    }

    /** A consumer whose spin ran out parks (WAITING), and a send wakes it. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aConsumerWhoseSpinRanOutParksAndASendWakesIt() throws Exception {
        try (Channel<String> ch = Hopper.builder(String.class, dir.resolve("ch")).consumerSpin(Duration.ofMillis(1))
                .open()) {
            AtomicReference<String> got = new AtomicReference<>();
            Thread consumer = new Thread(() -> {
                try {
                    got.set(ch.receiver().receive());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            consumer.start();
            while (consumer.getState() != Thread.State.WAITING) { // spun 1 ms, then parked
                Thread.sleep(1);
            }
            ch.sender().send("wake up");
            consumer.join();
            assertEquals("wake up", got.get());
        }
    }

    @Test
    void aTimedPollShorterThanTheSpinStillEndsEmptyHanded() throws Exception {
        try (Channel<String> ch = Hopper.builder(String.class, dir.resolve("ch")).consumerSpin(Duration.ofSeconds(1))
                .open()) {
            assertNull(ch.receiver().poll(5, TimeUnit.MILLISECONDS));
            ch.sender().send("r");
            assertEquals("r", ch.receiver().poll(5, TimeUnit.MILLISECONDS));
        }
    }

    /**
     * Records sent with random gaps around the spin (none, shorter, longer): the consumer meets
     * each in its spin, in the announce-and-recheck window or parked, and must take every one in
     * order. A lost wake-up shows as a consumer that never returns (the timeout), not as a slow run.
     */
    @ParameterizedTest(name = "spin {0} µs")
    @ValueSource(ints = {0, 5, 20})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyRecordArrivesWhateverTheGapsBetweenThem(int spinMicros) throws Exception {
        long seed = Long.getLong("hopper.spin.seed", new SplittableRandom().nextLong());
        System.out.println("ConsumerSpinTest seed " + seed + " (spin " + spinMicros + " µs; replay: -Dhopper.spin.seed="
                + seed + ")");
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 20_000;
        long[] gaps = new long[n];
        for (int i = 0; i < n; i++) {
            int kind = rnd.nextInt(4);
            gaps[i] = kind == 0 ? 0 : kind == 1 ? rnd.nextLong(2_000) : kind == 2 ? rnd.nextLong(40_000) : rnd.nextLong(200_000);
        }
        try (Channel<Long> ch = Hopper.builder(Long.class, dir.resolve("ch"))
                .consumerSpin(Duration.ofNanos(spinMicros * 1000L)).open()) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread producer = new Thread(() -> {
                try {
                    for (int i = 0; i < n; i++) {
                        long until = System.nanoTime() + gaps[i];
                        while (System.nanoTime() < until) {
                            Thread.onSpinWait();
                        }
                        ch.sender().send((long) i);
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            producer.start();
            for (long i = 0; i < n; i++) {
                assertEquals(i, ch.receiver().receive(), "seed " + seed);
            }
            producer.join();
            assertNull(failure.get());
            assertTrue(ch.receiver().poll() == null);
        }
    }
}
