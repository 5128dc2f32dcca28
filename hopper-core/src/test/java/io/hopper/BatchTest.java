package io.hopper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Sender#offerAll}, {@link Sender#sendAll} and the batched {@link Receiver#drainTo}. */
@Timeout(value = 2, unit = TimeUnit.MINUTES) // a hang guard, not a timing assertion
class BatchTest {

    @TempDir
    Path dir;

    private Channel<Long> open(long memBytes, long diskBytes, int files, OverflowPolicy policy) throws Exception {
        return Hopper.builder(Long.class, dir.resolve("ch")).inMemoryBytes(memBytes).weigher(x -> 8)
                .diskBytes(diskBytes).maxDiskFiles(files).overflow(policy).open();
    }

    private static List<Long> range(long from, long to) {
        return LongStream.range(from, to).boxed().toList();
    }

    @Test
    void aBatchGoesInWholeAndItsBytesAreChargedExactly() throws Exception {
        try (Channel<Long> ch = Hopper.builder(Long.class, dir.resolve("ch")).inMemoryBytes(1 << 20)
                .weigher(x -> 8 + x % 5).open()) {
            List<Long> batch = range(0, 1000);
            assertEquals(1000, ch.sender().offerAll(batch));
            long bytes = batch.stream().mapToLong(x -> 8 + x % 5).sum();
            assertEquals(bytes, ch.stats().bytesInMemory(), "charged per record, as offer does");
            assertEquals(1000, ch.stats().recordsInMemory());
            List<Long> out = new ArrayList<>();
            assertEquals(1000, ch.receiver().drainTo(out, Integer.MAX_VALUE));
            assertEquals(batch, out);
            assertEquals(0, ch.stats().bytesInMemory(), "all released");
            assertEquals(0, ch.asBlockingQueue().size());
        }
    }

    @Test
    void underBlockOfferAllTakesAPrefixAndTheRestStaysWithTheCaller() throws Exception {
        try (Channel<Long> ch = open(8 * 10, 2 * 4096, 2, OverflowPolicy.BLOCK)) {
            List<Long> batch = range(0, 2000);
            int taken = ch.sender().offerAll(batch);
            assertTrue(taken > 10 && taken < 2000, "memory, then disk, then full: " + taken);
            assertEquals(taken, ch.asBlockingQueue().size());
            assertEquals(0, ch.sender().offerAll(batch.subList(taken, 2000)), "still full: nothing taken");
            assertEquals(0, ch.stats().recordsDropped(), "BLOCK counts nothing as dropped");
            for (long i = 0; i < taken; i++) {
                assertEquals(i, ch.receiver().poll(), "in order through both tiers");
            }
            assertNull(ch.receiver().poll());
        }
    }

    @Test
    void aBatchThatSpillsKeepsItsOrderAcrossTheTiers() throws Exception {
        try (Channel<Long> ch = open(8 * 16, 1 << 20, 4, OverflowPolicy.BLOCK)) {
            ch.sender().sendAll(range(0, 100));
            ch.sender().sendAll(range(100, 3000));
            assertTrue(ch.stats().recordsSpilled() > 0, ch.stats().toString());
            for (long i = 0; i < 3000; i++) {
                assertEquals(i, ch.receiver().poll());
            }
        }
    }

    @Test
    void underDropNewestEveryRecordNotTakenIsCounted() throws Exception {
        try (Channel<Long> ch = open(8 * 10, 2 * 4096, 2, OverflowPolicy.DROP_NEWEST)) {
            int taken = ch.sender().offerAll(range(0, 2000));
            assertTrue(taken < 2000);
            assertEquals(2000 - taken, ch.stats().recordsDropped());
            ch.sender().sendAll(range(2000, 2010)); // never waits
            assertEquals(2010 - taken, ch.stats().recordsDropped());
        }
    }

    @Test
    void aNullOrUnstorableElementRefusesTheWholeBatch() throws Exception {
        try (Channel<Long> ch = open(1 << 20, 1 << 20, 4, OverflowPolicy.BLOCK)) {
            List<Long> withNull = new ArrayList<>(range(0, 10));
            withNull.set(7, null);
            NullPointerException e = assertThrows(NullPointerException.class, () -> ch.sender().offerAll(withNull));
            assertTrue(e.getMessage().contains("index 7"), e.getMessage());
            assertEquals(0, ch.asBlockingQueue().size(), "nothing taken");
        }
    }

