package io.hopper;

import io.hopper.testkit.Records;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Records written by one version of a class are read by the next, as across a deploy: two
 * versions of {@code app.Order} are compiled here, each loaded by a class loader of its own, and a
 * channel directory written with the first is opened with the second.
 */
class SchemaEvolutionTest {

    @TempDir
    Path dir;

    /** Compiles {@code source} as {@code app/Order.java} and loads it in a class loader of its own. */
    private Class<?> version(String name, String source) throws Exception {
        Path src = dir.resolve(name).resolve("app/Order.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, "package app;\n" + source);
        Path out = dir.resolve(name + "-classes");
        Files.createDirectories(out);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "--release", "17", "-d", out.toString(), src.toString());
        assertEquals(0, rc, "compiles");
        URLClassLoader loader = new URLClassLoader(new URL[] {out.toUri().toURL()}, getClass().getClassLoader());
        return loader.loadClass("app.Order");
    }

    private Channel<Object> open(Path d, Class<?> type, StorageBackend storage) throws Exception {
        return Hopper.builder(Object.class, d).storage(storage).inMemoryBytes(0)
                .serializer(Serializer.kryo(Object.class, kryo -> kryo.setClassLoader(type.getClassLoader())))
                .open();
    }

    private static Object get(Object o, String accessor) throws Exception {
        Method m = o.getClass().getMethod(accessor);
        m.setAccessible(true);
        return m.invoke(o);
    }

    private List<Object> writeThenRead(Class<?> v1, Class<?> v2, StorageBackend storage, Object... records) throws Exception {
        Path d = dir.resolve("ch-" + v2.getName() + System.nanoTime());
        try (Channel<Object> ch = open(d, v1, storage)) {
            for (Object r : records) {
                assertTrue(ch.sender().offer(r));
            }
        }
        List<Object> got = new ArrayList<>();
        try (Channel<Object> ch = open(d, v2, storage)) {
            for (Object o = ch.receiver().poll(); o != null; o = ch.receiver().poll()) {
                got.add(o);
            }
            lastStats = ch.stats();
        }
        return got;
    }

    private ChannelStats lastStats;

    @Test
    void recordsOfTheOldVersionDecodeAfterFieldsAreAddedRemovedAndReordered() throws Exception {
        for (StorageBackend storage : List.of(StorageBackend.FILE_CHANNEL, StorageBackend.CHRONICLE_BYTES)) {
            Class<?> v1 = version("v1" + storage, "public record Order(long id, String customer, int quantity, String note) {}");
            Class<?> v2 = version("v2" + storage, "public record Order(String customer, long id, double discount, "
                    + "java.util.List<String> tags, int quantity) {}");
            Constructor<?> c = v1.getConstructors()[0];
            List<Object> got = writeThenRead(v1, v2, storage,
                    c.newInstance(1L, "ann", 3, "fragile"), c.newInstance(2L, null, 0, null));
            assertEquals(2, got.size(), "both decode: " + lastStats);
            Object first = got.get(0);
            assertEquals(v2, first.getClass(), "read as the new version");
            assertEquals(1L, get(first, "id"));
            assertEquals("ann", get(first, "customer"));
            assertEquals(3, get(first, "quantity"));
            assertEquals(0.0, get(first, "discount"), "an added field gets its default");
            assertNull(get(first, "tags"));
            assertNull(get(got.get(1), "customer"));
            assertEquals(0, lastStats.recordsLost());
        }
    }

    @Test
    void plainClassesEvolveTooAndKeepTheirConstructorsDefaults() throws Exception {
        Class<?> v1 = version("p1", "public class Order { public long id; public String sku;"
                + " public Order() {} public Order(long id, String sku) { this.id = id; this.sku = sku; } }");
        Class<?> v2 = version("p2", "public class Order { public long id; public int priority = 5;"
                + " public long id() { return id; } public int priority() { return priority; } }");
        List<Object> got = writeThenRead(v1, v2, StorageBackend.FILE_CHANNEL,
                v1.getConstructor(long.class, String.class).newInstance(9L, "X-1"));
        assertEquals(1, got.size());
        assertEquals(9L, get(got.get(0), "id"));
        assertEquals(5, get(got.get(0), "priority"), "the no-arg constructor's default stays");
    }

