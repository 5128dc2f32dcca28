package io.hopper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sender at its boundaries: weights of zero and of exactly the budget, and interrupts with room to spare. */
class SenderEdgeTest {

    @TempDir
    Path dir;

    @Test
    void aWeightlessRecordIsAcceptedInMemory() throws Exception {
        try (Channel<String> ch = Hopper.builder(String.class, dir).inMemoryBytes(100).weigher(s -> 0).open()) {
            assertTrue(ch.sender().offer("free"));
            assertEquals(1, ch.stats().recordsInMemory());
            assertEquals(0, ch.stats().bytesInMemory());
            assertEquals("free", ch.receiver().poll());
        }
    }

    @Test
    void aRecordWeighingExactlyTheBudgetIsHeldInMemoryAndOneByteMoreGoesToDisk() throws Exception {
        try (Channel<String> ch = Hopper.builder(String.class, dir).inMemoryBytes(100)
                .weigher(s -> s.length()).open()) {
            String exact = "x".repeat(100);
            assertTrue(ch.sender().offer(exact));
            assertEquals(1, ch.stats().recordsInMemory());
            assertEquals(100, ch.stats().bytesInMemory());
            assertEquals(0, ch.stats().recordsSpilled());
            assertEquals(exact, ch.receiver().poll());
            String over = "y".repeat(101);
            assertTrue(ch.sender().offer(over));
            assertEquals(1, ch.stats().recordsSpilled(), "heavier than the whole budget: straight to disk");
            assertEquals(over, ch.receiver().poll());
        }
    }

    @Test
    void aNegativeWeightIsTheWeighersBugAndSaysSo() throws Exception {
        try (Channel<String> ch = Hopper.builder(String.class, dir).weigher(s -> -1).open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ch.sender().offer("a"));
            assertTrue(e.getMessage().contains("-1"), e.getMessage());
            assertEquals(0, ch.stats().recordsInMemory());
        }
    }

    @Test
    void anInterruptedBlockingSendThrowsEvenWithRoomAndLeavesNothingBehind() throws Exception {
        try (Channel<String> ch = Hopper.builder(String.class, dir).open()) {
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> ch.sender().send("a"));
            assertFalse(Thread.interrupted(), "the exception consumed the interrupt, as BlockingQueue.put does");
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class,
                    () -> ch.sender().offer("b", 1, java.util.concurrent.TimeUnit.SECONDS));
            Thread.interrupted();
            assertEquals(0, ch.stats().recordsInMemory());
            // A non-blocking offer does not look at the interrupt, and leaves it set.
            Thread.currentThread().interrupt();
            try {
                assertTrue(ch.sender().offer("c"));
                assertTrue(Thread.currentThread().isInterrupted());
            } finally {
                Thread.interrupted();
            }
            assertEquals("c", ch.receiver().poll());
        }
    }

    @Test
    void anInterruptedBlockingReceiveThrowsEvenWithARecordWaiting() throws Exception {
        try (Channel<String> ch = Hopper.builder(String.class, dir).open()) {
            ch.sender().offer("a");
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> ch.receiver().receive());
            assertEquals("a", ch.receiver().poll(), "the record stayed for the next receive");
        }
    }

    @Test
    void aWeightOfExactlyIntegerMaxValueStillFitsInALargeMemoryTier() throws Exception {
        try (Channel<String> ch = Hopper.builder(String.class, dir).inMemoryBytes(4L << 30).inMemoryRecords(64)
                .weigher(s -> Integer.MAX_VALUE).open()) {
            assertTrue(ch.sender().offer("heavy"));
            assertEquals(1, ch.stats().recordsInMemory());
            assertEquals(Integer.MAX_VALUE, ch.stats().bytesInMemory());
        }
    }

    @Test
    void aFrameOfExactlyTheFileCapacityIsAcceptedAndOneByteMoreIsNot() throws Exception {
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).inMemoryBytes(0)
                .serializer(new io.hopper.internal.codec.RawBytes()).compression(Compression.NONE)
                .storage(StorageBackend.FILE_CHANNEL).diskBytes(2 * 4096).maxDiskFiles(2).open()) {
            int maxPayload = (int) io.hopper.internal.segment.SegmentFormat.maxPayload(4096);
            assertTrue(ch.sender().offer(new byte[maxPayload]));
            RecordTooLargeException e = assertThrows(RecordTooLargeException.class,
                    () -> ch.sender().offer(new byte[maxPayload + 1]));
            assertEquals(maxPayload + 1 + io.hopper.internal.segment.SegmentFormat.FRAME_HEADER_BYTES,
                    e.encodedBytes());
            assertEquals(maxPayload, ch.receiver().poll().length);
        }
    }

    @Test
    void withSyncAlwaysASendReturnsOnlyOnceItsRecordIsForcedEvenWhenItWakesTheConsumer() throws Exception {
        try (Channel<Long> ch = Hopper.builder(Long.class, dir).durability(Durability.WRITE_THROUGH)
                .syncPolicy(SyncPolicy.ALWAYS).open()) {
            java.util.concurrent.CompletableFuture<Long> consumer = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> {
                        try {
                            return ch.receiver().receive();
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    });
            Thread.sleep(100); // let it park, so the send takes the wake-up path
            ch.sender().send(7L);
            assertTrue(ch.stats().forces() >= 1, "returned before the record was forced");
            assertEquals(7L, consumer.get(10, java.util.concurrent.TimeUnit.SECONDS));
        }
    }
}