    @Test
    void anInterruptedSendAllSaysHowManyItTook() throws Exception {
        try (Channel<Long> ch = open(8 * 10, 2 * 4096, 2, OverflowPolicy.BLOCK)) {
            Thread.currentThread().interrupt();
            BatchInterruptedException e = assertThrows(BatchInterruptedException.class,
                    () -> ch.sender().sendAll(range(0, 5000)));
            assertTrue(e.accepted() > 0 && e.accepted() < 5000, "the prefix that fit: " + e.accepted());
            assertEquals(e.accepted(), ch.asBlockingQueue().size());
            for (long i = 0; i < e.accepted(); i++) {
                assertEquals(i, ch.receiver().poll());
            }
        }
    }

    @Test
    void concurrentBatchesInMemoryEachArriveContiguousAndInOrder() throws Exception {
        int producers = 4;
        int batches = 200;
        int size = 64;
        try (Channel<Long> ch = open(64L << 20, 1 << 20, 4, OverflowPolicy.BLOCK)) {
            CountDownLatch start = new CountDownLatch(1);
            List<CompletableFuture<Void>> sends = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                long id = p;
                sends.add(CompletableFuture.runAsync(() -> {
                    try {
                        start.await();
                        for (int b = 0; b < batches; b++) {
                            long base = (id << 32) | ((long) b * size);
                            ch.sender().sendAll(range(base, base + size));
                        }
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            start.countDown();
            List<Long> got = new ArrayList<>();
            while (got.size() < producers * batches * size) {
                if (ch.receiver().drainTo(got, 1000) == 0) {
                    Long v = ch.receiver().poll(10, TimeUnit.SECONDS);
                    assertTrue(v != null, "records stopped coming");
                    got.add(v);
                }
            }
            for (CompletableFuture<Void> f : sends) {
                f.get();
            }
            Map<Long, Long> next = new HashMap<>();
            for (int i = 0; i < got.size(); i += size) {
                long first = got.get(i);
                long producer = first >>> 32;
                assertEquals(next.getOrDefault(producer, 0L), first & 0xffffffffL, "producer order");
                for (int j = 1; j < size; j++) {
                    assertEquals(first + j, got.get(i + j), "a batch placed in memory is contiguous");
                }
                next.put(producer, (first & 0xffffffffL) + size);
            }
        }
    }

    @Test
    void aRecordTheSinkRefusesStaysTheHeadAndOnlyWhatItTookIsFreed() throws Exception {
        try (Channel<Long> ch = open(1 << 20, 1 << 20, 4, OverflowPolicy.BLOCK)) {
            ch.sender().offerAll(range(0, 100));
            Collection<Long> refusesAt30 = new ArrayList<>() {
                @Override
                public boolean add(Long v) {
                    if (size() == 30) {
                        throw new IllegalStateException("sink full");
                    }
                    return super.add(v);
                }
            };
            assertThrows(IllegalStateException.class, () -> ch.receiver().drainTo(refusesAt30, 100));
            assertEquals(range(0, 30), new ArrayList<>(refusesAt30));
            assertEquals(70, ch.asBlockingQueue().size());
            assertEquals(70 * 8, ch.stats().bytesInMemory(), "only the 30 taken were freed");
            assertEquals(30L, ch.receiver().poll(), "the refused record is the head");
        }
    }

    @Test
    void drainToStopsAtADiskMarkerAndContinuesFromDiskInOrder() throws Exception {
        try (Channel<Long> ch = open(8 * 32, 1 << 20, 4, OverflowPolicy.BLOCK)) {
            ch.sender().offerAll(range(0, 20));
            ch.sender().offerAll(range(20, 200)); // memory fills: a run on disk, then memory again as it drains
            List<Long> out = new ArrayList<>();
            long sent = 200;
            while (out.size() < 400) {
                int moved = ch.receiver().drainTo(out, 7);
                assertTrue(moved > 0, "records are available");
                if (sent < 400) { // more batches while the consumer is between memory and disk
                    assertEquals(20, ch.sender().offerAll(range(sent, sent + 20)));
                    sent += 20;
                }
            }
            assertEquals(range(0, 400), out);
            assertTrue(ch.stats().recordsSpilled() > 0, ch.stats().toString());
            assertEquals(0, ch.sender().offerAll(List.of()), "an empty batch takes nothing");
        }
    }
}
