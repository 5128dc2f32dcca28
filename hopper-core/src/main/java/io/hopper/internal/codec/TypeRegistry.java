package io.hopper.internal.codec;

import io.hopper.internal.file.DirectorySync;
import io.hopper.internal.file.InterruptSafeChannel;
import io.hopper.internal.file.Uninterruptibly;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

/**
 * The types a channel's payloads refer to, by id: {@code types.hop} in the channel directory.
 *
 * <p>A payload names each class by a 32-bit id instead of its name. The id is derived from the
 * class's {@link TypeDescriptor} (a CRC32C of its encoding), never from the order in which
 * classes were registered, and the descriptor is stored here before the first payload that uses
 * it is written, so a later process, whatever its classes and their registration order, resolves
 * an id to the exact class and field layout it was written with. Two different descriptors never
 * share an id: a collision is resolved with a salt when the second one is registered, and the
 * registry remembers the outcome.
 *
 * <pre>
 * file header   16 bytes  "HOPPERTY", u32 format version 1, u32 reserved 0
 * each entry    u32 length of the descriptor, u32 CRC32C of id and descriptor,
 *               i32 id, the descriptor's bytes ({@link TypeDescriptor#encode()})
 * </pre>
 * Integers are little-endian. Entries are only appended, each forced to the device (with the
 * directory, when the file is new) before the id is used: a new type is rare, and a payload must
 * never outlive the entry that makes it readable. A torn or damaged entry ends the file; it and
 * what follows are cut off at open, and payloads that use those ids are counted as undecodable.
 *
 * <p>Thread-safe: look-ups are lock-free; registering a new descriptor is serialized on the
 * registry. The file is written {@link Uninterruptibly}: a producer whose thread is interrupted
 * while it registers a type still registers it.
 */
public final class TypeRegistry {
    public static final String FILE_NAME = "types.hop";
    private static final byte[] MAGIC = "HOPPERTY".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = 16;
    private static final int ENTRY_HEADER = 12;
    private static final int MAX_DESCRIPTOR = 1 << 20;
    private static final System.Logger LOG = System.getLogger("io.hopper");

    /** Where entries are appended; null for a registry that lives in memory only. */
    private final Path file;
    /** Every known descriptor by id: loaded, registered or only computed. Written under {@code this}. */
    private final Map<Integer, TypeDescriptor> byId = new ConcurrentHashMap<>();
    /** Ids by descriptor encoding (as ISO-8859-1 text, one char per byte). Written under {@code this}. */
    private final Map<String, Integer> byEncoding = new ConcurrentHashMap<>();
    /** Ids whose entry is in the file (or every id, in memory). Written under {@code this}. */
    private final Set<Integer> stored = ConcurrentHashMap.newKeySet();
    /** Bytes of the file so far. Guarded by {@code this}. */
    private long fileLength;

    private TypeRegistry(Path file) {
        this.file = file;
    }

    /** A registry for a serializer used outside a channel: ids live as long as the process. */
    public static TypeRegistry inMemory() {
        return new TypeRegistry(null);
    }

    /**
     * Loads {@code types.hop} from {@code directory}, cutting off a torn or damaged tail. The file is
     * created when the first type is registered.
     *
     * @throws IOException if the file exists but cannot be read or repaired
     */
    public static TypeRegistry open(Path directory) throws IOException {
        TypeRegistry r = new TypeRegistry(directory.resolve(FILE_NAME));
        r.load();
        return r;
    }

