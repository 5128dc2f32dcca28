package io.hopper;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The small public value types: exceptions' accessors, sync policies, the Kryo serializer's configuration hook. */
class PublicTypesTest {

    @Test
    void storageExceptionExposesTheIoErrorBehindIt() {
        IOException io = new IOException("No space left on device");
        assertSame(io, new StorageException("append", io).ioCause());
        assertSame(io, new StorageException("append", new IOException("wrapper", io)).ioCause().getCause());
        StorageException unchecked = new StorageException("append");
        unchecked.initCause(new UncheckedIOException(io));
        assertSame(io, unchecked.ioCause());
        StorageException other = new StorageException("append");
        other.initCause(new IllegalStateException("x"));
        assertNull(other.ioCause());
        assertNull(new StorageException("no cause").ioCause());
    }

    @Test
    void recordTooLargeKeepsEverySize() {
        RecordTooLargeException e = new RecordTooLargeException(10, 20, 30, 40);
        assertEquals(10, e.recordWeight());
        assertEquals(20, e.encodedBytes());
        assertEquals(30, e.inMemoryBytes());
        assertEquals(40, e.maxFrameBytes());
        for (String n : new String[] {"10", "20", "30", "40"}) {
            assertTrue(e.getMessage().contains(n), e.getMessage());
        }
    }

    @Test
    void syncPoliciesCheckTheirArgumentsAndSayWhatTheyAre() {
        assertEquals("SyncPolicy.every(1)", SyncPolicy.every(1).toString());
        assertThrows(IllegalArgumentException.class, () -> SyncPolicy.every(0));
        assertEquals("SyncPolicy.interval(PT0.001S)", SyncPolicy.interval(Duration.ofMillis(1)).toString());
        assertThrows(IllegalArgumentException.class, () -> SyncPolicy.interval(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> SyncPolicy.interval(Duration.ofMillis(-1)));
        assertEquals("SyncPolicy.NONE", SyncPolicy.NONE.toString());
        assertEquals("SyncPolicy.ALWAYS", SyncPolicy.ALWAYS.toString());
    }

    /** A class Kryo only handles through the serializer the configuration hook registers. */
    static final class Point {
        final int x;
        final int y;

        Point(int x, int y) {
            this.x = x;
            this.y = y;
        }
    }

    @Test
    void theKryoHookConfiguresEveryPooledInstance() throws Exception {
        AtomicInteger configured = new AtomicInteger();
        AtomicInteger written = new AtomicInteger();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch otherDone = new CountDownLatch(1);
        Serializer<Point> s = Serializer.kryo(Point.class, kryo -> {
            configured.incrementAndGet();
            kryo.register(Point.class, new com.esotericsoftware.kryo.Serializer<Point>() {
                @Override
                public void write(Kryo k, Output out, Point p) {
                    written.incrementAndGet();
                    if (p.x < 0) { // hold this instance until another thread has serialized
                        inside.countDown();
                        try {
                            otherDone.await();
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    out.writeInt(p.x);
                    out.writeInt(p.y);
                }

                @Override
                public Point read(Kryo k, Input in, Class<? extends Point> type) {
                    return new Point(in.readInt(), in.readInt());
                }
            });
        });
        assertEquals(1, configured.get(), "configured when built, to fail fast, and that instance is kept");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        s.serialize(new Point(3, 4), out);
        s.serialize(new Point(5, 6), out);
        assertEquals(2, written.get(), "the registered serializer was used");
        assertEquals(1, configured.get(), "one thread at a time reuses one instance");
        byte[] b = out.toByteArray();
        assertEquals(26, b.length, "two points, each a 5-byte type reference and the registered serializer's 8 bytes");
        Point p = s.deserialize(b, 13, 13);
        assertEquals(5, p.x);
        assertEquals(6, p.y);
        Point q = s.deserialize(b, 0, 13);
        assertEquals(3, q.x);
        Thread holder = new Thread(() -> {
            try {
                s.serialize(new Point(-1, -1), new ByteArrayOutputStream());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        holder.start();
        inside.await();
        ByteArrayOutputStream other = new ByteArrayOutputStream();
        s.serialize(new Point(7, 8), other); // the pooled instance is busy: a second one, configured too
        otherDone.countDown();
        holder.join();
        assertEquals(2, configured.get(), "a second instance for the second thread serializing at once");
        assertEquals(4, written.get(), "and it has the registration");
        assertEquals(7, s.deserialize(other.toByteArray(), 0, 13).x);
        assertThrows(IllegalStateException.class, () -> s.deserialize(b, 0, 14), "trailing bytes are not ignored");
    }
}
