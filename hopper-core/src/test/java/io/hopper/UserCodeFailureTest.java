package io.hopper;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The user's code that runs inside hopper's calls (the weigher, the serializer, a {@code drainTo}
 * sink) throws: its exception reaches the caller, the record stays where it was (with the caller, or
 * the head of the channel), no lock stays held (another thread's call goes through at once), and the
 * channel delivers everything else in order, through a restart too. On both storage back ends.
 */
@org.junit.jupiter.api.Timeout(value = 2, unit = TimeUnit.MINUTES)
class UserCodeFailureTest {
    /** The value every piece of user code below refuses. */
    private static final long BAD = 13;

    @TempDir
    Path dir;

    /** A serializer of longs that fails on {@link #BAD}, on the way in or (flag) on the way out. */
    private static final class FlakySerializer implements Serializer<Long> {
        volatile boolean failOnWrite = true;
        volatile boolean failOnRead;

        @Override
        public void serialize(Long value, OutputStream out) throws IOException {
            if (failOnWrite && value == BAD) {
                throw new IllegalStateException("the serializer refuses " + value);
            }
            out.write(ByteBuffer.allocate(8).putLong(value).array());
        }

        @Override
        public Long deserialize(byte[] bytes, int offset, int length) {
            long v = ByteBuffer.wrap(bytes, offset, length).getLong();
            if (failOnRead && v == BAD) {
                throw new IllegalStateException("the serializer cannot read " + v);
            }
            return v;
        }
    }

    private Channel<Long> open(StorageBackend storage, long memoryBytes, FlakySerializer ser) throws Exception {
        return Hopper.builder(Long.class, dir.resolve("ch")).storage(storage).inMemoryBytes(memoryBytes)
                .weigher(v -> {
                    if (v == BAD + 100) {
                        throw new IllegalStateException("the weigher refuses " + v);
                    }
                    return 8;
                }).serializer(ser).diskBytes(1 << 20).maxDiskFiles(4).open();
    }

    /** Another thread's send and receive go through: no lock was left held. */
    private static void assertNoLockHeld(Channel<Long> ch, long value) throws Exception {
        CompletableFuture<Long> other = CompletableFuture.supplyAsync(() -> {
            try {
                ch.sender().send(value);
                return value;
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals(value, other.get(30, TimeUnit.SECONDS)); // a hang guard, not a timing assertion
    }

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void aWeigherThatThrowsReachesTheCallerAndTakesNothing(StorageBackend storage) throws Exception {
        try (Channel<Long> ch = open(storage, 8 * 4, new FlakySerializer())) {
            ch.sender().send(1L);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ch.sender().offer(BAD + 100));
            assertTrue(e.getMessage().contains("weigher refuses"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> ch.sender().send(BAD + 100));
            assertThrows(IllegalStateException.class, () -> ch.sender().offerAll(List.of(2L, 3L, BAD + 100, 4L)),
                    "a batch is weighed whole before any of it is placed");
            assertThrows(IllegalStateException.class, () -> ch.sender().sendAll(List.of(2L, BAD + 100)));
            assertNoLockHeld(ch, 2L);
            assertEquals(2, ch.asBlockingQueue().size(), "nothing of the refused calls was taken");
            assertEquals(1L, ch.receiver().poll());
            assertEquals(2L, ch.receiver().poll());
            assertNull(ch.receiver().poll());
        }
    }

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void aSerializerThatThrowsOnTheWayToDiskReachesTheCallerAndTakesNothing(StorageBackend storage) throws Exception {
        FlakySerializer ser = new FlakySerializer();
        try (Channel<Long> ch = open(storage, 0, ser)) { // every record goes to disk
            ch.sender().send(1L);
            UnsupportedRecordException e = assertThrows(UnsupportedRecordException.class, () -> ch.sender().offer(BAD));
            assertTrue(e.getCause() instanceof IllegalStateException && e.getCause().getMessage().contains("refuses"),
                    "the serializer's own exception is the cause: " + e);
            assertThrows(UnsupportedRecordException.class, () -> ch.sender().send(BAD));
            List<Long> batch = List.of(2L, 3L, BAD, 4L);
            assertThrows(UnsupportedRecordException.class, () -> ch.sender().offerAll(batch));
            assertNoLockHeld(ch, 5L);
            // The batch: the records before the one that failed were taken, in order.
            assertEquals(List.of(1L, 2L, 3L, 5L), drain(ch));
            assertEquals(0, ch.stats().recordsLost(), ch.stats().toString());
        }
    }

    /**
     * At close the memory tier is serialized into the snapshot: a record the serializer refuses
     * there cannot stay with anyone; it is dropped, counted in {@code recordsLost} and logged, and the
     * close completes and releases the directory.
     */
    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void aSerializerThatThrowsAtCloseCostsThatRecordOnlyCountedAsLost(StorageBackend storage) throws Exception {
        FlakySerializer ser = new FlakySerializer();
        Channel<Long> ch = open(storage, 8 * 100, ser);
        ser.failOnWrite = false;
        for (long v = 10; v < 20; v++) {
            ch.sender().send(v); // in memory, 13 among them
        }
        ser.failOnWrite = true;
        ch.close();
        assertEquals(1, ch.stats().recordsLost(), ch.stats().toString());
        try (Channel<Long> again = open(storage, 8 * 100, new FlakySerializer())) {
            assertEquals(List.of(10L, 11L, 12L, 14L, 15L, 16L, 17L, 18L, 19L), drain(again));
        }
    }

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void aSerializerThatThrowsOnTheWayOutSkipsAndCountsThatRecordOnly(StorageBackend storage) throws Exception {
        FlakySerializer ser = new FlakySerializer();
        try (Channel<Long> ch = open(storage, 0, ser)) {
            ser.failOnWrite = false;
            for (long v = 10; v < 20; v++) {
                ch.sender().send(v);
            }
            ser.failOnRead = true;
            assertEquals(List.of(10L, 11L, 12L, 14L, 15L, 16L, 17L, 18L, 19L), drain(ch));
            assertEquals(1, ch.stats().recordsLost(), ch.stats().toString());
            assertNoLockHeld(ch, 20L);
            assertEquals(20L, ch.receiver().poll());
        }
    }

    /**
     * A sink that throws: its exception reaches the caller, the record it refused stays the head,
     * and every record before it was taken; from memory (the batched hand-over) and from disk.
     */
    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void aDrainToSinkThatThrowsLeavesTheRefusedRecordTheHead(StorageBackend storage) throws Exception {
        try (Channel<Long> ch = open(storage, 8 * 20, new FlakySerializer())) {
            for (long v = 0; v < 40; v++) {
                if (v != BAD) {
                    ch.sender().send(v); // 20 in memory, then disk: BAD is left out, the sinks refuse 7 and 31
                }
            }
            List<Long> got = new ArrayList<>();
            for (long refuse : new long[] {7, 31}) {
                List<Long> sink = refusing(got, refuse);
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> ch.receiver().drainTo(sink, 100));
                assertTrue(e.getMessage().contains("refuses " + refuse), e.getMessage());
                assertEquals(refuse, ch.receiver().peek(), "the refused record is the head");
                assertNoLockHeld(ch, 100 + refuse);
            }
            got.addAll(drain(ch));
            List<Long> want = new ArrayList<>();
            for (long v = 0; v < 40; v++) {
                if (v != BAD) {
                    want.add(v);
                }
            }
            want.add(107L);
            want.add(131L);
            assertEquals(want, got);
        }
    }

    /** A list that takes records into {@code into} and throws for {@code refuse}. */
    private static List<Long> refusing(List<Long> into, long refuse) {
        return new AbstractList<>() {
            @Override
            public boolean add(Long v) {
                if (v == refuse) {
                    throw new IllegalStateException("the sink refuses " + v);
                }
                return into.add(v);
            }

            @Override
            public Long get(int index) {
                return into.get(index);
            }

            @Override
            public int size() {
                return into.size();
            }
        };
    }

    private static List<Long> drain(Channel<Long> ch) {
        List<Long> out = new ArrayList<>();
        for (Long v = ch.receiver().poll(); v != null; v = ch.receiver().poll()) {
            out.add(v);
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void aRecordPeekedFromMemoryIsStillTheSameInstanceAfterASinkRefusedIt(StorageBackend storage) throws Exception {
        try (Channel<Long> ch = open(storage, 8 * 20, new FlakySerializer())) {
            Long boxed = 1000L;
            ch.sender().send(boxed);
            List<Long> sink = refusing(new ArrayList<>(), 1000);
            assertThrows(IllegalStateException.class, () -> ch.receiver().drainTo(sink, 10));
            assertSame(boxed, ch.receiver().poll(), "memory records are handed over as they were sent");
        }
    }
}
