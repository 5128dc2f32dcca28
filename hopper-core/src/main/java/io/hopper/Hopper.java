package io.hopper;

import io.hopper.internal.recovery.DirectoryLock;
import io.hopper.internal.ring.RingDeque;
import io.hopper.internal.segment.ChronicleAvailability;
import io.hopper.internal.segment.ChronicleStorage;
import io.hopper.internal.segment.FileChannelStorage;
import io.hopper.internal.segment.SegmentFormat;
import io.hopper.internal.segment.SegmentLog;
import io.hopper.internal.segment.SegmentStorage;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToLongFunction;

/** Entry point: {@code Hopper.builder(Event.class, dir).inMemoryBytes(...).open()}. */
public final class Hopper {
    private static final System.Logger LOG = System.getLogger("io.hopper");
    private static final AtomicBoolean FALLBACK_LOGGED = new AtomicBoolean();

    /** Default memory budget: 64 MiB. */
    public static final long DEFAULT_IN_MEMORY_BYTES = 64L << 20;
    /** Default disk budget: 1 GiB. */
    public static final long DEFAULT_DISK_BYTES = 1L << 30;
    /**
     * Default spin of a blocking receive on an empty channel before it parks
     * ({@link Builder#consumerSpin}): 20 µs where there is more than one processor, else 0.
     */
    static final long DEFAULT_CONSUMER_SPIN_NANOS = Runtime.getRuntime().availableProcessors() > 1 ? 20_000 : 0;
    /** Default number of queue files the disk budget is split into. */
    public static final int DEFAULT_MAX_DISK_FILES = 16;
    /** Weight the default weigher charges for a record that is neither a {@code byte[]} nor a {@code CharSequence}. */
    public static final long DEFAULT_RECORD_WEIGHT = 256;
    /** The most slots {@link Builder#inMemoryRecords(int)} accepts (2^27: about 1.5 GiB of slot arrays). */
    public static final int MAX_SLOTS = RingDeque.MAX_CAPACITY;
    /** The largest memory budget {@link Builder#inMemoryBytes(long)} accepts (64 GiB). */
    public static final long MAX_IN_MEMORY_BYTES = RingDeque.MAX_BYTES;
    /** Most ring slots the default slot count uses. */
    public static final int MAX_DEFAULT_SLOTS = 1 << 20;

    private Hopper() {
    }

    /**
     * Starts configuring a channel of {@code type} records in {@code directory}, which the
     * channel owns: it creates it if needed and keeps its queue files there, nowhere else.
     *
     * @param <T>       the record type
     * @param type      the record class (the default serializer registers it)
     * @param directory the channel's own directory
     * @return a builder with the defaults of the table in docs/configuration.md
     */
    public static <T> Builder<T> builder(Class<T> type, Path directory) {
        return new Builder<>(type, directory);
    }

    /**
     * Channel configuration. Every setter validates its argument at once and names the parameter
     * in its error. Not thread-safe; {@link #open()} may be called once per directory at a time.
     *
     * @param <T> the record type
     */
    public static final class Builder<T> {
        final Class<T> type;
        final Path directory;
        long inMemoryBytes = DEFAULT_IN_MEMORY_BYTES;
        int inMemoryRecords;
        long diskBytes = DEFAULT_DISK_BYTES;
        int maxDiskFiles = DEFAULT_MAX_DISK_FILES;
        ToLongFunction<? super T> weigher;
        Serializer<T> serializer;
        Compression compression = Compression.LZ4;
        StorageBackend storage = StorageBackend.AUTO;
        /** Wraps the chosen back end; the identity outside tests (package-private: the power-cut simulation records through it). */
        java.util.function.UnaryOperator<SegmentStorage> storageWrapper = s -> s;
        Durability durability = Durability.MEMORY_FIRST;
        SyncPolicy syncPolicy = SyncPolicy.NONE;
        CommitMode commitMode = CommitMode.AUTO;
        OverflowPolicy overflow = OverflowPolicy.BLOCK;
        boolean readAhead;
        long consumerSpinNanos = DEFAULT_CONSUMER_SPIN_NANOS;
        boolean shutdownHook = true;
        String jmxName;

        private Builder(Class<T> type, Path directory) {
            this.type = Objects.requireNonNull(type, "type");
            this.directory = Objects.requireNonNull(directory, "directory");
        }

