package io.hopper.kafka;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** hopper-kafka is a user of hopper-core like any other: it sees only core's public API. */
class ArchitectureTest {
    private final JavaClasses classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.hopper.kafka");

    @Test
    void theOutletUsesOnlyThePublicApiOfCore() {
        noClasses().that().resideInAPackage("io.hopper.kafka..")
                .should().dependOnClassesThat().resideInAPackage("io.hopper.internal..")
                .check(classes);
    }
}
