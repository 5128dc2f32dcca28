package io.hopper.internal.segment;

import java.util.ArrayList;
import java.util.List;

/**
 * Decides, once per JVM, whether Chronicle Bytes can initialise here. It first checks the JVM
 * flags Chronicle needs through the module API, without touching a Chronicle class (a failed
 * static initialiser cannot be retried), and only then initialises it.
 */
public final class ChronicleAvailability {

    /** The packages Chronicle Bytes must be able to reach reflectively, as {@code module/package}. */
    static final String[] OPENS = {
        "java.base/java.lang", "java.base/java.lang.reflect", "java.base/java.nio", "java.base/sun.nio.ch",
        "java.base/jdk.internal.misc", "java.base/java.io", "java.base/java.util",
    };
    static final String[] EXPORTS = {
        "java.base/jdk.internal.ref", "java.base/sun.nio.ch", "jdk.unsupported/sun.misc",
    };

    private static final Result RESULT = probe();

    private ChronicleAvailability() {
    }

    /** Whether Chronicle Bytes is usable, and if not, why. */
    public static Result check() {
        return RESULT;
    }

    /** Outcome of the probe. {@code missingFlags} is empty when the flags are all present. */
    public record Result(boolean available, List<String> missingFlags, String reason) {
    }

    private static Result probe() {
        List<String> missing = missingFlags();
        if (!missing.isEmpty()) {
            return new Result(false, missing, "missing JVM flags " + String.join(" ", missing));
        }
        if (System.getProperty("chronicle.analytics.disable") == null) {
            // Chronicle's analytics artifact is excluded from our dependencies; this keeps it off
            // even where a host application brings it back.
            System.setProperty("chronicle.analytics.disable", "true");
        }
        if (System.getProperty("background.releaser") == null) {
            // Unmap and close a released queue file in the releasing thread (microseconds) rather
            // than on Chronicle's background thread, whose lag let handles and mappings pile up
            // when files rotate quickly. Read once, when Chronicle initialises.
            System.setProperty("background.releaser", "false");
        }
        try {
            ClassLoader loader = ChronicleAvailability.class.getClassLoader();
            Class.forName("net.openhft.chronicle.bytes.MappedBytes", true, loader);
            return new Result(true, List.of(), "available");
        } catch (LinkageError | ClassNotFoundException | RuntimeException e) {
            return new Result(false, List.of(), "Chronicle Bytes failed to initialise: " + e);
        }
    }

    static List<String> missingFlags() {
        Module self = ChronicleAvailability.class.getModule();
        List<String> missing = new ArrayList<>();
        for (String spec : OPENS) {
            Module m = module(spec);
            if (m != null && !m.isOpen(pkg(spec), self)) {
                missing.add("--add-opens=" + spec + "=ALL-UNNAMED");
            }
        }
        for (String spec : EXPORTS) {
            Module m = module(spec);
            if (m != null && !m.isExported(pkg(spec), self)) {
                missing.add("--add-exports=" + spec + "=ALL-UNNAMED");
            }
        }
        return missing;
    }

    private static Module module(String spec) {
        String name = spec.substring(0, spec.indexOf('/'));
        return ModuleLayer.boot().findModule(name).orElse(null);
    }

    private static String pkg(String spec) {
        return spec.substring(spec.indexOf('/') + 1);
    }
}
