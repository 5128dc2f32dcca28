package io.hopper.bench.jmh;

import org.openjdk.jmh.annotations.Fork;

/**
 * Base of every benchmark: forks get the JVM flags Chronicle Bytes needs (the list in docs/configuration.md) and
 * Chronicle's usage analytics switched off. A forked JVM is started by class name, so the jar
 * manifest's Add-Opens do not apply there. JMH inherits {@code @Fork} from a superclass.
 */
@Fork(value = 3, jvmArgsAppend = {
    "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
    "-Dchronicle.analytics.disable=true"})
public abstract class ChronicleForks {

    /** A {@code storage} benchmark parameter as hopper's back end: {@code AUTO}, {@code FILE_CHANNEL} or {@code CHRONICLE_BYTES}. */
    static io.hopper.StorageBackend storage(String name) {
        return io.hopper.StorageBackend.valueOf(name);
    }

    /** A {@code sync} benchmark parameter as hopper's policy: {@code NONE} or {@code ALWAYS}. */
    static io.hopper.SyncPolicy syncPolicy(String name) {
        return switch (name) {
            case "NONE" -> io.hopper.SyncPolicy.NONE;
            case "ALWAYS" -> io.hopper.SyncPolicy.ALWAYS;
            default -> throw new IllegalArgumentException("sync must be NONE or ALWAYS, got " + name);
        };
    }
}
