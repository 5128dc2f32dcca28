package io.hopper.testkit;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;

/**
 * The operations a run performed on one directory, in the order they completed, and the disk
 * states a power cut at any point of it could leave behind, in the spirit of SQLite's crash-test
 * VFS and of the ALICE study of file-system crash consistency.
 *
 * <p>The model is the POSIX one, with nothing a particular file system adds:
 * <ul>
 *   <li>A file's contents and size are durable up to its last {@code fsync}; every write or size
 *       change after it may be lost, kept, or (a write) torn at a 512-byte or 4 KiB boundary with
 *       zeros or garbage in the rest, independently of the others.</li>
 *   <li>Writes into a memory mapping ({@link Op.Write#mapped}) reach the device a page at a time:
 *       each dirty 4 KiB page independently holds its last forced content or its content after
 *       any number of the later writes into it.</li>
 *   <li>A name (creation, rename, deletion) is durable once the directory is forced; each name
 *       operation after the last directory force may or may not have happened, independently.
 *       A file's {@code fsync} does not make its name durable.</li>
 * </ul>
 * Identity follows inodes, so a rename carries a file's pending writes with it.
 */
public final class DiskTrace {

    /** One recorded operation. */
    public sealed interface Op {
        public record Create(String name, int inode) implements Op {
        }

        public record Rename(String from, String to) implements Op {
        }

        public record Delete(String name) implements Op {
        }

        public record DirSync() implements Op {
        }

        public record Write(int inode, long at, byte[] data, boolean mapped) implements Op {
            @Override
            public String toString() {
                return "Write[inode=" + inode + ", at=" + at + ", bytes=" + data.length + (mapped ? ", mapped" : "") + "]";
            }
        }

        public record SetSize(int inode, long size) implements Op {
        }

        public record FSync(int inode) implements Op {
        }
    }

    private final List<Op> ops = new ArrayList<>();
    private final Map<String, Integer> names = new HashMap<>();
    private int nextInode;
    /** Ops before this index describe the directory as it was when recording began (durable). */
    private int baseline;
    /** When set, every file force waits on it first (to hold a force open while a test looks). */
    private volatile CountDownLatch forceGate;
    private volatile Runnable onForceGate = () -> { };

