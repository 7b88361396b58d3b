package io.pgephemeral.broker;

/** A role of the generated name already exists; the broker never takes over an existing role. */
public class RoleNameTaken extends BrokerException {

    public RoleNameTaken(String roleName) {
        super("a role named " + roleName + " already exists; it was left alone and no credential was issued");
    }
}