        /**
         * Memory budget in bytes, as charged by the {@link #weigher}. Default 64 MiB. May be 0 (every record spills).
         *
         * @param bytes the budget in bytes
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is negative or above {@link Hopper#MAX_IN_MEMORY_BYTES}
         */
        public Builder<T> inMemoryBytes(long bytes) {
            if (bytes < 0 || bytes > MAX_IN_MEMORY_BYTES) {
                throw new IllegalArgumentException("inMemoryBytes must be in [0, " + MAX_IN_MEMORY_BYTES + "], got " + bytes);
            }
            this.inMemoryBytes = bytes;
            return this;
        }

        /**
         * {@link #inMemoryBytes(long)} from a human-readable size such as {@code "64MiB"}
         * (see {@link ByteSize#parse(String)}).
         *
         * @param size the budget as text, such as {@code "64MiB"}
         * @return this builder
         * @throws IllegalArgumentException if the text is not a size, or the size is out of range
         */
        public Builder<T> inMemoryBytes(String size) {
            return inMemoryBytes(parse("inMemoryBytes", size));
        }

        /**
         * {@link #diskBytes(long)} from a human-readable size such as {@code "10GiB"}
         * (see {@link ByteSize#parse(String)}).
         *
         * @param size the budget as text, such as {@code "64MiB"}
         * @return this builder
         * @throws IllegalArgumentException if the text is not a size, or the size is out of range
         */
        public Builder<T> diskBytes(String size) {
            return diskBytes(parse("diskBytes", size));
        }

        private static long parse(String parameter, String size) {
            try {
                return ByteSize.parse(size);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(parameter + ": " + e.getMessage(), e);
            }
        }

        /**
         * Slots in the memory ring: the most records (and disk markers) memory holds whatever their
         * weight. Default: {@code inMemoryBytes / 8}, at least 64 and at most 2^20, so that
         * the byte budget binds first for records of 8 bytes or more. Each slot costs 8 to 12 bytes
         * of heap beyond the budget.
         *
         * @param slots the slot count
         * @return this builder
         * @throws IllegalArgumentException if {@code slots} is outside [2, {@link Hopper#MAX_SLOTS}]
         */
        public Builder<T> inMemoryRecords(int slots) {
            if (slots < 2 || slots > MAX_SLOTS) {
                throw new IllegalArgumentException("inMemoryRecords must be in [2, " + MAX_SLOTS + "], got " + slots);
            }
            this.inMemoryRecords = slots;
            return this;
        }

        /**
         * Disk budget in bytes, all queue files together. Default 1 GiB.
         *
         * @param bytes the budget in bytes
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is below the smallest queue file
         */
        public Builder<T> diskBytes(long bytes) {
            if (bytes < SegmentFormat.MIN_SEGMENT_BYTES) {
                throw new IllegalArgumentException("diskBytes must be >= " + SegmentFormat.MIN_SEGMENT_BYTES
                        + ", got " + bytes);
            }
            this.diskBytes = bytes;
            return this;
        }

        /**
         * How many queue files the disk budget is split into (each holds {@code diskBytes / maxDiskFiles}).
         * More files reclaim space sooner as the consumer catches up; a record must fit in one file.
         * Default 16.
         *
         * @param files the number of queue files
         * @return this builder
         * @throws IllegalArgumentException if {@code files < 1}
         */
        public Builder<T> maxDiskFiles(int files) {
            if (files < 1) {
                throw new IllegalArgumentException("maxDiskFiles must be >= 1, got " + files);
            }
            this.maxDiskFiles = files;
            return this;
        }

        /**
         * Bytes a record costs in memory. Called once per send, outside the channel's locks. The
         * default charges {@code 16 + length} for a {@code byte[]}, {@code 40 + 2 * length} for a
         * {@code CharSequence}, and {@value #DEFAULT_RECORD_WEIGHT} for anything else: supply a
         * weigher for exact accounting of your type.
         *
         * @param weigher charges each record in bytes; must not return a negative number
         * @return this builder
         */
        public Builder<T> weigher(ToLongFunction<? super T> weigher) {
            this.weigher = Objects.requireNonNull(weigher, "weigher");
            return this;
        }

        /**
         * How spilled records are serialized. Default {@link Serializer#kryo(Class)}.
         *
         * @param serializer the serializer
         * @return this builder
         */
        public Builder<T> serializer(Serializer<T> serializer) {
            this.serializer = Objects.requireNonNull(serializer, "serializer");
            return this;
        }

        /**
         * How spilled records are compressed. Default {@link Compression#LZ4}.
         *
         * @param compression the compression
         * @return this builder
         */
        public Builder<T> compression(Compression compression) {
            this.compression = Objects.requireNonNull(compression, "compression");
            return this;
        }