    private void load() throws IOException {
        byte[] b;
        try {
            b = Uninterruptibly.call(() -> Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return;
        }
        if (b.length < HEADER || !Arrays.equals(b, 0, MAGIC.length, MAGIC, 0, MAGIC.length)
                || ByteBuffer.wrap(b, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() != 1) {
            LOG.log(Level.WARNING, "hopper: type registry " + file + " has no valid header; starting it afresh"
                    + " (records that use its types are counted as undecodable)");
            Files.delete(file);
            return;
        }
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int at = HEADER;
        while (at + ENTRY_HEADER <= b.length) {
            int len = bb.getInt(at);
            if (len <= 0 || len > MAX_DESCRIPTOR || at + ENTRY_HEADER + len > b.length) {
                break;
            }
            CRC32C crc = new CRC32C();
            crc.update(b, at + 8, 4 + len);
            if ((int) crc.getValue() != bb.getInt(at + 4)) {
                break;
            }
            int id = bb.getInt(at + 8);
            byte[] enc = Arrays.copyOfRange(b, at + ENTRY_HEADER, at + ENTRY_HEADER + len);
            TypeDescriptor d;
            try {
                d = TypeDescriptor.decode(enc);
            } catch (IOException e) {
                break;
            }
            byId.put(id, d);
            byEncoding.put(key(enc), id);
            stored.add(id);
            at += ENTRY_HEADER + len;
        }
        if (at != b.length) {
            LOG.log(Level.WARNING, "hopper: type registry " + file + " is torn or damaged at offset " + at
                    + "; cutting off " + (b.length - at) + " byte(s)");
            try (InterruptSafeChannel ch = InterruptSafeChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(at);
                ch.force(true);
            }
        }
        fileLength = at;
    }

    /** {@return the descriptor that {@code id} stands for, or null if it is unknown} */
    public TypeDescriptor lookup(int id) {
        return byId.get(id);
    }

    /**
     * The id of {@code d}, assigning one if it has none.
     *
     * @param store also make sure the entry is in the file before returning (the caller is about to
     *              write a payload that uses the id); otherwise the id is only known to this process
     * @throws StoreFailedException if the entry could not be written
     */
    public int idOf(TypeDescriptor d, boolean store) {
        byte[] enc = d.encode();
        String key = key(enc);
        Integer known = byEncoding.get(key);
        if (known != null && (!store || stored.contains(known))) {
            return known;
        }
        synchronized (this) {
            Integer id = byEncoding.get(key);
            if (id == null) {
                int salt = 0;
                int candidate = TypeDescriptor.candidateId(enc, salt);
                while (byId.containsKey(candidate)) {
                    candidate = TypeDescriptor.candidateId(enc, ++salt);
                }
                id = candidate;
                byId.put(id, d);
                byEncoding.put(key, id);
                if (file == null) {
                    stored.add(id);
                }
            }
            if (store && !stored.contains(id)) {
                try {
                    append(id, enc);
                } catch (IOException e) {
                    throw new StoreFailedException("cannot record type " + d.className() + " in " + file, e);
                }
                stored.add(id);
            }
            return id;
        }
    }

    /** Caller holds {@code this}. */
    private void append(int id, byte[] enc) throws IOException {
        boolean created = fileLength == 0;
        ByteBuffer buf = ByteBuffer.allocate((created ? HEADER : 0) + ENTRY_HEADER + enc.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        if (created) {
            buf.put(MAGIC).putInt(1).putInt(0);
        }
        CRC32C crc = new CRC32C();
        ByteBuffer idBytes = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, id);
        crc.update(idBytes);
        crc.update(enc);
        buf.putInt(enc.length).putInt((int) crc.getValue()).putInt(id).put(enc);
        byte[] bytes = buf.array();
        try (InterruptSafeChannel ch = InterruptSafeChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            if (created) {
                ch.truncate(0);
            }
            ch.write(fileLength, bytes, 0, bytes.length);
            ch.force(true);
        }
        fileLength += bytes.length;
        if (created) {
            DirectorySync.force(file.getParent());
        }
    }

    /** The registry's file could not be written: a storage failure, not a fault of the record. */
    public static final class StoreFailedException extends UncheckedIOException {
        private static final long serialVersionUID = 1L;

        StoreFailedException(String message, IOException cause) {
            super(message, cause);
        }
    }

    private static String key(byte[] enc) {
        return new String(enc, StandardCharsets.ISO_8859_1);
    }
}
