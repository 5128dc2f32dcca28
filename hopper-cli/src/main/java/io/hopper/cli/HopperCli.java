package io.hopper.cli;

import io.hopper.ByteSize;
import io.hopper.Channel;
import io.hopper.ChannelStats;
import io.hopper.Hopper;
import io.hopper.Serializer;
import io.hopper.StorageBackend;
import io.hopper.inspect.ChannelDirectory;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Looks inside a hopper channel directory, offline: {@code inspect}, {@code verify},
 * {@code dump} and {@code repair}. Only {@code repair} writes, and none of them touches a
 * directory a running channel holds.
 *
 * <pre>
 * java -jar hopper-cli/target/hopper-cli.jar inspect DIR [--json]
 * java -jar hopper-cli/target/hopper-cli.jar verify DIR
 * java -jar hopper-cli/target/hopper-cli.jar dump DIR [--from INDEX] [--limit N] [--format text|hex|json]
 *                                           [--serializer CLASS | --type CLASS]
 * java -jar hopper-cli/target/hopper-cli.jar repair DIR
 * </pre>
 *
 * Exit status: 0 done (verify: no damage), 1 verify found damage, 2 bad usage, 3 refused (not a
 * directory, or a running process holds it), 4 an I/O error.
 */
public final class HopperCli {
    static final int OK = 0;
    static final int DAMAGE = 1;
    static final int USAGE = 2;
    static final int REFUSED = 3;
    static final int IO_ERROR = 4;

    private static final String USAGE_TEXT = String.join("\n",
            "usage: java -jar hopper-cli.jar COMMAND DIR [options]",
            "  inspect DIR [--json]      files, record index ranges, sizes, compression, cursor, snapshot, damage",
            "  verify DIR                full checksum scan; exit 0 when clean, 1 when damage is found",
            "  dump DIR [--from INDEX] [--limit N] [--format text|hex|json] [--serializer CLASS | --type CLASS]",
            "                            the records' payloads (default: 100 from the first, raw);",
            "                            --type decodes with hopper's default (Kryo) serializer for CLASS,",
            "                            --serializer with your io.hopper.Serializer (a public no-arg constructor);",
            "                            put the classes on the class path: java -cp hopper-cli.jar:app.jar io.hopper.cli.HopperCli ...",
            "  repair DIR                what the next open would do, and stop: cut torn tails, set aside",
            "                            unreadable files (*.corrupt); says what it did",
            "exit status: 0 done, 1 damage found (verify), 2 bad usage, 3 refused (held by a process), 4 I/O error");

