package io.hopper;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.codeUnits;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.fields;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package structure of hopper-core, as {@code docs/DESIGN.md} section 1 draws it, checked on
 * the compiled classes: no cycles between the internal packages, each layer depends only on the
 * layers below it, and the public API exposes no internal type.
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.hopper");
    }

    @Test
    void theInternalPackagesHaveNoCycles() {
        slices().matching("io.hopper.internal.(*)..").should().beFreeOfCycles().check(classes);
    }

    /**
     * Bottom to top: the {@code VarHandle} helper and file I/O; the codec; the ring and the placement marker; the disk tier
     * (segments); what survives a restart (recovery); the producer and consumer state machines;
     * the public API, and beside it the read-only inspection of a directory. The API's value types (exceptions, policies, {@code Serializer}) are used
     * by every layer, so they are a layer of their own, below the internal ones.
     */
    @Test
    void eachLayerDependsOnlyOnTheLayersBelowIt() {
        ArchRule rule = layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("Api").definedBy(DescribedPredicate.describe("the public classes that wire the channel",
                        (JavaClass c) -> c.getPackageName().equals("io.hopper") && !isApiValueType(c)))
                .layer("ApiValues").definedBy(DescribedPredicate.describe("the public value types",
                        ArchitectureTest::isApiValueType))
                .layer("Inspect").definedBy("io.hopper.inspect..")
                .layer("Receiver").definedBy("io.hopper.internal.receiver..")
                .layer("Sender").definedBy("io.hopper.internal.sender..")
                .layer("Recovery").definedBy("io.hopper.internal.recovery..")
                .layer("Segment").definedBy("io.hopper.internal.segment..")
                .layer("Ring").definedBy("io.hopper.internal.ring..", "io.hopper.internal.placement..")
                .layer("Codec").definedBy("io.hopper.internal.codec..")
                .layer("File").definedBy("io.hopper.internal.file..")
                .layer("Concurrent").definedBy("io.hopper.internal.concurrent..")
                .whereLayer("Api").mayNotBeAccessedByAnyLayer()
                .whereLayer("Inspect").mayNotBeAccessedByAnyLayer()
                .whereLayer("Receiver").mayOnlyBeAccessedByLayers("Api")
                .whereLayer("Sender").mayOnlyBeAccessedByLayers("Api", "Receiver")
                .whereLayer("Recovery").mayOnlyBeAccessedByLayers("Api", "Inspect", "Receiver")
                .whereLayer("Segment").mayOnlyBeAccessedByLayers("Api", "Inspect", "Receiver", "Sender", "Recovery")
                .whereLayer("Ring").mayOnlyBeAccessedByLayers("Api", "Receiver", "Sender")
                // ApiValues: the one factory on a public interface, Serializer.kryo(), returns the
                // internal Kryo serializer (as List.of returns a JDK-internal list).
                .whereLayer("Codec").mayOnlyBeAccessedByLayers("Api", "ApiValues", "Inspect", "Receiver", "Sender",
                        "Recovery", "Segment")
                .whereLayer("File").mayOnlyBeAccessedByLayers("Recovery", "Segment", "Codec")
                .whereLayer("Concurrent").mayOnlyBeAccessedByLayers("Receiver", "Sender", "Segment", "Ring", "Codec");
        rule.check(classes);
    }

    /**
     * The types the internal layers may use from the public package: exceptions, configuration
     * enums and value classes, and the {@code Serializer} interface. Everything else in
     * {@code io.hopper} (the channel, the builder, the sender and receiver) wires the internals and
     * sits on top.
     */
    private static boolean isApiValueType(JavaClass c) {
        if (!c.getPackageName().equals("io.hopper")) {
            return false;
        }
        JavaClass top = c;
        while (top.getEnclosingClass().isPresent()) {
            top = top.getEnclosingClass().get();
        }
        return top.isAssignableTo(Throwable.class) || top.isEnum() || VALUE_TYPES.contains(top.getSimpleName());
    }

    private static final List<String> VALUE_TYPES = List.of("Serializer", "SyncPolicy", "ByteSize", "ChannelStats");

    /** The packages users see: the API, and the read-only inspection of a directory. */
    private static final String[] EXPORTED = {"io.hopper", "io.hopper.inspect"};

    @Test
    void thePublicApiExposesNoInternalType() {
        ArchRule methods = codeUnits().that().areDeclaredInClassesThat().resideInAnyPackage(EXPORTED)
                .and().areDeclaredInClassesThat().arePublic()
                .and().arePublic()
                .should(new ArchCondition<JavaCodeUnit>("not name an internal type in their signature") {
                    @Override
                    public void check(JavaCodeUnit unit, ConditionEvents events) {
                        List<JavaClass> named = new ArrayList<>(unit.getRawParameterTypes());
                        named.add(unit.getRawReturnType());
                        named.addAll(unit.getExceptionTypes());
                        for (JavaClass t : named) {
                            if (isInternal(t)) {
                                events.add(SimpleConditionEvent.violated(unit,
                                        unit.getFullName() + " names " + t.getName()));
                            }
                        }
                    }
                });
        methods.check(classes);
        ArchRule publicFields = fields().that().areDeclaredInClassesThat().resideInAnyPackage(EXPORTED)
                .and().areDeclaredInClassesThat().arePublic().and().arePublic()
                .should(new ArchCondition<JavaField>("not have an internal type") {
                    @Override
                    public void check(JavaField f, ConditionEvents events) {
                        if (isInternal(f.getRawType())) {
                            events.add(SimpleConditionEvent.violated(f, f.getFullName() + " is a " + f.getRawType().getName()));
                        }
                    }
                });
        publicFields.check(classes);
        noClasses().that().resideInAnyPackage(EXPORTED).and().arePublic()
                .should().beAssignableTo(DescribedPredicate.describe("an internal type", ArchitectureTest::isInternalType))
                .check(classes);
    }

    /**
     * The size the restructuring brought every class down to: a file over 500 lines mixes concerns
     * that want a class each (docs/DESIGN.md, section 1). hopper-core's and hopper-kafka's main code.
     */
    @Test
    void noMainSourceFileIsOver500Lines() throws java.io.IOException {
        java.nio.file.Path root = java.nio.file.Path.of("").toAbsolutePath().getParent();
        List<String> over = new ArrayList<>();
        for (String module : List.of("hopper-core", "hopper-kafka")) {
            try (java.util.stream.Stream<java.nio.file.Path> files =
                         java.nio.file.Files.walk(root.resolve(module).resolve("src/main/java"))) {
                for (java.nio.file.Path f : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    long lines = java.nio.file.Files.readAllLines(f).size();
                    if (lines > 500) {
                        over.add(root.relativize(f) + ": " + lines + " lines");
                    }
                }
            }
        }
        org.junit.jupiter.api.Assertions.assertTrue(over.isEmpty(), "split these along their seams: " + over);
    }

    private static boolean isInternal(JavaClass t) {
        JavaClass base = t.isArray() ? t.getBaseComponentType() : t;
        return base.getPackageName().startsWith("io.hopper.internal");
    }

    private static boolean isInternalType(JavaClass t) {
        return t.getPackageName().startsWith("io.hopper.internal") && t.getModifiers().contains(JavaModifier.PUBLIC);
    }
}