        /**
         * Whether records go to memory first or always to disk. Default {@link Durability#MEMORY_FIRST}.
         *
         * @param durability the mode
         * @return this builder
         */
        public Builder<T> durability(Durability durability) {
            this.durability = Objects.requireNonNull(durability, "durability");
            return this;
        }

        /**
         * When records on disk are forced to the device. Default {@link SyncPolicy#NONE}.
         *
         * @param syncPolicy the policy
         * @return this builder
         */
        public Builder<T> syncPolicy(SyncPolicy syncPolicy) {
            this.syncPolicy = Objects.requireNonNull(syncPolicy, "syncPolicy");
            return this;
        }

        /**
         * Who moves the committed read position. Default {@link CommitMode#AUTO}; choose
         * {@link CommitMode#MANUAL} when records are processed after {@code receive} returns
         * (handed to an asynchronous client) and must come again after a crash until committed.
         *
         * @param commitMode the mode
         * @return this builder
         */
        public Builder<T> commitMode(CommitMode commitMode) {
            this.commitMode = Objects.requireNonNull(commitMode, "commitMode");
            return this;
        }

        /**
         * What happens to a record when memory and disk are both full. Default
         * {@link OverflowPolicy#BLOCK}: {@code send} waits, {@code offer} returns {@code false}.
         * {@link OverflowPolicy#DROP_OLDEST} evicts the oldest queue file to make room;
         * {@link OverflowPolicy#DROP_NEWEST} drops the new record. Both count what they discard
         * ({@link ChannelStats#recordsEvicted()}, {@link ChannelStats#recordsDropped()}) and never wait.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder<T> overflow(OverflowPolicy policy) {
            this.overflow = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Decodes disk records ahead of the consumer on a helper thread (one per channel, started
         * at the first backlog read): while the consumer handles a record, the next ones are
         * checksummed, decompressed and deserialized. The consumer alone still moves the read
         * position, so commits, file deletion, eviction and close see only what it took. It pays
         * when a backlog is drained by a consumer that does work per record, and needs a spare
         * core; a consumer that keeps up with the producers never waits for it. Memory: copies of
         * at most three windows of file bytes (64 KiB each, more only for records larger than
         * that, up to 256 KiB) and the records decoded from them, per channel. Default: off.
         *
         * @param on whether to decode ahead
         * @return this builder
         */
        public Builder<T> readAhead(boolean on) {
            this.readAhead = on;
            return this;
        }

        /**
         * How long a blocking receive ({@link Receiver#receive()}, a timed
         * {@link Receiver#poll(long, java.util.concurrent.TimeUnit)}) spins on an empty memory tier,
         * watching for a record, before it parks. A record that arrives
         * within the spin is taken at once, and its producer neither takes the consumer's lock nor
         * wakes a thread: at high rates this is what lets one producer and one consumer stream
         * records without a system call each, and it cuts a record's latency when the next one
         * follows within the spin. The cost is CPU: a consumer that finds the channel empty keeps
         * its core busy for up to this long each time, at most once per record it then waits for.
         * {@link java.time.Duration#ZERO} parks at once (the least CPU for a mostly idle channel).
         * Default: 20 µs on a machine with more than one processor, 0 on one processor (where a
         * spin only delays the producer it waits for). The spin is bounded by a timed receive's
         * timeout, and is skipped when records wait on something other than a producer (a disk
         * record not yet forced).
         *
         * @param spin how long to spin; at most 1 second
         * @return this builder
         * @throws IllegalArgumentException if {@code spin} is negative or above 1 second
         */
        public Builder<T> consumerSpin(java.time.Duration spin) {
            Objects.requireNonNull(spin, "spin");
            if (spin.isNegative() || spin.compareTo(java.time.Duration.ofSeconds(1)) > 0) {
                throw new IllegalArgumentException("consumerSpin must be in [0, 1 s], got " + spin);
            }
            this.consumerSpinNanos = spin.toNanos();
            return this;
        }

        /**
         * Whether the channel closes itself gracefully when the JVM shuts down (SIGTERM from a
         * container stop or a rollout, {@code System.exit}, the last non-daemon thread ending), so
         * that the records held in memory are kept in the snapshot as {@link Channel#close()}
         * keeps them. Default: on, like Log4j2's {@code shutdownHook}. At shutdown the channel first
         * runs its shutdown tasks ({@link Channel#addShutdownTask(Runnable)}: a
         * {@code KafkaForwarder} finishes its records in flight and commits there), then closes,
         * waiting up to 5 seconds for a receiver call under way; producers still sending meanwhile
         * get {@link ChannelClosedException}, their record kept. Turn it off when the application
         * closes the channel itself at a moment of its choosing (after draining it in its own
         * shutdown hook, say); an application hook that only calls {@code close()} works either
         * way, since closing is idempotent. A {@code SIGKILL} (or the end of a container's grace
         * period) still loses what memory held, as any kill does.
         *
         * @param on whether to close at JVM shutdown
         * @return this builder
         */
        public Builder<T> shutdownHook(boolean on) {
            this.shutdownHook = on;
            return this;
        }