    /** Starts a trace whose durable starting point is the current contents of {@code dir} (its plain files). */
    public static DiskTrace startingFrom(Path dir) throws IOException {
        DiskTrace t = new DiskTrace();
        TreeMap<String, byte[]> files = new TreeMap<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                if (Files.isRegularFile(p)) {
                    files.put(p.getFileName().toString(), Files.readAllBytes(p));
                }
            }
        }
        for (var e : files.entrySet()) {
            int inode = t.created(e.getKey());
            if (e.getValue().length > 0) {
                t.written(inode, 0, e.getValue(), false);
            }
            t.forced(inode);
        }
        t.directoryForced();
        t.baseline = t.ops.size();
        return t;
    }

    public synchronized int created(String name) {
        int inode = nextInode++;
        names.put(name, inode);
        ops.add(new Op.Create(name, inode));
        return inode;
    }

    /** The inode {@code name} refers to now; a file that existed before recording gets one. */
    public synchronized int inodeOf(String name) {
        Integer i = names.get(name);
        if (i == null) {
            throw new IllegalStateException("file " + name + " existed before the trace started and is not in it");
        }
        return i;
    }

    public synchronized void renamed(String from, String to) {
        Integer i = names.remove(from);
        if (i != null) {
            names.put(to, i);
        }
        ops.add(new Op.Rename(from, to));
    }

    public synchronized void deleted(String name) {
        names.remove(name);
        ops.add(new Op.Delete(name));
    }

    public synchronized void directoryForced() {
        ops.add(new Op.DirSync());
    }

    public synchronized void written(int inode, long at, byte[] data, boolean mapped) {
        ops.add(new Op.Write(inode, at, data, mapped));
    }

    public synchronized void sizeSet(int inode, long size) {
        ops.add(new Op.SetSize(inode, size));
    }

    public synchronized void forced(int inode) {
        ops.add(new Op.FSync(inode));
    }

    /** Operations so far: a cut point. Events of the workload are stamped with it. */
    public synchronized int size() {
        return ops.size();
    }

    /** The first cut point after the baseline. */
    public int baseline() {
        return baseline;
    }

    public synchronized List<Op> ops() {
        return List.copyOf(ops);
    }

    /** Makes every later file force wait until {@code gate} opens; {@code onWait} runs as a force starts waiting. */
    public void holdForces(CountDownLatch gate, Runnable onWait) {
        this.onForceGate = onWait;
        this.forceGate = gate;
    }

    public void awaitForceGate() {
        CountDownLatch g = forceGate;
        if (g != null) {
            onForceGate.run();
            try {
                g.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** How a crash state treats what was not made durable. */
    public enum Loss {
        /** Each pending operation independently dropped, kept, or torn (seeded). */
        RANDOM,
        /** Every pending operation lost: only what was forced survives. */
        ALL_PENDING_LOST,
        /** Names all kept, pending file contents all lost (a rename that landed without its data). */
        NAMES_KEPT_DATA_LOST,
        /** Everything kept: what a process crash leaves. */
        NOTHING_LOST
    }

    /** A disk state: the files and their contents, and how it was made (for a failure report). */
    public record State(int cut, Loss loss, long seed, Map<String, byte[]> files) {
        public void writeTo(Path dir) throws IOException {
            Files.createDirectories(dir);
            for (var e : files.entrySet()) {
                Files.write(dir.resolve(e.getKey()), e.getValue());
            }
        }

        public String describe(List<Op> ops) {
            StringBuilder b = new StringBuilder("power cut after operation " + cut + " of " + ops.size() + ", loss "
                    + loss + ", seed " + seed + "; files " + sizes() + "; operations up to the cut:\n");
            for (int i = 0; i < cut; i++) {
                b.append("  ").append(i).append(": ").append(ops.get(i)).append('\n');
            }
            return b.toString();
        }

        private Map<String, Integer> sizes() {
            Map<String, Integer> m = new TreeMap<>();
            files.forEach((k, v) -> m.put(k, v.length));
            return m;
        }
    }

    private static final class Inode {
        byte[] durable = new byte[0];
        public final List<Op> pending = new ArrayList<>();
    }

    /** The state a power cut right after the first {@code cut} operations leaves, under {@code loss}. */
    public State stateAt(int cut, Loss loss, long seed) {
        List<Op> all = ops();
        Random rnd = new Random(seed);
        Map<String, Integer> durableNames = new LinkedHashMap<>();
        List<Op> pendingNames = new ArrayList<>();
        Map<Integer, Inode> inodes = new HashMap<>();
        for (int i = 0; i < cut; i++) {
            Op op = all.get(i);
            if (op instanceof Op.Create c) {
                inodes.put(c.inode(), new Inode());
                pendingNames.add(c);
            } else if (op instanceof Op.Rename || op instanceof Op.Delete) {
                pendingNames.add(op);
            } else if (op instanceof Op.DirSync) {
                for (Op n : pendingNames) {
                    applyName(durableNames, n);
                }
                pendingNames.clear();
            } else if (op instanceof Op.Write w) {
                inodes.get(w.inode()).pending.add(w);
            } else if (op instanceof Op.SetSize z) {
                inodes.get(z.inode()).pending.add(z);
            } else if (op instanceof Op.FSync f) {
                Inode in = inodes.get(f.inode());
                for (Op p : in.pending) {
                    in.durable = apply(in.durable, p, p instanceof Op.Write w ? w.data().length : 0, Fill.NONE, null);
                }
                in.pending.clear();
            }
        }
        Map<String, Integer> names = new LinkedHashMap<>(durableNames);
        for (Op n : pendingNames) {
            boolean keep = switch (loss) {
                case RANDOM -> rnd.nextBoolean();
                case ALL_PENDING_LOST -> false;
                case NAMES_KEPT_DATA_LOST, NOTHING_LOST -> true;
            };
            if (keep) {
                applyName(names, n);
            }
        }
        Map<String, byte[]> files = new TreeMap<>();
        for (var e : names.entrySet()) {
            files.put(e.getKey(), contents(inodes.get(e.getValue()), loss, rnd));
        }
        return new State(cut, loss, seed, files);
    }

    private static void applyName(Map<String, Integer> names, Op op) {
        if (op instanceof Op.Create c) {
            names.put(c.name(), c.inode());
        } else if (op instanceof Op.Rename r) {
            Integer i = names.remove(r.from());
            if (i != null) {
                names.put(r.to(), i);
            }
        } else if (op instanceof Op.Delete d) {
            names.remove(d.name());
        } else {
            throw new IllegalArgumentException(op.toString());
        }
    }

    private enum Fill { NONE, ZEROS, GARBAGE }

    private static byte[] contents(Inode in, DiskTrace.Loss loss, Random rnd) {
        byte[] b = in.durable;
        if (loss == Loss.ALL_PENDING_LOST || loss == Loss.NAMES_KEPT_DATA_LOST) {
            return b;
        }
        if (loss == Loss.NOTHING_LOST) {
            for (Op p : in.pending) {
                b = apply(b, p, p instanceof Op.Write w ? w.data().length : 0, Fill.NONE, null);
            }
            return b;
        }
        // Mapped writes: each dirty page gets a version, the number of later writes into it that landed.
        Map<Long, Integer> pageVersion = new HashMap<>();
        Map<Long, Integer> pageWrites = new HashMap<>();
        for (Op p : in.pending) {
            if (p instanceof Op.Write w && w.mapped()) {
                for (long page = w.at() / PAGE; page <= (w.at() + w.data().length - 1) / PAGE; page++) {
                    pageWrites.merge(page, 1, Integer::sum);
                }
            }
        }
        pageWrites.forEach((page, n) -> pageVersion.put(page, rnd.nextInt(n + 1)));
        Map<Long, Integer> seen = new HashMap<>();
        for (Op p : in.pending) {
            if (p instanceof Op.Write w && w.mapped()) {
                for (long page = w.at() / PAGE; page <= (w.at() + w.data().length - 1) / PAGE; page++) {
                    int k = seen.merge(page, 1, Integer::sum);
                    if (k <= pageVersion.get(page)) {
                        long from = Math.max(w.at(), page * PAGE);
                        long to = Math.min(w.at() + w.data().length, (page + 1) * PAGE);
                        byte[] part = Arrays.copyOfRange(w.data(), (int) (from - w.at()), (int) (to - w.at()));
                        b = apply(b, new Op.Write(w.inode(), from, part, true), part.length, Fill.NONE, null);
                    }
                }
                continue;
            }
            switch (rnd.nextInt(3)) {
                case 0 -> { } // lost
                case 1 -> b = apply(b, p, p instanceof Op.Write w ? w.data().length : 0, Fill.NONE, null);
                default -> {
                    if (p instanceof Op.Write w) {
                        // Torn: a prefix up to a sector or page boundary landed, the rest of the range holds zeros or garbage.
                        int unit = rnd.nextBoolean() ? 512 : PAGE;
                        long firstBoundary = (w.at() / unit + 1) * unit;
                        long boundary = firstBoundary + (long) unit * rnd.nextInt(1 + w.data().length / unit);
                        int kept = (int) Math.max(0, Math.min(w.data().length, boundary - w.at()));
                        b = apply(b, w, kept, rnd.nextBoolean() ? Fill.ZEROS : Fill.GARBAGE, rnd);
                    } else {
                        b = apply(b, p, 0, Fill.NONE, null);
                    }
                }
            }
        }
        return b;
    }

    private static final int PAGE = 4096;

    /** Applies {@code op} to {@code b}: a write's first {@code kept} bytes, the rest of its range filled. */
    private static byte[] apply(byte[] b, Op op, int kept, Fill fill, Random rnd) {
        if (op instanceof Op.SetSize z) {
            return Arrays.copyOf(b, (int) z.size());
        }
        Op.Write w = (Op.Write) op;
        int len = w.data().length;
        int end = (int) w.at() + len;
        byte[] out = b.length >= end ? b.clone() : Arrays.copyOf(b, end);
        System.arraycopy(w.data(), 0, out, (int) w.at(), kept);
        if (kept < len && fill != Fill.NONE) {
            for (int i = (int) w.at() + kept; i < end; i++) {
                out[i] = fill == Fill.ZEROS ? 0 : (byte) rnd.nextInt(256);
            }
        }
        return out;
    }
}
