-- pg-ephemeral: database setup for PostgreSQL 16 and later. Run once, as a superuser (or a role
-- with CREATEROLE and ADMIN OPTION on the target roles), in the target database.
--
-- Replace `readonly` with your own target roles: one GRANT ... WITH ADMIN OPTION line for every
-- role that BROKER_TARGETS names. The bot is not a superuser and gets only what it needs:
--   * CREATEROLE: to create temporary logins. On 16+ a CREATEROLE role may only alter, drop and
--     grant roles it holds ADMIN OPTION on; it receives that automatically for roles it creates.
--   * ADMIN OPTION on the marker role and on each target role, so it can grant them. INHERIT FALSE
--     and SET FALSE: the bot can hand these roles out but cannot use their privileges itself.
--   * pg_signal_backend: to terminate sessions of temporary logins. On 16+ the bot does not
--     inherit the roles it creates, so it cannot signal their backends any other way.

-- Every temporary login is a member of this NOLOGIN role. The broker only ever alters or drops
-- members of it, so it can never take over or remove a role it did not create.
CREATE ROLE ephemeral_managed NOLOGIN;

-- The bot. Set its password afterwards, from psql: \password ephemeral_bot
-- (psql sends a SCRAM verifier, so the password reaches neither the server log nor history).
CREATE ROLE ephemeral_bot LOGIN CREATEROLE;
GRANT ephemeral_managed TO ephemeral_bot WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;
GRANT pg_signal_backend TO ephemeral_bot;

-- One line per target role.
GRANT readonly TO ephemeral_bot WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;

-- Creator roles (set BROKER_CREATOR_ROLES to their names). On 16+ every CREATE, ALTER and DROP ROLE
-- the bot runs walks all the ADMIN memberships of the role running it, one per live temporary login,
-- and its cost grows with their number (docs/role-ddl-scaling.md). The bot instead creates each login
-- as one of these roles, picked by the login's name, with SET LOCAL ROLE; each holds a sixty-fourth
-- of the logins. 64 is the most BROKER_CREATOR_ROLES takes: the more creators, the fewer memberships
-- each statement walks (docs/benchmark.md measures 16 against 64). A creator can make and administer
-- roles, and grant the marker and the target roles, but uses none of them (INHERIT FALSE, SET FALSE)
-- and cannot log in. The bot may SET ROLE to it but not inherit from it (INHERIT FALSE), so the bot's
-- own privileges stay as above. The broker checks each creator at its first escalation and refuses
-- one that holds anything the bot does not (see docs/operators.md, Creator roles): grant a creator
-- nothing else.
-- `targets` lists the same roles as the GRANT lines above.
DO $$
DECLARE
    targets text[] := ARRAY['readonly'];
    creator text;
    target text;
BEGIN
    FOR k IN 0..63 LOOP
        creator := format('ephemeral_creator_%s', lpad(k::text, 2, '0'));
        EXECUTE format('CREATE ROLE %I NOLOGIN CREATEROLE', creator);
        EXECUTE format('GRANT ephemeral_managed TO %I WITH ADMIN TRUE, INHERIT FALSE, SET FALSE', creator);
        FOREACH target IN ARRAY targets LOOP
            EXECUTE format('GRANT %I TO %I WITH ADMIN TRUE, INHERIT FALSE, SET FALSE', target, creator);
        END LOOP;
        EXECUTE format('GRANT %I TO ephemeral_bot WITH INHERIT FALSE, SET TRUE', creator);
    END LOOP;
END
$$;