        /**
         * Registers the channel's statistics as a JMX MBean ({@link ChannelMXBean}) on the platform
         * MBean server when it opens, under {@code io.hopper:type=Channel,name="<name>"}, and
         * unregisters it when the channel closes. Default: not registered.
         *
         * @param name the {@code name} key of the MBean's object name
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is blank
         */
        public Builder<T> jmxName(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("jmxName must not be blank, got \"" + name + "\"");
            }
            this.jmxName = name;
            return this;
        }

        /**
         * Which implementation does the file I/O. Default {@link StorageBackend#AUTO}.
         *
         * @param storage the back end
         * @return this builder
         */
        public Builder<T> storage(StorageBackend storage) {
            this.storage = Objects.requireNonNull(storage, "storage");
            return this;
        }

        /**
         * Creates the directory if needed, takes ownership of it, recovers the queue files an
         * earlier run left there (their records are delivered first, oldest first; a torn tail is
         * cut off, see {@link ChannelStats}), and opens the channel.
         *
         * @return the open channel; close it to release the directory
         * @throws IOException              if the directory cannot be created, listed or repaired
         * @throws StorageException         if another channel (in this JVM or another process) has the
         *                                  directory open
         * @throws IllegalArgumentException if the budgets are inconsistent
         * @throws IllegalStateException    if {@link StorageBackend#CHRONICLE_BYTES} was forced and
         *                                  Chronicle Bytes cannot initialise
         */
        public Channel<T> open() throws IOException {
            SegmentStorage segmentStorage = storageWrapper.apply(chooseStorage(storage, ChronicleAvailability::check));
            Files.createDirectories(directory);
            SegmentLog log = new SegmentLog(directory, segmentStorage, diskBytes, maxDiskFiles,
                    compression == Compression.LZ4_BLOCKS);
            DirectoryLock lock = DirectoryLock.acquire(directory);
            Channel<T> channel;
            ChannelAssembly.Recovered recovered = null;
            try {
                recovered = ChannelAssembly.recover(log, directory, syncPolicy.forces());
                channel = ChannelAssembly.wire(this, log, lock, recovered);
            } catch (IOException | RuntimeException e) {
                if (recovered != null) {
                    try {
                        recovered.cursorFile().close();
                    } catch (IOException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                lock.close();
                throw e;
            }
            if (jmxName != null) {
                try {
                    channel.registerMBean(jmxName);
                } catch (RuntimeException e) {
                    channel.close(); // releases the directory
                    throw e;
                }
            }
            if (shutdownHook) {
                JvmShutdown.register(channel);
            }
            return channel;
        }

        /** Wraps the storage back end the builder chooses (tests: recording writes into memory mappings). */
        Builder<T> storageWrapper(java.util.function.UnaryOperator<SegmentStorage> wrapper) {
            this.storageWrapper = Objects.requireNonNull(wrapper, "wrapper");
            return this;
        }

        /**
         * The storage back end for {@code storage}, asking {@code probe} whether Chronicle Bytes can
         * run here only when it matters.
         */
        static SegmentStorage chooseStorage(StorageBackend storage,
                                            java.util.function.Supplier<ChronicleAvailability.Result> probe) {
            if (storage == StorageBackend.FILE_CHANNEL) {
                return new FileChannelStorage();
            }
            ChronicleAvailability.Result chronicle = probe.get();
            if (chronicle.available()) {
                return new ChronicleStorage();
            }
            if (storage == StorageBackend.CHRONICLE_BYTES) {
                throw new IllegalStateException("storage CHRONICLE_BYTES was requested but Chronicle Bytes "
                        + "cannot initialise: " + chronicle.reason());
            }
            if (FALLBACK_LOGGED.compareAndSet(false, true)) {
                LOG.log(Level.INFO, "hopper: Chronicle Bytes unavailable (" + chronicle.reason()
                        + "); queue files use plain FileChannel I/O");
            }
            return new FileChannelStorage();
        }

        static long defaultWeight(Object record) {
            if (record instanceof byte[] b) {
                return 16L + b.length;
            }
            if (record instanceof CharSequence s) {
                return 40L + 2L * s.length();
            }
            return DEFAULT_RECORD_WEIGHT;
        }
    }
}
