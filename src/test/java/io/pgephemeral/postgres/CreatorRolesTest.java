package io.pgephemeral.postgres;

import io.pgephemeral.broker.BrokerException;
import io.pgephemeral.broker.ManagedRole;
import io.pgephemeral.broker.NewLogin;
import io.pgephemeral.broker.RoleRemoval;
import io.pgephemeral.broker.Target;
import io.pgephemeral.crypto.PasswordGenerator;
import io.pgephemeral.crypto.ScramVerifier;
import io.pgephemeral.testing.Db;
import io.pgephemeral.testing.TestEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Creator roles (BROKER_CREATOR_ROLES, 16+): the bot creates and drops each temporary login as one
 * of several NOLOGIN CREATEROLE roles it may SET ROLE to, so no role's ADMIN memberships, which
 * every role DDL of 16+ walks, grow with all the live logins (docs/role-ddl-scaling.md). Before 16
 * the setting is refused: there, role DDL does not depend on the number of roles.
 */
@Tag("compat")
class CreatorRolesTest {

    private static final TestEnvironment env = TestEnvironment.get();
    private static final List<String> CREATORS = TestEnvironment.CREATORS;
    private static final TargetDatabase database =
            new TargetDatabase(env.jdbcUrl(), TestEnvironment.BOT, env.botPassword(), 2);
    private static final Target READONLY = new Target("readonly", List.of("readonly"), true);

    @AfterAll
    static void close() {
        database.close();
    }

    private static PostgresRoles roles(List<String> creators, String reassignTo) {
        return new PostgresRoles(database, new RoleAdminSettings(TestEnvironment.MARKER, 7262931L,
                Duration.ofSeconds(5), reassignTo, creators));
    }

    private static NewLogin login(String name) {
        return login(name, READONLY);
    }

    private static NewLogin login(String name, Target target) {
        PasswordGenerator g = new PasswordGenerator();
        return new NewLogin(name, ScramVerifier.of(g.generate(32), g.randomBytes(16), 4096),
                Instant.now().plusSeconds(600), target, 3);
    }

    /** A creator role as schema/setup/bot-setup-pg16.sql makes one (for the tests' readonly target). */
    private static void makeCreator(String name) {
        Db.execute("CREATE ROLE " + name + " NOLOGIN CREATEROLE;"
                + " GRANT ephemeral_managed TO " + name + " WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;"
                + " GRANT readonly TO " + name + " WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;"
                + " GRANT " + name + " TO ephemeral_bot WITH INHERIT FALSE, SET TRUE");
    }

    /** Who holds ADMIN OPTION on the role: on 16+ its creator, granted by the bootstrap superuser. */
    private static List<String> administrators(String role) {
        return Db.query("SELECT u.rolname FROM pg_auth_members m JOIN pg_roles u ON u.oid = m.member"
                + " WHERE m.roleid = (SELECT oid FROM pg_roles WHERE rolname = ?) AND m.admin_option ORDER BY 1", role)
                .stream().map(r -> (String) r.get("rolname")).toList();
    }

    private static long botAdminMemberships() {
        return ((Number) Db.value("SELECT count(*) FROM pg_auth_members WHERE admin_option"
                + " AND member = (SELECT oid FROM pg_roles WHERE rolname = ?)", TestEnvironment.BOT)).longValue();
    }

    /**
     * Before 16 the setting is refused, whatever the test would otherwise check: one line, and no
     * role is created.
     */
    private static boolean refusedBeforeSixteen() {
        if (env.serverMajor() >= 16) {
            return false;
        }
        PostgresRoles roles = roles(CREATORS, null);
        BrokerException e = assertThrows(BrokerException.class, () -> roles.vet(List.of(READONLY)));
        assertEquals("the broker is misconfigured: BROKER_CREATOR_ROLES needs PostgreSQL 16 or later (this server is "
                + env.serverMajor() + ", where role DDL does not slow with the number of roles); unset it", e.getMessage());
        assertThrows(BrokerException.class, () -> roles.create(login("eph_creator_before_16")));
        assertFalse(Db.roleExists("eph_creator_before_16"));
        return true;
    }

