package io.hopper;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The user documentation names only things that exist: every relative link (and its
 * {@code #anchor}) resolves, and every test class and test method the docs cite as evidence is in
 * the repository. A renamed test or a moved section fails the build instead of leaving a claim
 * without its proof.
 */
class DocumentationTest {
    /** The pages a user reads; dated benchmark logs and the CHANGELOG are history, not claims about today. */
    private static final List<String> PAGES = List.of("README.md", "hopper-kafka/README.md", "docs");
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final Pattern CODE = Pattern.compile("`([^`\\n]+)`");
    /** A test class as the docs cite it, optionally with a method: {@code CrashTest.writeThrough...}. */
    private static final Pattern TEST_CLASS = Pattern.compile(
            "([A-Z][A-Za-z0-9]*(?:Test|Properties))(?:\\.([a-z][A-Za-z0-9]*))?");
    /** A test method cited on its own, after its class: long camel case names only. */
    private static final Pattern TEST_METHOD = Pattern.compile("[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*){4,}");

    private static Path root;
    private static List<Path> docs;
    /** Test sources by class simple name. */
    private static final Map<String, String> tests = new HashMap<>();
    private static String allTestSources;

    @BeforeAll
    static void readRepository() throws IOException {
        root = Path.of("").toAbsolutePath().getParent();
        assertTrue(Files.exists(root.resolve("README.md")), "the repository root is above the module: " + root);
        docs = new ArrayList<>();
        for (String page : PAGES) {
            Path p = root.resolve(page);
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    s.filter(f -> f.toString().endsWith(".md")).sorted().forEach(docs::add);
                }
            } else {
                docs.add(p);
            }
        }
        StringBuilder all = new StringBuilder();
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(f -> f.toString().endsWith(".java") && !f.toString().contains("/target/")
                            && (f.toString().contains("/src/test/") || f.toString().contains("/hopper-fuzz/")))
                    .forEach(f -> {
                        String text = read(f);
                        tests.merge(f.getFileName().toString().replace(".java", ""), text, String::concat);
                        all.append(text);
                    });
        }
        allTestSources = all.toString();
    }

    @Test
    void everyRelativeLinkAndAnchorResolves() {
        List<String> broken = new ArrayList<>();
        for (Path doc : docs) {
            Matcher m = LINK.matcher(read(doc));
            while (m.find()) {
                String target = m.group(1);
                if (target.matches("^[a-z]+:.*")) {
                    continue; // http(s), mailto: not ours to check offline
                }
                int hash = target.indexOf('#');
                String file = hash < 0 ? target : target.substring(0, hash);
                Path resolved = file.isEmpty() ? doc : doc.getParent().resolve(file).normalize();
                if (!Files.exists(resolved)) {
                    broken.add(root.relativize(doc) + ": " + target + " (no such file)");
                } else if (hash >= 0 && resolved.toString().endsWith(".md")
                        && !anchors(resolved).contains(target.substring(hash + 1))) {
                    broken.add(root.relativize(doc) + ": " + target + " (no such heading)");
                }
            }
        }
        assertTrue(broken.isEmpty(), "broken links:\n" + String.join("\n", broken));
    }

    @Test
    void everyTestTheDocsCiteExists() {
        List<String> missing = new ArrayList<>();
        int cited = 0;
        for (Path doc : docs) {
            Matcher code = CODE.matcher(read(doc));
            while (code.find()) {
                String span = code.group(1);
                Matcher t = TEST_CLASS.matcher(span);
                if (t.matches()) {
                    cited++;
                    String source = tests.get(t.group(1));
                    if (source == null) {
                        missing.add(root.relativize(doc) + ": test class " + t.group(1));
                    } else if (t.group(2) != null && !source.contains(" " + t.group(2) + "(")) {
                        missing.add(root.relativize(doc) + ": test method " + span);
                    }
                } else if (TEST_METHOD.matcher(span).matches() && span.length() > 24) {
                    cited++;
                    if (!allTestSources.contains(" " + span + "(")) {
                        missing.add(root.relativize(doc) + ": test method " + span);
                    }
                }
            }
        }
        assertTrue(cited > 50, "the docs cite their tests (" + cited + " found): is the pattern still right?");
        assertTrue(missing.isEmpty(), "the docs cite tests that do not exist:\n" + String.join("\n", missing));
    }

    /** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
    private static Set<String> anchors(Path md) {
        Set<String> out = new HashSet<>();
        for (String line : read(md).split("\n")) {
            if (line.startsWith("#")) {
                String text = line.replaceFirst("^#+\\s*", "").toLowerCase(Locale.ROOT);
                out.add(text.replaceAll("[^a-z0-9 \\-_]", "").replace(' ', '-'));
            }
        }
        return out;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
