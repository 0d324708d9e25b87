CREATE TABLE IF NOT EXISTS migration_status (
    migration_id character varying(150) NOT NULL,
    product_version character varying(32) NOT NULL,
    applied_at timestamp with time zone NOT NULL DEFAULT (CURRENT_TIMESTAMP),
    CONSTRAINT pk_migration_status PRIMARY KEY (migration_id)
);

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE SEQUENCE IF NOT EXISTS unique_rowid_seq MINVALUE 0 MAXVALUE 32767 CYCLE;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE OR REPLACE FUNCTION unique_rowid() RETURNS bigint LANGUAGE sql VOLATILE AS 'SELECT ((floor(extract(epoch FROM clock_timestamp()) * 100000)::bigint) << 15) | nextval(''unique_rowid_seq'')';
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE TABLE audit_log (
        id bigint NOT NULL DEFAULT (unique_rowid()),
        at timestamp with time zone NOT NULL,
        actor character varying(320) NOT NULL,
        actor_user_id bigint,
        customer_id bigint,
        entity_type character varying(64) NOT NULL,
        entity_id bigint NOT NULL,
        action character varying(64) NOT NULL,
        changes text,
        CONSTRAINT pk_audit_log PRIMARY KEY (id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE TABLE customers (
        id bigint NOT NULL DEFAULT (unique_rowid()),
        name character varying(200) NOT NULL,
        slug character varying(100) NOT NULL,
        is_active boolean NOT NULL,
        created_at timestamp with time zone NOT NULL,
        updated_at timestamp with time zone NOT NULL,
        version bigint NOT NULL,
        CONSTRAINT pk_customers PRIMARY KEY (id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE TABLE ciam_systems (
        id bigint NOT NULL DEFAULT (unique_rowid()),
        customer_id bigint,
        name character varying(200) NOT NULL,
        provider_type character varying(32) NOT NULL,
        authority character varying(500) NOT NULL,
        client_id character varying(200) NOT NULL,
        client_secret_protected text,
        client_secret_set_at timestamp with time zone,
        scopes character varying(500) NOT NULL,
        is_enabled boolean NOT NULL,
        created_at timestamp with time zone NOT NULL,
        updated_at timestamp with time zone NOT NULL,
        version bigint NOT NULL,
        CONSTRAINT pk_ciam_systems PRIMARY KEY (id),
        CONSTRAINT ck_ciam_systems_provider_type CHECK (provider_type IN ('entra_id', 'entra_external_id', 'oidc')),
        CONSTRAINT fk_ciam_systems_customers_customer_id FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE RESTRICT
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE TABLE sites (
        id bigint NOT NULL DEFAULT (unique_rowid()),
        customer_id bigint NOT NULL,
        name character varying(200) NOT NULL,
        domain character varying(253) NOT NULL,
        is_active boolean NOT NULL,
        created_at timestamp with time zone NOT NULL,
        updated_at timestamp with time zone NOT NULL,
        version bigint NOT NULL,
        CONSTRAINT pk_sites PRIMARY KEY (id),
        CONSTRAINT fk_sites_customers_customer_id FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE RESTRICT
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE TABLE users (
        id bigint NOT NULL DEFAULT (unique_rowid()),
        customer_id bigint NOT NULL,
        site_id bigint NOT NULL,
        email character varying(320) NOT NULL,
        display_name character varying(200) NOT NULL,
        password_hash character varying(500),
        azure_object_id character varying(64),
        azure_tenant_id character varying(64),
        oidc_subject character varying(255),
        oidc_issuer character varying(500),
        login_count integer NOT NULL,
        last_login_at timestamp with time zone,
        refresh_token_hash character varying(500),
        token_expires_at timestamp with time zone,
        tokens_revoked_at timestamp with time zone,
        sync_status character varying(16) NOT NULL,
        last_synced_at timestamp with time zone,
        last_sync_error text,
        portal_role character varying(32),
        is_active boolean NOT NULL,
        is_locked boolean NOT NULL,
        created_at timestamp with time zone NOT NULL,
        updated_at timestamp with time zone NOT NULL,
        version bigint NOT NULL,
        CONSTRAINT pk_users PRIMARY KEY (id),
        CONSTRAINT ck_users_portal_role CHECK (portal_role IN ('platform_admin', 'customer_admin', 'support', 'editor')),
        CONSTRAINT ck_users_sync_status CHECK (sync_status IN ('pending', 'synced', 'failed')),
        CONSTRAINT fk_users_customers_customer_id FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE RESTRICT,
        CONSTRAINT fk_users_sites_site_id FOREIGN KEY (site_id) REFERENCES sites (id) ON DELETE RESTRICT
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE TABLE posts (
        id bigint NOT NULL DEFAULT (unique_rowid()),
        site_id bigint NOT NULL,
        author_id bigint,
        title character varying(300) NOT NULL,
        slug character varying(200) NOT NULL,
        content text NOT NULL,
        status character varying(16) NOT NULL,
        published_at timestamp with time zone,
        deleted_at timestamp with time zone,
        created_at timestamp with time zone NOT NULL,
        updated_at timestamp with time zone NOT NULL,
        version bigint NOT NULL,
        CONSTRAINT pk_posts PRIMARY KEY (id),
        CONSTRAINT ck_posts_status CHECK (status IN ('draft', 'scheduled', 'published')),
        CONSTRAINT fk_posts_sites_site_id FOREIGN KEY (site_id) REFERENCES sites (id) ON DELETE RESTRICT,
        CONSTRAINT fk_posts_users_author_id FOREIGN KEY (author_id) REFERENCES users (id) ON DELETE RESTRICT
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE TABLE user_ciam_mappings (
        id bigint NOT NULL DEFAULT (unique_rowid()),
        user_id bigint NOT NULL,
        ciam_system_id bigint NOT NULL,
        external_subject character varying(255) NOT NULL,
        last_login_at timestamp with time zone,
        created_at timestamp with time zone NOT NULL,
        updated_at timestamp with time zone NOT NULL,
        CONSTRAINT pk_user_ciam_mappings PRIMARY KEY (id),
        CONSTRAINT fk_user_ciam_mappings_ciam_systems_ciam_system_id FOREIGN KEY (ciam_system_id) REFERENCES ciam_systems (id) ON DELETE RESTRICT,
        CONSTRAINT fk_user_ciam_mappings_users_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE RESTRICT
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_audit_log_action_at ON audit_log (action, at);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_audit_log_customer_id_at_id ON audit_log (customer_id, at DESC, id DESC);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_audit_log_entity_type_entity_id_at ON audit_log (entity_type, entity_id, at);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_ciam_systems_customer_id_name_id ON ciam_systems (customer_id, name, id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_customers_name_id ON customers (name, id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE UNIQUE INDEX ix_customers_slug ON customers (slug);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_posts_author_id ON posts (author_id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_posts_site_id_deleted_at_id ON posts (site_id, deleted_at DESC, id DESC);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_posts_site_id_published_at_id ON posts (site_id, published_at DESC, id DESC);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE UNIQUE INDEX ix_posts_site_id_slug ON posts (site_id, slug);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_posts_site_id_status_updated_at_id ON posts (site_id, status, updated_at DESC, id DESC);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_posts_site_id_title_id ON posts (site_id, title, id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_posts_status_published_at ON posts (status, published_at);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_sites_customer_id_name_id ON sites (customer_id, name, id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE UNIQUE INDEX ix_sites_domain ON sites (domain);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE UNIQUE INDEX ix_user_ciam_mappings_ciam_system_id_external_subject ON user_ciam_mappings (ciam_system_id, external_subject);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_user_ciam_mappings_user_id ON user_ciam_mappings (user_id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_users_azure_tenant_id_azure_object_id ON users (azure_tenant_id, azure_object_id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_users_customer_id_created_at_id ON users (customer_id, created_at DESC, id DESC);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_users_customer_id_display_name_id ON users (customer_id, display_name, id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE UNIQUE INDEX ix_users_customer_id_email ON users (customer_id, email);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_users_customer_id_last_login_at_id ON users (customer_id, last_login_at DESC, id DESC);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_users_customer_id_login_count_id ON users (customer_id, login_count DESC, id DESC);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_users_customer_id_sync_status_id ON users (customer_id, sync_status, id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_users_oidc_issuer_oidc_subject ON users (oidc_issuer, oidc_subject);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    CREATE INDEX ix_users_site_id_created_at_id ON users (site_id, created_at DESC, id DESC);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124055449_InitialSchema') THEN
    INSERT INTO migration_status (migration_id, product_version)
    VALUES ('20261124055449_InitialSchema', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124065851_UserSearchPrefixIndexes') THEN
    CREATE INDEX ix_users_customer_id_display_name_prefix ON users (customer_id, display_name text_pattern_ops);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124065851_UserSearchPrefixIndexes') THEN
    CREATE INDEX ix_users_customer_id_email_prefix ON users (customer_id, email text_pattern_ops);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124065851_UserSearchPrefixIndexes') THEN
    INSERT INTO migration_status (migration_id, product_version)
    VALUES ('20261124065851_UserSearchPrefixIndexes', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124080158_DataProtectionKeys') THEN
    CREATE TABLE data_protection_keys (
        id integer GENERATED BY DEFAULT AS IDENTITY,
        friendly_name text,
        xml text,
        CONSTRAINT pk_data_protection_keys PRIMARY KEY (id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261124080158_DataProtectionKeys') THEN
    INSERT INTO migration_status (migration_id, product_version)
    VALUES ('20261124080158_DataProtectionKeys', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201075944_AddPortalSessions') THEN
    CREATE TABLE portal_sessions (
        id bigint NOT NULL DEFAULT (unique_rowid()),
        user_id bigint NOT NULL,
        customer_id bigint NOT NULL,
        provider character varying(100) NOT NULL,
        user_agent character varying(512),
        ip_address character varying(45),
        started_at timestamp with time zone NOT NULL,
        last_seen_at timestamp with time zone NOT NULL,
        ended_at timestamp with time zone,
        ended_reason character varying(32),
        CONSTRAINT pk_portal_sessions PRIMARY KEY (id),
        CONSTRAINT ck_portal_sessions_ended_reason CHECK (ended_reason IS NULL OR ended_reason IN ('signed_out', 'tokens_revoked', 'locked', 'deactivated', 'ended')),
        CONSTRAINT fk_portal_sessions_customers_customer_id FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE RESTRICT,
        CONSTRAINT fk_portal_sessions_users_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE RESTRICT
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201075944_AddPortalSessions') THEN
    CREATE INDEX ix_portal_sessions_customer_id_user_id_started_at_id ON portal_sessions (customer_id, user_id, started_at DESC, id DESC);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201075944_AddPortalSessions') THEN
    CREATE INDEX ix_portal_sessions_user_id_ended_at ON portal_sessions (user_id, ended_at);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201075944_AddPortalSessions') THEN
    INSERT INTO migration_status (migration_id, product_version)
    VALUES ('20261201075944_AddPortalSessions', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201105630_AddInvitations') THEN
    ALTER TABLE users ADD invitation_accepted_at timestamp with time zone;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201105630_AddInvitations') THEN
    ALTER TABLE users ADD invitation_expires_at timestamp with time zone;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201105630_AddInvitations') THEN
    ALTER TABLE users ADD invited_at timestamp with time zone;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201105630_AddInvitations') THEN
    ALTER TABLE users ADD invited_by_user_id bigint;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201105630_AddInvitations') THEN
    CREATE INDEX ix_users_customer_id_invited_at_invitation_accepted_at ON users (customer_id, invited_at, invitation_accepted_at);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201105630_AddInvitations') THEN
    INSERT INTO migration_status (migration_id, product_version)
    VALUES ('20261201105630_AddInvitations', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201120357_AddCustomerDomains') THEN
    CREATE TABLE customer_domains (
        id bigint NOT NULL DEFAULT (unique_rowid()),
        customer_id bigint NOT NULL,
        domain character varying(253) NOT NULL,
        verified_at timestamp with time zone,
        created_at timestamp with time zone NOT NULL,
        updated_at timestamp with time zone NOT NULL,
        version bigint NOT NULL,
        CONSTRAINT pk_customer_domains PRIMARY KEY (id),
        CONSTRAINT fk_customer_domains_customers_customer_id FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE RESTRICT
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201120357_AddCustomerDomains') THEN
    CREATE INDEX ix_customer_domains_customer_id_domain ON customer_domains (customer_id, domain);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201120357_AddCustomerDomains') THEN
    CREATE UNIQUE INDEX ix_customer_domains_domain ON customer_domains (domain);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201120357_AddCustomerDomains') THEN
    INSERT INTO migration_status (migration_id, product_version)
    VALUES ('20261201120357_AddCustomerDomains', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201135105_AddReportSnapshots') THEN
    CREATE TABLE report_snapshots (
        id bigint NOT NULL DEFAULT (unique_rowid()),
        scope_key character varying(80) NOT NULL,
        kind character varying(32) NOT NULL,
        customer_id bigint,
        site_id bigint,
        payload text NOT NULL,
        computed_at timestamp with time zone NOT NULL,
        compute_milliseconds integer NOT NULL,
        refresh_claimed_at timestamp with time zone,
        CONSTRAINT pk_report_snapshots PRIMARY KEY (id),
        CONSTRAINT ck_report_snapshots_kind CHECK (kind IN ('dashboard', 'user_migration')),
        CONSTRAINT fk_report_snapshots_customers_customer_id FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE,
        CONSTRAINT fk_report_snapshots_sites_site_id FOREIGN KEY (site_id) REFERENCES sites (id) ON DELETE CASCADE
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201135105_AddReportSnapshots') THEN
    CREATE INDEX ix_report_snapshots_customer_id ON report_snapshots (customer_id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201135105_AddReportSnapshots') THEN
    CREATE UNIQUE INDEX ix_report_snapshots_scope_key_kind ON report_snapshots (scope_key, kind);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201135105_AddReportSnapshots') THEN
    CREATE INDEX ix_report_snapshots_site_id ON report_snapshots (site_id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201135105_AddReportSnapshots') THEN
    INSERT INTO migration_status (migration_id, product_version)
    VALUES ('20261201135105_AddReportSnapshots', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201164318_MappingCustomerIdAndAuditTimeIndex') THEN
    ALTER TABLE user_ciam_mappings ADD customer_id bigint NOT NULL DEFAULT 0;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201164318_MappingCustomerIdAndAuditTimeIndex') THEN
    CREATE INDEX ix_user_ciam_mappings_user_id_customer_id ON user_ciam_mappings (user_id, customer_id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201164318_MappingCustomerIdAndAuditTimeIndex') THEN
    DROP INDEX ix_user_ciam_mappings_user_id;
    END IF;
END $EF$;
COMMIT;


DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201164318_MappingCustomerIdAndAuditTimeIndex') THEN
    UPDATE user_ciam_mappings SET customer_id = (SELECT u.customer_id FROM users u WHERE u.id = user_ciam_mappings.user_id);
    END IF;
END $EF$;
START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201164318_MappingCustomerIdAndAuditTimeIndex') THEN
    CREATE INDEX ix_user_ciam_mappings_customer_id ON user_ciam_mappings (customer_id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201164318_MappingCustomerIdAndAuditTimeIndex') THEN
    CREATE INDEX ix_audit_log_at_id ON audit_log (at DESC, id DESC);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201164318_MappingCustomerIdAndAuditTimeIndex') THEN
    ALTER TABLE user_ciam_mappings ADD CONSTRAINT fk_user_ciam_mappings_customers_customer_id FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE RESTRICT;
    END IF;
END $EF$;
COMMIT;


DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201164318_MappingCustomerIdAndAuditTimeIndex') THEN
    INSERT INTO migration_status (migration_id, product_version)
    VALUES ('20261201164318_MappingCustomerIdAndAuditTimeIndex', '10.0.15');
    END IF;
END $EF$;
START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201164516_AddAuditEntityLabel') THEN
    ALTER TABLE audit_log ADD entity_label character varying(200);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201164516_AddAuditEntityLabel') THEN
    INSERT INTO migration_status (migration_id, product_version)
    VALUES ('20261201164516_AddAuditEntityLabel', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201195339_UserSyncClaims') THEN
    ALTER TABLE users ADD sync_claimed_by character varying(100);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201195339_UserSyncClaims') THEN
    ALTER TABLE users ADD sync_claimed_until timestamp with time zone;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201195339_UserSyncClaims') THEN
    CREATE INDEX ix_users_sync_queue ON users (id, sync_claimed_until) WHERE sync_status = 'pending';
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201195339_UserSyncClaims') THEN
    INSERT INTO migration_status (migration_id, product_version)
    VALUES ('20261201195339_UserSyncClaims', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201200001_AddJobs') THEN
    CREATE TABLE jobs (
        id bigint NOT NULL DEFAULT (unique_rowid()),
        customer_id bigint,
        site_id bigint,
        kind character varying(16) NOT NULL,
        action character varying(32) NOT NULL,
        filter character varying(2000) NOT NULL,
        selected_ids text,
        total integer NOT NULL,
        done integer NOT NULL,
        cursor_last_id bigint NOT NULL,
        state character varying(16) NOT NULL,
        started_by character varying(320) NOT NULL,
        started_by_user_id bigint,
        started_by_role character varying(32) NOT NULL,
        claimed_by character varying(200),
        lease_until timestamp with time zone,
        cancel_requested_by character varying(320),
        error character varying(1000),
        created_at timestamp with time zone NOT NULL,
        started_at timestamp with time zone,
        finished_at timestamp with time zone,
        CONSTRAINT pk_jobs PRIMARY KEY (id),
        CONSTRAINT ck_jobs_kind CHECK (kind IN ('users', 'posts')),
        CONSTRAINT ck_jobs_state CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
        CONSTRAINT fk_jobs_customers_customer_id FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE RESTRICT,
        CONSTRAINT fk_jobs_sites_site_id FOREIGN KEY (site_id) REFERENCES sites (id) ON DELETE RESTRICT
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201200001_AddJobs') THEN
    CREATE INDEX ix_jobs_claim ON jobs (state, lease_until, created_at, id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201200001_AddJobs') THEN
    CREATE INDEX ix_jobs_customer_id_created_at_id ON jobs (customer_id, created_at DESC, id DESC);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201200001_AddJobs') THEN
    CREATE INDEX ix_jobs_site_id ON jobs (site_id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261201200001_AddJobs') THEN
    INSERT INTO migration_status (migration_id, product_version)
    VALUES ('20261201200001_AddJobs', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261202025109_PostCustomerId') THEN
    DROP INDEX ix_posts_site_id_published_at_id;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261202025109_PostCustomerId') THEN
    DROP INDEX ix_posts_site_id_title_id;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261202025109_PostCustomerId') THEN
    ALTER TABLE posts ADD customer_id bigint NOT NULL DEFAULT 0;
    END IF;
END $EF$;
COMMIT;


DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261202025109_PostCustomerId') THEN
    UPDATE posts SET customer_id = (SELECT s.customer_id FROM sites s WHERE s.id = posts.site_id);
    END IF;
END $EF$;
START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261202025109_PostCustomerId') THEN
    CREATE INDEX ix_posts_customer_id_status_published_at_id ON posts (customer_id, status, published_at DESC, id DESC);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261202025109_PostCustomerId') THEN
    CREATE INDEX ix_posts_customer_id_status_title_id ON posts (customer_id, status, title, id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261202025109_PostCustomerId') THEN
    CREATE INDEX ix_posts_customer_id_status_updated_at_id ON posts (customer_id, status, updated_at DESC, id DESC);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261202025109_PostCustomerId') THEN
    CREATE INDEX ix_posts_site_id_status_published_at_id ON posts (site_id, status, published_at DESC, id DESC);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261202025109_PostCustomerId') THEN
    CREATE INDEX ix_posts_site_id_status_title_id ON posts (site_id, status, title, id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261202025109_PostCustomerId') THEN
    ALTER TABLE posts ADD CONSTRAINT fk_posts_customers_customer_id FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE RESTRICT;
    END IF;
END $EF$;
COMMIT;


DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261202025109_PostCustomerId') THEN
    INSERT INTO migration_status (migration_id, product_version)
    VALUES ('20261202025109_PostCustomerId', '10.0.15');
    END IF;
END $EF$;
START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261202032329_AuditTenantKindIndexes') THEN
    CREATE INDEX ix_audit_log_customer_id_action_at_id ON audit_log (customer_id, action, at DESC, id DESC);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261202032329_AuditTenantKindIndexes') THEN
    CREATE INDEX ix_audit_log_customer_id_entity_type_at_id ON audit_log (customer_id, entity_type, at DESC, id DESC);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM migration_status WHERE "migration_id" = '20261202032329_AuditTenantKindIndexes') THEN
    INSERT INTO migration_status (migration_id, product_version)
    VALUES ('20261202032329_AuditTenantKindIndexes', '10.0.15');
    END IF;
END $EF$;
COMMIT;