    @Test
    void eachLoginIsMadeByACreatorSoTheBotsOwnMembershipsDoNotGrow() {
        if (refusedBeforeSixteen()) {
            return;
        }
        PostgresRoles roles = roles(CREATORS, null);
        assertEquals(Map.of(), roles.vet(List.of(READONLY)));
        long before = botAdminMemberships();
        List<String> made = new ArrayList<>();
        Set<String> creatorsUsed = new HashSet<>();
        for (int i = 0; i < 12; i++) {
            String name = "eph_creator_made_" + i;
            roles.create(login(name));
            made.add(name);
            List<String> admins = administrators(name);
            assertEquals(1, admins.size(), name + " is administered by " + admins);
            assertTrue(CREATORS.contains(admins.get(0)), name + " is administered by " + admins);
            creatorsUsed.add(admins.get(0));
            assertEquals(List.of("ephemeral_managed", "readonly"), Db.memberships(name), name);
        }
        assertEquals(before, botAdminMemberships(), "the bot holds ADMIN on no new role");
        // The grants a creator made (PostgreSQL 16+ records their grantor in pg_shdepend) are not
        // privileges it holds: a broker starting now still accepts the creators.
        assertEquals(Map.of(), roles(CREATORS, null).vet(List.of(READONLY)));
        assertTrue(creatorsUsed.size() >= 2, "logins are spread over the creators: " + creatorsUsed);
        Map<String, String> batches = new java.util.HashMap<>();
        roles.managedRoles().forEach(r -> batches.put(r.name(), r.removalBatch()));
        for (String name : made) {
            assertEquals(administrators(name).get(0), batches.get(name),
                    name + " is known as the broker's own, to be removed with its creator's other logins");
        }

        assertEquals(RoleRemoval.Outcome.DROPPED, roles.remove(made.get(0)).outcome());
        Map<String, RoleRemoval> swept = roles.removeAll(made.subList(1, made.size()));
        made.subList(1, made.size()).forEach(name ->
                assertEquals(RoleRemoval.Outcome.DROPPED, swept.get(name).outcome(), name));
        made.forEach(name -> assertFalse(Db.roleExists(name), name));
    }

