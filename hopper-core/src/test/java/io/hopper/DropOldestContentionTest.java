package io.hopper;

import io.hopper.testkit.Records;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code DROP_OLDEST} accepts every record that fits in a queue file, however the consumer and
 * other producers race it: a refused append is followed by an eviction or, when the room came back
 * meanwhile (the consumer released a file, another producer evicted one), simply by placing the
 * record again. Before, a producer whose eviction found the disk already emptied by the consumer
 * dropped its record (28 of 200,000 with one producer on two 4 KiB files), and producers refused
 * at the same moment evicted a file each.
 */
@org.junit.jupiter.api.Timeout(value = 2, unit = java.util.concurrent.TimeUnit.MINUTES)
class DropOldestContentionTest {
    @TempDir
    Path dir;

    static Stream<Arguments> specs() {
        List<Arguments> all = new ArrayList<>();
        for (StorageBackend s : List.of(StorageBackend.FILE_CHANNEL, StorageBackend.CHRONICLE_BYTES)) {
            all.add(Arguments.of(s, 1, 2));
            all.add(Arguments.of(s, 3, 4));
            all.add(Arguments.of(s, 8, 2));
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}, {1} producer(s), {2} files")
    @MethodSource("specs")
    void aRecordThatFitsIsNeverDroppedWhileTheConsumerReadsAndOthersEvict(StorageBackend storage, int producers,
                                                                          int files) throws Exception {
        int perProducer = 30_000 / producers;
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).storage(storage).inMemoryBytes(1024)
                .diskBytes(files * 4096L).maxDiskFiles(files).overflow(OverflowPolicy.DROP_OLDEST).open()) {
            AtomicBoolean done = new AtomicBoolean();
            AtomicLong received = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long[] lastSeq = new long[producers];
            java.util.Arrays.fill(lastSeq, -1);
            Thread consumer = new Thread(() -> {
                try {
                    for (;;) {
                        boolean last = done.get(); // read before the poll: a null poll after it means the end
                        byte[] b = ch.receiver().poll();
                        if (b == null) {
                            if (last) {
                                return;
                            }
                            continue;
                        }
                        int p = Records.producer(b);
                        long seq = Records.seq(b);
                        assertTrue(seq > lastSeq[p], "producer " + p + ": " + seq + " after " + lastSeq[p]);
                        lastSeq[p] = seq;
                        if (received.incrementAndGet() % 256 == 0) {
                            // Fall behind now and then, so that the producers fill the disk and
                            // evict while this consumer reads and releases files between the pauses.
                            LockSupport.parkNanos(1_000_000);
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            });
            consumer.start();
            AtomicLong refused = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                int id = p;
                threads.add(new Thread(() -> {
                    for (int i = 0; i < perProducer; i++) {
                        if (!ch.sender().offer(Records.make(id, i, Records.MIN_SIZE))) {
                            refused.incrementAndGet();
                        }
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join();
            }
            done.set(true);
            consumer.join();
            assertNull(failure.get());
            ChannelStats s = ch.stats();
            assertEquals(0, refused.get(), "offers refused: " + s);
            assertEquals(0, s.recordsDropped(), s.toString());
            assertEquals((long) producers * perProducer, received.get() + s.recordsEvicted(),
                    "every record received or counted as evicted: " + s);
            assertTrue(s.recordsEvicted() > 0, "the disk was full: " + s);
        }
    }
}
