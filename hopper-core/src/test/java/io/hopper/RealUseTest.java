package io.hopper;

import io.hopper.testkit.Shapes;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Regressions for what broke when users sent what services really send, each found by using the landed build. */
class RealUseTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void aSealedInterfaceOfRecordsComesBackExactlyThroughDiskAndRestart(StorageBackend storage) throws Exception {
        Path d = dir.resolve("sealed");
        try (Channel<Shapes.Event> ch = Hopper.builder(Shapes.Event.class, d).storage(storage).inMemoryBytes(0).open()) {
            for (int i = 0; i < 200; i++) {
                assertTrue(ch.sender().offer(Shapes.event(i)));
            }
            for (int i = 0; i < 100; i++) {
                assertEquals(Shapes.event(i), ch.receiver().receive());
            }
        }
        try (Channel<Shapes.Event> ch = Hopper.builder(Shapes.Event.class, d).storage(storage).inMemoryBytes(0).open()) {
            for (int i = 100; i < 200; i++) {
                assertEquals(Shapes.event(i), ch.receiver().poll(10, TimeUnit.SECONDS));
            }
            assertEquals(0, ch.stats().recordsLost(), ch.stats().toString());
            assertEquals(0, ch.stats().corruptFramesSkipped());
        }
    }

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void objectChannelsKeepEveryJdkTypeThroughDiskAndRestart(StorageBackend storage) throws Exception {
        Path d = dir.resolve("object");
        int n = 24 * 4;
        try (Channel<Object> ch = Hopper.builder(Object.class, d).storage(storage).inMemoryBytes(0).open()) {
            for (int i = 0; i < n; i++) {
                assertTrue(ch.sender().offer(Shapes.jdkValue(i)));
            }
        }
        try (Channel<Object> ch = Hopper.builder(Object.class, d).storage(storage).inMemoryBytes(0).open()) {
            for (int i = 0; i < n; i++) {
                Object got = ch.receiver().poll();
                assertTrue(Shapes.same(Shapes.jdkValue(i), got), i + ": " + Shapes.jdkValue(i) + " vs " + got);
            }
            assertEquals(0, ch.stats().recordsLost(), ch.stats().toString());
        }
    }

    @Test
    void subclassesOfTheDeclaredTypeAreNotLost() throws Exception {
        try (Channel<Shapes.Reading> ch = Hopper.builder(Shapes.Reading.class, dir.resolve("plain")).inMemoryBytes(0).open()) {
            for (int i = 0; i < 50; i++) {
                assertTrue(ch.sender().offer(Shapes.reading(i)));
            }
            for (int i = 0; i < 50; i++) {
                assertEquals(Shapes.reading(i), ch.receiver().poll());
            }
            assertEquals(0, ch.stats().recordsLost());
        }
    }

    record WithEnumMap(String name, EnumMap<Shapes.Level, Integer> counts) {
    }

    record WithLambda(String name, Supplier<String> supplier) {
    }

    @Test
    void aRecordThatCannotBeStoredIsRefusedAtTheSendEvenWhenMemoryHasRoom() throws Exception {
        try (Channel<Object> ch = Hopper.builder(Object.class, dir.resolve("refuse")).open()) {
            EnumMap<Shapes.Level, Integer> counts = new EnumMap<>(Shapes.Level.class);
            counts.put(Shapes.Level.WARN, 3);
            UnsupportedRecordException e = assertThrows(UnsupportedRecordException.class,
                    () -> ch.sender().offer(new WithEnumMap("x", counts)));
            assertEquals(WithEnumMap.class.getName(), e.recordClass());
            assertTrue(e.getMessage().contains("counts"), "names the field: " + e.getMessage());
            Supplier<String> lambda = () -> "no";
            UnsupportedRecordException l = assertThrows(UnsupportedRecordException.class,
                    () -> ch.sender().send(new WithLambda("y", lambda)));
            assertTrue(l.getMessage().contains("supplier"), l.getMessage());
            assertTrue(ch.sender().offer("fine"));
            assertEquals("fine", ch.receiver().poll(), "nothing refused was taken");
            assertNull(ch.receiver().poll());
        }
    }

    @Test
    void whateverADecoderThrowsIsASkippedCountedRecordNotAnErrorOutOfReceive() throws Exception {
        Serializer<Long> throwsErrors = new Serializer<>() {
            @Override
            public void serialize(Long value, OutputStream out) throws IOException {
                out.write(value.byteValue());
            }

            @Override
            public Long deserialize(byte[] bytes, int offset, int length) {
                if (bytes[offset] == 13) {
                    throw new InstantiationError("as Kryo throws for an interface");
                }
                if (bytes[offset] == 14) {
                    throw new NoClassDefFoundError("com/example/Gone");
                }
                return (long) bytes[offset];
            }
        };
        Path d = dir.resolve("errors");
        try (Channel<Long> ch = Hopper.builder(Long.class, d).inMemoryBytes(0).serializer(throwsErrors).open()) {
            for (long i = 10; i < 17; i++) {
                assertTrue(ch.sender().offer(i));
            }
        }
        // The first-send check passed in the writing process; these bytes meet a decoder that fails.
        try (Channel<Long> ch = Hopper.builder(Long.class, d).inMemoryBytes(0).serializer(throwsErrors).open()) {
            List<Long> got = new ArrayList<>();
            for (Long v = ch.receiver().poll(); v != null; v = ch.receiver().poll()) {
                got.add(v);
            }
            assertEquals(List.of(10L, 11L, 12L, 15L, 16L), got);
            assertEquals(2, ch.stats().recordsLost());
            assertEquals(2, ch.stats().corruptFramesSkipped());
        }
    }

    /**
     * A queue file the consumer read to the end is sealed by the producers later, while the
     * consumer is busy in a slow {@code drainTo} sink. The room it holds must go to the producers
     * at once: before, offer said false with one record queued in a two-record disk budget.
     */
    @Test
    void aDrainedFileIsReleasedForProducersWhileTheConsumerIsBusyInItsSink() throws Exception {
        byte[] disk1 = heavy(1);
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir.resolve("drained"))
                .storage(StorageBackend.FILE_CHANNEL).compression(Compression.NONE)
                .inMemoryBytes(64).weigher(b -> b.length > 100 ? Long.MAX_VALUE / 2 : 8)
                .diskBytes(2 * 4096).maxDiskFiles(2).open()) {
            assertTrue(ch.sender().offer(disk1), "too heavy for memory: file 1, which stays open");
            assertTrue(ch.sender().offer(new byte[] {7}), "memory, behind a marker for the disk record");
            CountDownLatch inSink = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            List<byte[]> sink = new ArrayList<>() {
                @Override
                public boolean add(byte[] b) {
                    if (b.length == 1) {
                        inSink.countDown();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    return super.add(b);
                }
            };
            CompletableFuture<Integer> drain = CompletableFuture.supplyAsync(() -> ch.receiver().drainTo(sink, 10));
            assertTrue(inSink.await(30, TimeUnit.SECONDS));
            assertTrue(ch.sender().offer(heavy(2)), "seals file 1 (read to the end) and opens file 2");
            assertTrue(ch.sender().offer(heavy(3)), "file 1's room, released while the consumer is in its sink");
            release.countDown();
            assertEquals(4, drain.get(30, TimeUnit.SECONDS), "then it drains the new records too");
            assertEquals(List.of(1, 7, 2, 3), sink.stream().map(b -> (int) b[0]).toList());
            assertEquals(0, ch.stats().recordsLost());
        }
    }

    private static byte[] heavy(int id) {
        byte[] b = new byte[2500];
        b[0] = (byte) id;
        return b;
    }

    @Test
    void untimedWaitsShowAsWaitingLikeEveryJdkQueue() throws Exception {
        try (Channel<Long> ch = Hopper.builder(Long.class, dir.resolve("waiting")).open()) {
            Thread consumer = new Thread(() -> {
                try {
                    ch.asBlockingQueue().take();
                } catch (InterruptedException | ChannelClosedException e) {
                    // the close below ends it
                }
            });
            consumer.start();
            while (consumer.getState() == Thread.State.RUNNABLE || consumer.getState() == Thread.State.NEW) {
                Thread.onSpinWait();
            }
            assertEquals(Thread.State.WAITING, consumer.getState());
            ch.close();
            consumer.join();
        }
    }

    @Test
    void sizeNeverCountsMoreThanWereAcceptedAndNotYetReceived() throws Exception {
        try (Channel<Long> ch = Hopper.builder(Long.class, dir.resolve("size"))
                .inMemoryBytes(64 * 8).weigher(x -> 8).diskBytes(1 << 20).maxDiskFiles(4).open()) {
            AtomicLong sent = new AtomicLong();
            int producers = 2;
            int each = 20_000;
            List<CompletableFuture<Void>> fs = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                fs.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < each; i++) {
                        try {
                            ch.sender().send((long) i);
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                        sent.incrementAndGet();
                    }
                }));
            }
            var q = ch.asBlockingQueue();
            long received = 0;
            while (received < (long) producers * each) {
                int size = q.size();
                long upper = sent.get() + producers - received; // a send may have been accepted, not yet counted
                assertTrue(size <= upper, "size " + size + " with at most " + upper + " queued");
                if (q.poll(10, TimeUnit.SECONDS) == null) {
                    throw new AssertionError("records stopped arriving at " + received);
                }
                received++;
            }
            for (CompletableFuture<Void> f : fs) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertEquals(0, q.size());
        }
    }
}
