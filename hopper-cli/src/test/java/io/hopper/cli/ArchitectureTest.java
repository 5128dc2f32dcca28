package io.hopper.cli;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * hopper-cli is a user of hopper-core like any other: it reads directories through the exported,
 * read-only {@code io.hopper.inspect} package and opens channels through the public API, never
 * through core's internals.
 */
class ArchitectureTest {
    private final JavaClasses classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.hopper.cli");

    @Test
    void theCliUsesOnlyThePublicApiAndTheInspectionPackage() {
        noClasses().that().resideInAPackage("io.hopper.cli..")
                .should().dependOnClassesThat().resideInAPackage("io.hopper.internal..")
                .check(classes);
    }
}
