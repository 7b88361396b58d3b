-- pg-ephemeral: database setup for PostgreSQL 13, 14 and 15. Run once, as a superuser, in the
-- target database.
--
-- Before 16, CREATEROLE lets a role create, alter, drop and grant membership in ANY non-superuser
-- role: the server does not limit the bot to the roles it made. pg-ephemeral is stricter than the
-- server (it grants only allow-listed targets and only drops members of ephemeral_managed), but
-- whoever holds the bot's password holds that power. Prefer PostgreSQL 16 or later.
--   * pg_signal_backend: to terminate sessions of temporary logins (the bot is not a member of
--     the logins it creates, so it needs this role's privileges).

-- Every temporary login is a member of this NOLOGIN role. The broker only ever alters or drops
-- members of it, so it can never take over or remove a role it did not create.
CREATE ROLE ephemeral_managed NOLOGIN;

-- The bot. Set its password afterwards, from psql: \password ephemeral_bot
CREATE ROLE ephemeral_bot LOGIN CREATEROLE;
GRANT pg_signal_backend TO ephemeral_bot;

-- Target roles need no grant to the bot before 16: CREATEROLE already lets it grant them. Granting
-- them would make the bot a member and give it their privileges.