    /**
     * A broker that lists no creators, or fewer than before, still removes what a creator made: a
     * role is the broker's if it is in the marker and administered by the bot or by a CREATEROLE role
     * the bot may SET ROLE to.
     */
    @Test
    void aLoginMadeByACreatorIsRemovedByABrokerNoLongerConfiguredWithIt() {
        if (refusedBeforeSixteen()) {
            return;
        }
        roles(CREATORS, null).create(login("eph_creator_retired"));
        PostgresRoles without = roles(List.of(), null);
        assertTrue(without.managedRoles().stream().anyMatch(r -> r.name().equals("eph_creator_retired")));
        assertEquals(RoleRemoval.Outcome.DROPPED, without.remove("eph_creator_retired").outcome());
        assertFalse(Db.roleExists("eph_creator_retired"));
        // And the other way: turning creator roles on leaves the bot's earlier logins to the bot.
        without.create(login("eph_made_before_creators"));
        assertEquals(List.of(TestEnvironment.BOT), administrators("eph_made_before_creators"));
        assertEquals(Map.of("eph_made_before_creators", RoleRemoval.Outcome.DROPPED), roles(CREATORS, null)
                .removeAll(List.of("eph_made_before_creators")).entrySet().stream()
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> e.getValue().outcome())));
        assertFalse(Db.roleExists("eph_made_before_creators"));
    }

    /**
     * Disabling runs as the role's creator: the bot's own REVOKE would name the bot as grantor, find
     * no such grant (the creator made it), warn and leave the target role granted.
     */
    @Test
    void aCreatorMadeLoginThatOwnsObjectsIsDisabledWithItsTargetRevoked() throws Exception {
        if (refusedBeforeSixteen()) {
            return;
        }
        PostgresRoles roles = roles(CREATORS, null);
        NewLogin login = login("eph_creator_owner");
        roles.create(login);
        try {
            Db.execute("CREATE TABLE scratch.creator_owned (id int); ALTER TABLE scratch.creator_owned OWNER TO eph_creator_owner");
            RoleRemoval removal = roles.remove("eph_creator_owner");
            assertEquals(RoleRemoval.Outcome.DISABLED, removal.outcome());
            assertEquals(List.of("ephemeral_managed"), Db.memberships("eph_creator_owner"), "the target role is revoked");
            assertEquals(false, Db.value("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'eph_creator_owner'"));
        } finally {
            Db.execute("DROP TABLE IF EXISTS scratch.creator_owned; DROP ROLE IF EXISTS eph_creator_owner");
        }
    }

    @Test
    void aCreatorMadeLoginsObjectsAreReassignedAndTheLoginDropped() {
        if (refusedBeforeSixteen()) {
            return;
        }
        PostgresRoles roles = roles(CREATORS, TestEnvironment.HEIR);
        roles.create(login("eph_creator_heir"));
        try {
            Db.execute("CREATE TABLE scratch.creator_inherited (id int); ALTER TABLE scratch.creator_inherited OWNER TO eph_creator_heir");
            assertEquals(RoleRemoval.Outcome.DROPPED, roles.remove("eph_creator_heir").outcome());
            assertEquals(TestEnvironment.HEIR, Db.value("SELECT tableowner FROM pg_tables WHERE tablename = 'creator_inherited'"));
            assertFalse(Db.roleExists("eph_creator_heir"));
        } finally {
            Db.execute("DROP TABLE IF EXISTS scratch.creator_inherited; DROP ROLE IF EXISTS eph_creator_heir");
        }
    }

    /**
     * {@code createrole_self_grant} (16+, settable for a role or database) makes the server grant
     * each new role to its creator WITH INHERIT or SET as well: the creator, or the bot when it
     * creates logins itself, would then hold every target's privileges. The create batch sets it
     * empty for its own transaction.
     */
    @Test
    void aSelfGrantSettingNeverLetsTheCreatorUseItsLogins() {
        if (refusedBeforeSixteen()) {
            return;
        }
        Db.execute("ALTER ROLE ephemeral_bot SET createrole_self_grant = 'set, inherit'");
        TargetDatabase fresh = new TargetDatabase(env.jdbcUrl(), TestEnvironment.BOT, env.botPassword(), 1);
        try {
            for (List<String> creators : List.of(CREATORS, List.<String>of())) {
                String name = "eph_self_grant_" + creators.size();
                new PostgresRoles(fresh, new RoleAdminSettings(TestEnvironment.MARKER, 7262931L,
                        Duration.ofSeconds(5), null, creators)).create(login(name));
                assertEquals(0L, ((Number) Db.value("SELECT count(*) FROM pg_auth_members WHERE roleid ="
                        + " (SELECT oid FROM pg_roles WHERE rolname = ?) AND (inherit_option OR set_option)", name))
                        .longValue(), name + " is granted to no one who could use it");
                Db.execute("DROP ROLE " + name);
            }
        } finally {
            fresh.close();
            Db.execute("ALTER ROLE ephemeral_bot RESET createrole_self_grant");
        }
    }

    /**
     * A role someone else put in the marker is not the broker's, even when a CREATEROLE role the bot
     * may SET ROLE to administers it: a login is the broker's only if its marker grant came from the
     * role that administers it (no one else can grant the marker).
     */
    @Test
    void aMarkerMemberPlantedUnderARoleGrantedToTheBotIsNotTheBrokers() {
        if (refusedBeforeSixteen()) {
            return;
        }
        Db.execute("CREATE ROLE planted_victim LOGIN; GRANT ephemeral_managed TO planted_victim WITH INHERIT FALSE, SET FALSE;"
                + " CREATE ROLE planted_helper NOLOGIN CREATEROLE; GRANT planted_victim TO planted_helper WITH ADMIN TRUE,"
                + " INHERIT FALSE, SET FALSE; GRANT planted_helper TO ephemeral_bot WITH INHERIT FALSE, SET TRUE");
        try {
            PostgresRoles roles = roles(CREATORS, null);
            assertFalse(roles.managedRoles().stream().anyMatch(r -> r.name().equals("planted_victim")));
            assertThrows(BrokerException.class, () -> roles.remove("planted_victim"));
            assertTrue(Db.roleExists("planted_victim"));
        } finally {
            Db.execute("DROP ROLE IF EXISTS planted_victim; DROP ROLE planted_helper");
        }
    }

    /**
     * A creator that lost CREATEROLE (or the bot's grant) can no longer act on its logins, and the
     * broker no longer takes them for its own: removal says why, instead of "not created by the
     * broker", and what is left to do.
     */
    @Test
    void aLoginWhoseCreatorLostCreateroleIsExplained() {
        if (refusedBeforeSixteen()) {
            return;
        }
        makeCreator("creator_lost");
        try {
            roles(List.of("creator_lost"), null).create(login("eph_creator_lost"));
            Db.execute("ALTER ROLE creator_lost NOCREATEROLE");
            BrokerException e = assertThrows(BrokerException.class, () -> roles(CREATORS, null).remove("eph_creator_lost"));
            assertEquals("refusing to remove role eph_creator_lost: it is administered by creator_lost, which is no longer a"
                    + " CREATEROLE role the bot may SET ROLE to (a creator role that lost CREATEROLE or the bot's grant);"
                    + " restore that, or end its sessions and drop it as an administrator", e.getMessage());
            assertTrue(Db.roleExists("eph_creator_lost"));
        } finally {
            Db.execute("DROP ROLE IF EXISTS eph_creator_lost; DROP ROLE creator_lost");
        }
    }

    /** A target granted to the bot but not to the creators fails at its GRANT, says what to grant, and leaves nothing. */
    @Test
    void aTargetTheCreatorsCannotGrantIsExplained() {
        if (refusedBeforeSixteen()) {
            return;
        }
        Db.execute("CREATE ROLE creator_less NOLOGIN; GRANT creator_less TO ephemeral_bot WITH ADMIN TRUE, INHERIT FALSE, SET FALSE");
        try {
            PostgresRoles roles = roles(CREATORS, null);
            NewLogin login = login("eph_creator_less", new Target("less", List.of("creator_less"), true));
            BrokerException e = assertThrows(BrokerException.class, () -> roles.create(login));
            assertTrue(e.getMessage().contains("permission denied to grant role \"creator_less\""), e.getMessage());
            assertTrue(e.getMessage().endsWith("every target role must be granted to every creator role WITH ADMIN TRUE"
                    + " (docs/operators.md)"), e.getMessage());
            assertFalse(Db.roleExists("eph_creator_less"));
        } finally {
            Db.execute("DROP ROLE creator_less");
        }
    }

    /**
     * The bot may become a creator with SET ROLE, so a creator is held to being nothing but a role
     * maker: NOLOGIN, CREATEROLE and no other attribute, no membership it could use, granted to the
     * bot alone, and able to grant the marker. Each problem refuses every escalation, names the
     * setting and changes nothing.
     */
    @Test
    void aCreatorThatCouldDoMoreThanMakeRolesIsRefused() {
        if (refusedBeforeSixteen()) {
            return;
        }
        makeCreator("creator_odd");
        try {
            assertEquals(Map.of(), roles(List.of("creator_odd"), null).vet(List.of(READONLY)), "a sound creator passes");
            List<String[]> cases = List.of(
                    new String[] {"ALTER ROLE creator_odd LOGIN", "ALTER ROLE creator_odd NOLOGIN", "can LOGIN"},
                    new String[] {"ALTER ROLE creator_odd BYPASSRLS", "ALTER ROLE creator_odd NOBYPASSRLS", "has BYPASSRLS"},
                    new String[] {"ALTER ROLE creator_odd NOCREATEROLE", "ALTER ROLE creator_odd CREATEROLE", "lacks CREATEROLE"},
                    new String[] {"GRANT pg_read_all_data TO creator_odd", "REVOKE pg_read_all_data FROM creator_odd",
                            "can use role pg_read_all_data"},
                    new String[] {"GRANT creator_odd TO object_heir", "REVOKE creator_odd FROM object_heir",
                            "is also granted to object_heir"},
                    new String[] {"REVOKE ephemeral_managed FROM creator_odd",
                            "GRANT ephemeral_managed TO creator_odd WITH ADMIN TRUE, INHERIT FALSE, SET FALSE",
                            "cannot grant the marker role ephemeral_managed"},
                    new String[] {"REVOKE creator_odd FROM ephemeral_bot",
                            "GRANT creator_odd TO ephemeral_bot WITH INHERIT FALSE, SET TRUE", "the bot cannot SET ROLE to it"},
                    // ADMIN alone is power: as the creator the bot could grant the role to itself.
                    new String[] {"GRANT pg_execute_server_program TO creator_odd WITH ADMIN TRUE, INHERIT FALSE, SET FALSE",
                            "REVOKE pg_execute_server_program FROM creator_odd",
                            "holds role pg_execute_server_program WITH ADMIN, which the bot itself does not"},
                    new String[] {"GRANT SELECT ON orders TO creator_odd", "REVOKE SELECT ON orders FROM creator_odd",
                            "owns objects or holds privileges"},
                    new String[] {"CREATE TABLE creator_owned (id int); ALTER TABLE creator_owned OWNER TO creator_odd",
                            "DROP TABLE creator_owned", "owns objects or holds privileges"},
                    new String[] {"GRANT creator_odd TO ephemeral_bot WITH INHERIT TRUE",
                            "GRANT creator_odd TO ephemeral_bot WITH INHERIT FALSE", "the bot inherits it"});
            for (String[] c : cases) {
                Db.execute(c[0]);
                try {
                    BrokerException e = assertThrows(BrokerException.class,
                            () -> roles(List.of("creator_odd"), null).vet(List.of(READONLY)), c[0]);
                    assertTrue(e.getMessage().startsWith("the broker is misconfigured: BROKER_CREATOR_ROLES: role creator_odd "),
                            e.getMessage());
                    assertTrue(e.getMessage().contains(c[2]), c[0] + ": " + e.getMessage());
                    assertFalse(e.getMessage().contains("\n"), e.getMessage());
                } finally {
                    Db.execute(c[1]);
                }
            }
            BrokerException missing = assertThrows(BrokerException.class,
                    () -> roles(List.of("no_such_creator"), null).vet(List.of(READONLY)));
            assertTrue(missing.getMessage().contains("role no_such_creator does not exist"), missing.getMessage());
            BrokerException refused = assertThrows(BrokerException.class,
                    () -> roles(List.of("no_such_creator"), null).create(login("eph_creator_refused")));
            assertNotEquals("", refused.getMessage());
            assertFalse(Db.roleExists("eph_creator_refused"), "nothing is created");
        } finally {
            Db.execute("REASSIGN OWNED BY creator_odd TO postgres; DROP OWNED BY creator_odd; DROP ROLE creator_odd");
        }
    }
}
