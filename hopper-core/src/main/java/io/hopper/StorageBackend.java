package io.hopper;

/** Which implementation writes and reads the queue files. Both use the same on-disk format. */
public enum StorageBackend {
    /**
     * Chronicle Bytes when it can initialise in this JVM (it needs the {@code --add-opens} /
     * {@code --add-exports} flags listed in docs/configuration.md), otherwise {@link #FILE_CHANNEL}, with one
     * log line naming the missing flags.
     */
    AUTO,
    /** Memory-mapped, off-heap queue files through Chronicle Bytes. Fails to open without its JVM flags. */
    CHRONICLE_BYTES,
    /** Plain JDK {@link java.nio.channels.FileChannel} positional I/O. Needs no JVM flags. */
    FILE_CHANNEL
}
