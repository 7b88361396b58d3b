package io.pgephemeral.broker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TargetAllowListTest {

    @Test
    void readsTargetsRolesAndOptions() {
        TargetAllowList list = TargetAllowList.parse(
                "readonly=readonly, analytics=analytics_ro|orders_ro ,admin=app_admin:noinherit", "ephemeral_managed");
        assertEquals(new Target("readonly", List.of("readonly"), true), list.require("readonly"));
        assertEquals(List.of("analytics_ro", "orders_ro"), list.require("analytics").roles());
        assertFalse(list.require("admin").inherit());
        assertEquals(List.of("readonly", "analytics", "admin"), List.copyOf(list.all().keySet()));
    }

    @Test
    void readsOptInsToPredefinedRolesByName() {
        TargetAllowList list = TargetAllowList.parse("reports=reports_ro:allow=pg_read_all_data,"
                + "ops=ops_tools:noinherit:allow=pg_signal_backend+pg_read_all_stats,plain=readonly", "m");
        assertEquals(java.util.Set.of("pg_read_all_data"), list.require("reports").allowed());
        assertTrue(list.require("reports").inherit());
        assertEquals(java.util.Set.of("pg_signal_backend", "pg_read_all_stats"), list.require("ops").allowed());
        assertFalse(list.require("ops").inherit());
        assertEquals(java.util.Set.of(), list.require("plain").allowed());
    }

    @Test
    void aTargetNotOnTheListIsRefusedByNameOnly() {
        TargetAllowList list = TargetAllowList.parse("readonly=readonly", "ephemeral_managed");
        RequestRefused e = assertThrows(RequestRefused.class, () -> list.require("Readonly"));
        assertTrue(e.getMessage().contains("allowed: readonly"));
        assertThrows(RequestRefused.class, () -> TargetAllowList.parse("", "m").require("readonly"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"readonly", "=readonly", "x=pg_read_server_files", "x=Readonly", "x=a b", "x=\"a\"",
            "x=ephemeral_managed", "x=a;drop", "x=a:sometimes", "a=b,a=c", "bad name=readonly",
            "x=a:allow=readonly", "x=a:allow=", "x=a:allow=pg_read_all_data+", "x=a:allow=PG_READ_ALL_DATA",
            "x=a:inherit:noinherit", "x=a:allow=pg_read_all_data|pg_monitor"})
    void refusesAMistakenAllowList(String spec) {
        assertThrows(IllegalArgumentException.class, () -> TargetAllowList.parse(spec, "ephemeral_managed"));
    }
}
