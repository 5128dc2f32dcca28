package io.hopper.bench.jmh;

import io.hopper.internal.file.InterruptSafeChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * What the interrupt-proofing costs on a file operation: the positional write of one frame (what
 * a producer does per spilled record with the {@code FILE_CHANNEL} back end) and the positional
 * read of one 64 KiB window (what the consumer does per window of a backlog, on either back end),
 * through a plain {@link FileChannel} and through {@link InterruptSafeChannel}, on a file in the
 * page cache, so that the system call is as cheap as it gets and the wrapper's share as large.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class FileIoBenchmark extends ChronicleForks {
    private static final long FILE_BYTES = 64L << 20;

    /** {@code plain}: the JDK's FileChannel; {@code interruptSafe}: hopper's wrapper around it. */
    @Param({"plain", "interruptSafe"})
    public String channel;

    /** Bytes per operation: a 256 B frame, a 1 KiB frame, a 64 KiB read window. */
    @Param({"256", "1024", "65536"})
    public int bytes;

    private Path dir;
    private FileChannel plain;
    private InterruptSafeChannel safe;
    private byte[] buf;
    private long at;

    @Setup(Level.Trial)
    public void open() throws IOException {
        dir = Files.createTempDirectory("hopper-jmh-fileio-");
        Path f = dir.resolve("f");
        buf = new byte[bytes];
        if (channel.equals("plain")) {
            plain = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            plain.write(ByteBuffer.wrap(new byte[1]), FILE_BYTES - 1);
        } else {
            safe = InterruptSafeChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            safe.write(FILE_BYTES - 1, new byte[1], 0, 1);
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        if (plain != null) {
            plain.close();
        }
        if (safe != null) {
            safe.close();
        }
        Files.deleteIfExists(dir.resolve("f"));
        Files.deleteIfExists(dir);
    }

    private long next() {
        long p = at;
        at = (at + bytes) % (FILE_BYTES - bytes);
        return p;
    }

    /** One positional write, whole, as the writers do it (a loop until every byte is written). */
    @Benchmark
    public int write() throws IOException {
        long p = next();
        if (plain != null) {
            ByteBuffer b = ByteBuffer.wrap(buf);
            while (b.hasRemaining()) {
                plain.write(b, p + b.position());
            }
            return b.position();
        }
        safe.write(p, buf, 0, bytes);
        return bytes;
    }

    /** One positional read, whole, as the cursor's window reads do. */
    @Benchmark
    public int read() throws IOException {
        long p = next();
        if (plain != null) {
            ByteBuffer b = ByteBuffer.wrap(buf);
            while (b.hasRemaining()) {
                if (plain.read(b, p + b.position()) < 0) {
                    break;
                }
            }
            return b.position();
        }
        return safe.read(p, buf, 0, bytes);
    }
}