    @Test
    void aFieldWhoseTypeChangedFailsOnlyTheRecordsThatCannotTakeItTypedAndCounted() throws Exception {
        Class<?> v1 = version("t1", "public record Order(long id, Object ref) {}");
        Class<?> v2 = version("t2", "public record Order(long id, String ref) {}");
        Constructor<?> c = v1.getConstructors()[0];
        List<Object> got = writeThenRead(v1, v2, StorageBackend.FILE_CHANNEL,
                c.newInstance(1L, "a string still fits"), c.newInstance(2L, 42), c.newInstance(3L, null));
        assertEquals(2, got.size(), "the Integer no longer fits a String field: " + lastStats);
        assertEquals(1L, get(got.get(0), "id"));
        assertEquals("a string still fits", get(got.get(0), "ref"));
        assertEquals(3L, get(got.get(1), "id"));
        assertEquals(1, lastStats.recordsLost(), "the incompatible one is counted, never garbage");

        Class<?> v3 = version("t3", "public record Order(int id, Object ref) {}");
        List<Object> none = writeThenRead(v1, v3, StorageBackend.FILE_CHANNEL, c.newInstance(4L, "x"));
        assertEquals(0, none.size(), "long to int is not a compatible change");
        assertEquals(1, lastStats.recordsLost());
    }

    @Test
    void anIncompatibleRecordIsReportedWithItsOwnTypeWhenDecodedDirectly() throws Exception {
        Class<?> v1 = version("d1", "public record Order(long id) {}");
        Class<?> v2 = version("d2", "public record Order(String id) {}");
        Path d = dir.resolve("direct");
        try (Channel<Object> ch = open(d, v1, StorageBackend.FILE_CHANNEL)) {
            ch.sender().offer(v1.getConstructors()[0].newInstance(5L));
        }
        // Decoding the stored payload with the new class through the codec names the change.
        io.hopper.internal.codec.TypeRegistry registry = io.hopper.internal.codec.TypeRegistry.open(d);
        var kryo = ((io.hopper.internal.codec.KryoSerializer<Object>) Serializer.kryo(Object.class,
                k -> k.setClassLoader(v1.getClassLoader()))).withRegistry(registry);
        var out = new java.io.ByteArrayOutputStream();
        kryo.serialize(v1.getConstructors()[0].newInstance(6L), out);
        var reader = ((io.hopper.internal.codec.KryoSerializer<Object>) Serializer.kryo(Object.class,
                k -> k.setClassLoader(v2.getClassLoader()))).withRegistry(registry);
        var codec = new io.hopper.internal.codec.RecordCodec<>(reader, Compression.NONE, 0);
        byte[] b = out.toByteArray();
        IncompatibleRecordException e = org.junit.jupiter.api.Assertions.assertThrows(IncompatibleRecordException.class,
                () -> codec.decode(b, 0, b.length, io.hopper.internal.codec.PayloadCodec.STORED.id, new io.hopper.internal.codec.RecordCodec.DecodeScratch()));
        assertTrue(e.getMessage().contains("app.Order.id") && e.getMessage().contains("long"), e.getMessage());
    }

    /**
     * A record the new version cannot take is skipped, counted and logged with the field named,
     * whether it waited in a queue file or in the memory snapshot a graceful close wrote (the
     * snapshot's were counted but never logged).
     */
    @Test
    void anIncompatibleRecordIsLoggedWithItsFieldFromTheSnapshotAsFromAQueueFile() throws Exception {
        Class<?> v1 = version("s1", "public record Order(long id) {}");
        Class<?> v2 = version("s2", "public record Order(String id) {}");
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger("io.hopper");
        List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
                    warnings.add(r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(capture);
        try {
            for (boolean inMemory : new boolean[] {true, false}) {
                warnings.clear();
                Path d = dir.resolve("snapshot-" + inMemory);
                try (Channel<Object> ch = Hopper.builder(Object.class, d).inMemoryBytes(inMemory ? 1 << 20 : 0)
                        .serializer(Serializer.kryo(Object.class, kryo -> kryo.setClassLoader(v1.getClassLoader())))
                        .open()) {
                    ch.sender().offer(v1.getConstructors()[0].newInstance(5L));
                }
                assertEquals(inMemory, Files.exists(d.resolve("snapshot.hop")), "where the record waited");
                try (Channel<Object> ch = open(d, v2, StorageBackend.AUTO)) {
                    assertNull(ch.receiver().poll());
                    assertEquals(1, ch.stats().recordsLost());
                }
                assertTrue(warnings.stream().anyMatch(w -> w.contains("app.Order.id") && w.contains("long")),
                        (inMemory ? "snapshot" : "queue file") + ": " + warnings);
            }
        } finally {
            jul.removeHandler(capture);
        }
    }
}
