package io.hopper.cli;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static com.tngtech.archunit.lang.conditions.ArchPredicates.are;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.base.DescribedPredicate.describe;

/**
 * What hopper-cli may use of hopper-core: the public API, and the internal format readers listed
 * here (docs/DESIGN.md, section 1: the CLI reads the on-disk format itself, so it needs the frame
 * and file readers; a new internal dependency must be added here on purpose, and reviewed).
 */
class ArchitectureTest {
    /** The on-disk format readers and the directory lock the CLI takes before it repairs. */
    static final Set<String> EXPORTED_TO_THE_CLI = Set.of(
            "io.hopper.internal.segment.SegmentFormat",
            "io.hopper.internal.segment.FrameScan",
            "io.hopper.internal.segment.FrameScan$Reader",
            "io.hopper.internal.segment.RecordBlock",
            "io.hopper.internal.segment.RecordBlock$MalformedBlockException",
            "io.hopper.internal.codec.PayloadCodec",
            "io.hopper.internal.codec.TypeRegistry",
            "io.hopper.internal.codec.KryoSerializer",
            "io.hopper.internal.recovery.ReadCursorFile",
            "io.hopper.internal.recovery.ReadCursorFile$State",
            "io.hopper.internal.recovery.ReadCursorFile$Inspection",
            "io.hopper.internal.recovery.SnapshotFile",
            "io.hopper.internal.recovery.SnapshotFile$Header",
            "io.hopper.internal.recovery.SnapshotFile$Reader",
            "io.hopper.internal.recovery.SnapshotFile$Reader$Kind",
            "io.hopper.internal.recovery.DirectoryLock");

    private final JavaClasses classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.hopper.cli");

    @Test
    void theCliUsesOnlyThePublicApiAndTheExportedFormatReaders() {
        noClasses().that().resideInAPackage("io.hopper.cli..")
                .should().dependOnClassesThat(are(describe("internal and not exported to the CLI",
                        (JavaClass c) -> c.getPackageName().startsWith("io.hopper.internal")
                                && !EXPORTED_TO_THE_CLI.contains(c.getName()))))
                .check(classes);
    }
}
