package io.pgephemeral.architecture;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package layout of docs/design.md ("Package layout"), checked on the product's classes:
 * dependencies point down only, adapters do not know each other, and there is no cycle.
 *
 * <pre>
 *   entry points   function, cli             (cli may run the Lambda handler: cli -> function)
 *   adapters       sym, postgres, secrets, ledger
 *   shared JDBC    database
 *   core           broker (use cases and their ports), config, crypto, json
 * </pre>
 *
 * Micronaut's generated bean definitions ($Definition classes) sit in the package of the class they
 * define and only refer to it, so they obey the same rules.
 */
@AnalyzeClasses(packages = "io.pgephemeral",
        importOptions = {ImportOption.DoNotIncludeTests.class, ImportOption.DoNotIncludeJars.class})
class LayeringTest {

    private static final String ROOT = "io.pgephemeral.";

    @ArchTest
    static final ArchRule dependenciesPointDown = layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer("entry").definedBy(ROOT + "function..", ROOT + "cli..")
            .layer("adapters").definedBy(ROOT + "sym..", ROOT + "postgres..", ROOT + "secrets..", ROOT + "ledger..")
            .layer("database").definedBy(ROOT + "database..")
            .layer("core").definedBy(ROOT + "broker..", ROOT + "config..", ROOT + "crypto..", ROOT + "json..")
            .whereLayer("entry").mayNotBeAccessedByAnyLayer()
            .whereLayer("adapters").mayOnlyBeAccessedByLayers("entry")
            .whereLayer("database").mayOnlyBeAccessedByLayers("entry", "adapters")
            .whereLayer("core").mayOnlyBeAccessedByLayers("entry", "adapters", "database");

    @ArchTest
    static final ArchRule noPackageCycles = slices().matching(ROOT + "(*)..").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule symAdapterIsIndependent = adapterKnowsNoOtherAdapter("sym");
    @ArchTest
    static final ArchRule postgresAdapterIsIndependent = adapterKnowsNoOtherAdapter("postgres");
    @ArchTest
    static final ArchRule secretsAdapterIsIndependent = adapterKnowsNoOtherAdapter("secrets");
    @ArchTest
    static final ArchRule ledgerAdapterIsIndependent = adapterKnowsNoOtherAdapter("ledger");

    /** Sym's event format is known in sym/ and by the Lambda handler that feeds it; nowhere else. */
    @ArchTest
    static final ArchRule symOnlyInSym = noClasses().that().resideOutsideOfPackages(ROOT + "sym..",
                    ROOT + "function..", ROOT + "cli..")
            .should().dependOnClassesThat().resideInAPackage(ROOT + "sym..");

    /** The Lambda handler never reaches into the CLI (the CLI may run the handler, not the reverse). */
    @ArchTest
    static final ArchRule functionKnowsNoCli = noClasses().that().resideInAPackage(ROOT + "function..")
            .should().dependOnClassesThat().resideInAPackage(ROOT + "cli..");

    /** Inside the core, the use cases may use config, crypto and json; those know nothing of them. */
    @ArchTest
    static final ArchRule configCryptoAndJsonAreLeaves = noClasses().that().resideInAnyPackage(ROOT + "config..",
                    ROOT + "crypto..", ROOT + "json..")
            .should().dependOnClassesThat().resideInAnyPackage(ROOT + "broker..", ROOT + "database..");

    /**
     * Every document the broker reads or writes is a tree of maps and lists, read and written by
     * json.JsonTree with jackson-core's streaming API. An object mapper (Micronaut's serde, Jackson's
     * databind) binds JSON to types the broker never needs, and serde's bean definitions and
     * introspections were part of every cold start.
     */
    @ArchTest
    static final ArchRule noObjectMapper = noClasses().should().dependOnClassesThat()
            .resideInAnyPackage("io.micronaut.json..", "io.micronaut.serde..", "com.fasterxml.jackson.databind..",
                    "com.fasterxml.jackson.annotation..")
            .as("the product reads and writes JSON with json.JsonTree, not with an object mapper");

    private static ArchRule adapterKnowsNoOtherAdapter(String adapter) {
        String[] others = java.util.stream.Stream.of("sym", "postgres", "secrets", "ledger")
                .filter(a -> !a.equals(adapter)).map(a -> ROOT + a + "..").toArray(String[]::new);
        return noClasses().that().resideInAPackage(ROOT + adapter + "..")
                .should().dependOnClassesThat().resideInAnyPackage(others)
                .as("the " + adapter + " adapter depends on no other adapter");
    }
}