    private HopperCli() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command; returns the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length < 2 || args[0].equals("--help")) {
            err.println(USAGE_TEXT);
            return args.length == 1 && args[0].equals("--help") ? OK : USAGE;
        }
        String command = args[0];
        Path dir = Path.of(args[1]);
        List<String> opts = List.of(args).subList(2, args.length);
        try {
            ChannelDirectory.checkUsable(dir);
            return switch (command) {
                case "inspect" -> inspect(dir, opts, out);
                case "verify" -> verify(dir, opts, out);
                case "dump" -> dump(dir, opts, out);
                case "repair" -> repair(dir, opts, out);
                default -> throw new IllegalArgumentException("unknown command " + command);
            };
        } catch (IllegalArgumentException e) {
            err.println("hopper-cli: " + e.getMessage());
            err.println(USAGE_TEXT);
            return USAGE;
        } catch (ChannelDirectory.Refused e) {
            err.println("hopper-cli: refused: " + e.getMessage());
            return REFUSED;
        } catch (IOException e) {
            err.println("hopper-cli: " + e);
            return IO_ERROR;
        }
    }

    // ------------------------------------------------------------------ inspect

    private static int inspect(Path dir, List<String> opts, PrintStream out) throws IOException {
        boolean json = false;
        for (String o : opts) {
            if (o.equals("--json")) {
                json = true;
            } else {
                throw new IllegalArgumentException("inspect takes only --json, not " + o);
            }
        }
        ChannelDirectory.Scan s = ChannelDirectory.scan(dir);
        if (json) {
            out.println(Json.scan(s));
            return OK;
        }
        out.printf(Locale.ROOT, "directory   %s%n", dir.toAbsolutePath());
        out.printf(Locale.ROOT, "lock        %s%n", s.locked() ? "held by a running process" : "free (no channel has it open)");
        out.printf(Locale.ROOT, "cursor      %s%n", describe(s.cursor()));
        out.printf(Locale.ROOT, "snapshot    %s%n", describe(s.snapshot(), s.snapshotFrames()));
        out.printf(Locale.ROOT, "queue files %d, %s on disk, %,d intact records%n", s.files().size(),
                ByteSize.format(s.bytes()), s.records());
        if (!s.files().isEmpty()) {
            out.printf(Locale.ROOT, "  %-33s %6s %10s %10s %-23s %10s %-6s %s%n", "file", "seq", "size", "records",
                    "record indices", "compressed", "sealed", "damage");
            for (ChannelDirectory.FileScan f : s.files()) {
                out.printf(Locale.ROOT, "  %-33s %6d %10s %,10d %-23s %10s %-6s %s%n", f.name(), f.sequence(),
                        ByteSize.format(f.bytes()), f.records(),
                        f.records() == 0 ? "-" : f.firstIndex() + ".." + f.lastIndex(),
                        f.records() == 0 ? "-" : percent(f.compressed(), f.records()), f.sealed() ? "yes" : "no",
                        damage(f));
            }
        }
        for (String a : s.setAside()) {
            out.printf(Locale.ROOT, "set aside   %s (%s; damage recovery could not read)%n", a,
                    ByteSize.format(Files.size(dir.resolve(a))));
        }
        for (String t : s.temporary()) {
            out.printf(Locale.ROOT, "temporary   %s (an interrupted write; the next open removes it)%n", t);
        }
        out.printf(Locale.ROOT, "damage      %s%n", s.damaged() ? "FOUND (see above; `verify` exits 1)" : "none");
        return OK;
    }

    static String describe(ChannelDirectory.Cursor c) {
        if (!c.present()) {
            return "none (nothing committed yet: every record on disk is delivered)";
        }
        if (c.committed() == null) {
            return "DAMAGED (no intact copy: the next open delivers every record on disk again)";
        }
        ChannelDirectory.Committed st = c.committed();
        return String.format(Locale.ROOT, "committed read index %d (next record index %d, next file %d), version %d,"
                        + " %d of %d copies intact%s", st.readIndex(), st.nextIndex(), st.nextSequence(), c.version(),
                c.intactSlots(), c.version() == 1 ? 1 : 2,
                st.snapshotRecords() == 0 ? "" : String.format(Locale.ROOT, "; %d of %d snapshot records delivered",
                        st.snapshotDelivered(), st.snapshotRecords()));
    }

    static String describe(ChannelDirectory.SnapshotHeader h, ChannelDirectory.SnapshotScan scan) {
        if (h == null) {
            return "none";
        }
        if (!h.intact()) {
            return "DAMAGED header (" + ByteSize.format(h.bytes()) + "; the next open sets it aside)";
        }
        return String.format(Locale.ROOT, "%d records saved by a graceful close (version %d, %s), after disk index %d%s",
                h.records(), h.version(), ByteSize.format(h.bytes()), h.diskLimit(),
                scan == null || !scan.damaged() ? ""
                        : "; DAMAGED: " + scan.damagedFrames() + " frames fail their checks");
    }

    private static String damage(ChannelDirectory.FileScan f) {
        if (f.headerProblem() != null) {
            return "UNREADABLE: " + f.headerProblem();
        }
        List<String> d = new ArrayList<>();
        if (f.damagedFrames() > 0) {
            d.add(f.damagedFrames() + " frames fail their checksum");
        }
        if (f.damagedRegions() > 0) {
            d.add(f.damagedRegions() + " damaged regions");
        }
        if (f.recordsLost() > 0) {
            d.add(f.recordsLost() + " records lost");
        }
        if (f.tornTailBytes() > 0) {
            d.add("torn tail of " + f.tornTailBytes() + " bytes (a crash while writing; the next open cuts it)");
        }
        return d.isEmpty() ? "none" : String.join(", ", d);
    }

    private static String percent(long part, long whole) {
        return String.format(Locale.ROOT, "%d%%", Math.round(100.0 * part / whole));
    }

    // ------------------------------------------------------------------ verify

    private static int verify(Path dir, List<String> opts, PrintStream out) throws IOException {
        if (!opts.isEmpty()) {
            throw new IllegalArgumentException("verify takes no options, not " + opts);
        }
        ChannelDirectory.Scan s = ChannelDirectory.scan(dir);
        List<String> problems = new ArrayList<>();
        for (ChannelDirectory.FileScan f : s.files()) {
            if (f.damaged()) {
                problems.add(f.name() + ": " + damage(f));
            }
        }
        if (s.cursor().present() && s.cursor().committed() == null) {
            problems.add(ChannelDirectory.CURSOR_FILE + ": no intact copy");
        }
        if (s.snapshot() != null && !s.snapshot().intact()) {
            problems.add(ChannelDirectory.SNAPSHOT_FILE + ": damaged header");
        } else if (s.snapshotFrames() != null && s.snapshotFrames().damaged()) {
            problems.add(ChannelDirectory.SNAPSHOT_FILE + ": " + s.snapshotFrames().damagedFrames() + " damaged frames, "
                    + s.snapshotFrames().records() + " of " + s.snapshot().records() + " records intact");
        }
        for (String a : s.setAside()) {
            problems.add(a + ": set aside by an earlier recovery");
        }
        long frames = s.records();
        if (problems.isEmpty()) {
            out.printf(Locale.ROOT, "ok: %d queue files, %,d records, every checksum holds%n", s.files().size(), frames);
            return OK;
        }
        for (String p : problems) {
            out.println("DAMAGE " + p);
        }
        out.printf(Locale.ROOT, "damage found in %s: %d problems (%,d intact records)%n", dir, problems.size(), frames);
        return DAMAGE;
    }

    // ------------------------------------------------------------------ dump

    private static int dump(Path dir, List<String> opts, PrintStream out) throws IOException {
        long from = Long.MIN_VALUE;
        long limit = 100;
        String format = "text";
        String serializerClass = null;
        String typeClass = null;
        for (int i = 0; i < opts.size(); i++) {
            String o = opts.get(i);
            if (i + 1 >= opts.size()) {
                throw new IllegalArgumentException("missing value after " + o);
            }
            String v = opts.get(++i);
            switch (o) {
                case "--from" -> from = Long.parseLong(v);
                case "--limit" -> limit = Long.parseLong(v);
                case "--format" -> {
                    if (!Set.of("text", "hex", "json").contains(v)) {
                        throw new IllegalArgumentException("--format is text, hex or json, not " + v);
                    }
                    format = v;
                }
                case "--serializer" -> serializerClass = v;
                case "--type" -> typeClass = v;
                default -> throw new IllegalArgumentException("unknown option " + o);
            }
        }
        if (serializerClass != null && typeClass != null) {
            throw new IllegalArgumentException("give --serializer or --type, not both");
        }
        Serializer<?> serializer = serializerClass != null ? newSerializer(serializerClass)
                : typeClass != null ? kryo(dir, typeClass) : null;
        Dumper d = new Dumper(out, format, serializer, limit);
        long min = from;
        // One pass over each file, stopping at the limit (a file with an unreadable header yields nothing).
        for (ChannelDirectory.Segment seg : ChannelDirectory.segments(dir)) {
            if (d.done()) {
                break;
            }
            String name = seg.path().getFileName().toString();
            ChannelDirectory.walk(seg.path(), seg.sequence(),
                    r -> r.index() < min || d.record("disk", name, r));
        }
        ChannelDirectory.SnapshotHeader snapshot = ChannelDirectory.snapshotHeader(dir);
        if (snapshot != null && snapshot.intact() && !d.done()) {
            ChannelDirectory.walkSnapshot(dir, snapshot, r -> d.record("snapshot", ChannelDirectory.SNAPSHOT_FILE, r));
        }
        if (format.equals("text")) {
            out.printf(Locale.ROOT, "%d records shown%s%n", d.shown, d.done() ? " (--limit reached)" : "");
        }
        return OK;
    }

    private static Serializer<?> newSerializer(String name) {
        try {
            Object o = Class.forName(name).getConstructor().newInstance();
            if (!(o instanceof Serializer<?> ser)) {
                throw new IllegalArgumentException(name + " is not an io.hopper.Serializer");
            }
            return ser;
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("cannot make a " + name + " (on the class path, with a public no-arg"
                    + " constructor?): " + e, e);
        }
    }

    /**
     * Hopper's default serializer for {@code name}, naming classes through the directory's type
     * registry, read from a private copy so that nothing in the directory is written.
     */
    private static Serializer<?> kryo(Path dir, String name) throws IOException {
        Class<?> type;
        try {
            type = Class.forName(name);
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("class " + name + " is not on the class path", e);
        }
        return ChannelDirectory.serializer(type, dir);
    }

    /** Prints records in one format until the limit. */
    private static final class Dumper {
        private final PrintStream out;
        private final String format;
        private final Serializer<?> serializer;
        private final long limit;
        long shown;

        Dumper(PrintStream out, String format, Serializer<?> serializer, long limit) {
            this.out = out;
            this.format = format;
            this.serializer = serializer;
            this.limit = limit;
        }

        boolean done() {
            return shown >= limit;
        }

        /** @return false once the limit is reached */
        boolean record(String source, String file, ChannelDirectory.StoredRecord r) {
            if (done()) {
                return false;
            }
            shown++;
            long index = r.index();
            byte[] payload = r.payload();
            boolean compressed = r.compressed();
            String codecName = r.codecName();
            byte[] raw;
            String problem = null;
            try {
                // The library's own payload decoding, whatever codec the frame names.
                raw = r.raw();
            } catch (RuntimeException e) {
                raw = payload;
                problem = "does not decompress: " + e.getMessage();
            }
            String value = null;
            // A plain String record is its UTF-8; a plain byte[] record is shown as its bytes.
            if (problem == null && r.form() == ChannelDirectory.RecordForm.UTF8) {
                value = new String(raw, java.nio.charset.StandardCharsets.UTF_8);
            } else if (problem == null && r.form() == ChannelDirectory.RecordForm.SERIALIZED && serializer != null) {
                try {
                    value = String.valueOf(serializer.deserialize(raw, 0, raw.length));
                } catch (IOException | RuntimeException e) {
                    problem = "does not deserialize: " + e;
                }
            }
            switch (format) {
                case "json" -> out.println("{\"source\":" + Json.str(source) + ",\"file\":" + Json.str(file)
                        + ",\"index\":" + index + ",\"form\":" + Json.str(r.form().name())
                        + ",\"compressed\":" + compressed + ",\"storedBytes\":" + payload.length
                        + ",\"bytes\":" + raw.length
                        + (value != null ? ",\"value\":" + Json.str(value) : ",\"hex\":" + Json.str(hex(raw)))
                        + (problem != null ? ",\"problem\":" + Json.str(problem) : "") + "}");
                case "hex" -> {
                    out.printf(Locale.ROOT, "%s %s index %d, %d bytes%s%s%n", source, file, index, raw.length,
                            compressed ? " (" + codecName + ", " + payload.length + " stored)" : "",
                            problem != null ? " " + problem : "");
                    for (int i = 0; i < raw.length; i += 16) {
                        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "  %08x ", i));
                        for (int j = i; j < Math.min(raw.length, i + 16); j++) {
                            sb.append(String.format(Locale.ROOT, " %02x", raw[j] & 0xff));
                        }
                        out.println(sb);
                    }
                }
                default -> out.printf(Locale.ROOT, "%s %d  %d B%s  %s%n", source.equals("disk") ? "index" : "snapshot#",
                        index, raw.length, compressed ? " (" + codecName + " " + payload.length + " B)" : "",
                        problem != null ? "[" + problem + "]" : value != null ? value : printable(raw));
            }
            return !done();
        }

    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length * 2);
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        }
        return sb.toString();
    }

    /** The bytes as text where they are printable ASCII, {@code \xNN} where not. */
    static String printable(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            int c = x & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '\\') {
                sb.append((char) c);
            } else {
                sb.append(String.format(Locale.ROOT, "\\x%02x", c));
            }
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ repair

    private static int repair(Path dir, List<String> opts, PrintStream out) throws IOException {
        if (!opts.isEmpty()) {
            throw new IllegalArgumentException("repair takes no options, not " + opts);
        }
        ChannelDirectory.Scan before = ChannelDirectory.scan(dir);
        Set<String> namesBefore = names(dir);
        long largest = before.files().stream().mapToLong(ChannelDirectory.FileScan::bytes).max().orElse(0);
        int files = Math.max(16, before.files().size() + 1);
        long segment = Math.max(64L << 20, largest);
        ChannelStats stats;
        // Opening runs the library's own recovery; the channel is closed at once, with nothing
        // received, so the committed position stays where it was.
        try (Channel<Object> ch = Hopper.builder(Object.class, dir).storage(StorageBackend.FILE_CHANNEL)
                .maxDiskFiles(files).diskBytes(segment * files).open()) {
            stats = ch.stats();
        }
        ChannelDirectory.Scan after = ChannelDirectory.scan(dir);
        Set<String> namesAfter = names(dir);
        List<String> did = new ArrayList<>();
        for (String n : namesAfter) {
            if (!namesBefore.contains(n) && n.endsWith(".corrupt")) {
                did.add("set aside " + n + " (unreadable)");
            }
        }
        for (String n : namesBefore) {
            if (!namesAfter.contains(n) && n.endsWith(".tmp")) {
                did.add("removed " + n + " (an interrupted write)");
            } else if (!namesAfter.contains(n) && !namesAfter.contains(n + ".corrupt")
                    && ChannelDirectory.isQueueFileName(n)) {
                did.add("removed " + n + " (too short to hold a record: a file created just before a crash, or cut"
                        + " short; records it held are counted as lost)");
            }
        }
        for (ChannelDirectory.FileScan b : before.files()) {
            for (ChannelDirectory.FileScan a : after.files()) {
                if (a.name().equals(b.name()) && b.tornTailBytes() > 0 && a.tornTailBytes() == 0) {
                    did.add("cut a torn tail of " + b.tornTailBytes() + " bytes off " + b.name());
                }
                if (a.name().equals(b.name()) && !b.sealed() && a.sealed()) {
                    did.add("sealed " + b.name());
                }
            }
        }
        for (String d : did) {
            out.println(d);
        }
        out.printf(Locale.ROOT, "repair of %s: %s; %,d records on disk, %d files repaired or set aside, %,d records"
                        + " counted as lost%n", dir, did.isEmpty() ? "nothing to do" : did.size() + " changes",
                stats.recordsOnDisk(), stats.filesRepaired(), stats.recordsLost());
        return OK;
    }

    private static Set<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            Set<String> out = new TreeSet<>();
            s.forEach(p -> out.add(p.getFileName().toString()));
            return out;
        }
    }
}
