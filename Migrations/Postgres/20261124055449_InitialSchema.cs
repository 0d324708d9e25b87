using System;
using AdminPortal.App.Data;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdminPortal.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class InitialSchema : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // PostgreSQL has no unique_rowid(); define one of CockroachDB's shape (10 µs timestamp << 15 | sequence) so that
            // the id defaults below read as they would on CockroachDB, and interleave with TimeOrderedId's ids.
            // One statement per operation, no dollar quoting. On CockroachDB, where the function is built in, migrate leaves these two out (CockroachDb.BuiltIn).
            migrationBuilder.Sql("CREATE SEQUENCE IF NOT EXISTS unique_rowid_seq MINVALUE 0 MAXVALUE 32767 CYCLE;").Annotation(CockroachDb.BuiltIn, true);
            migrationBuilder.Sql(
                "CREATE OR REPLACE FUNCTION unique_rowid() RETURNS bigint LANGUAGE sql VOLATILE AS " +
                "'SELECT ((floor(extract(epoch FROM clock_timestamp()) * 100000)::bigint) << 15) | nextval(''unique_rowid_seq'')';").Annotation(CockroachDb.BuiltIn, true);

            migrationBuilder.CreateTable(
                name: "audit_log",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false, defaultValueSql: "unique_rowid()"),
                    at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    actor = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: false),
                    actor_user_id = table.Column<long>(type: "bigint", nullable: true),
                    customer_id = table.Column<long>(type: "bigint", nullable: true),
                    entity_type = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    entity_id = table.Column<long>(type: "bigint", nullable: false),
                    action = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    changes = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_audit_log", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "customers",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false, defaultValueSql: "unique_rowid()"),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    slug = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    is_active = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_customers", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "ciam_systems",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false, defaultValueSql: "unique_rowid()"),
                    customer_id = table.Column<long>(type: "bigint", nullable: true),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    provider_type = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    authority = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    client_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    client_secret_protected = table.Column<string>(type: "text", nullable: true),
                    client_secret_set_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    scopes = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    is_enabled = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_ciam_systems", x => x.id);
                    table.CheckConstraint("ck_ciam_systems_provider_type", "provider_type IN ('entra_id', 'entra_external_id', 'oidc')");
                    table.ForeignKey(
                        name: "fk_ciam_systems_customers_customer_id",
                        column: x => x.customer_id,
                        principalTable: "customers",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "sites",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false, defaultValueSql: "unique_rowid()"),
                    customer_id = table.Column<long>(type: "bigint", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    domain = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    is_active = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sites", x => x.id);
                    table.ForeignKey(
                        name: "fk_sites_customers_customer_id",
                        column: x => x.customer_id,
                        principalTable: "customers",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "users",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false, defaultValueSql: "unique_rowid()"),
                    customer_id = table.Column<long>(type: "bigint", nullable: false),
                    site_id = table.Column<long>(type: "bigint", nullable: false),
                    email = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: false),
                    display_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    password_hash = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    azure_object_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    azure_tenant_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    oidc_subject = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    oidc_issuer = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    login_count = table.Column<int>(type: "integer", nullable: false),
                    last_login_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    refresh_token_hash = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    token_expires_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    tokens_revoked_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    sync_status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    last_synced_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    last_sync_error = table.Column<string>(type: "text", nullable: true),
                    portal_role = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    is_active = table.Column<bool>(type: "boolean", nullable: false),
                    is_locked = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_users", x => x.id);
                    table.CheckConstraint("ck_users_portal_role", "portal_role IN ('platform_admin', 'customer_admin', 'support', 'editor')");
                    table.CheckConstraint("ck_users_sync_status", "sync_status IN ('pending', 'synced', 'failed')");
                    table.ForeignKey(
                        name: "fk_users_customers_customer_id",
                        column: x => x.customer_id,
                        principalTable: "customers",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_users_sites_site_id",
                        column: x => x.site_id,
                        principalTable: "sites",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "posts",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false, defaultValueSql: "unique_rowid()"),
                    site_id = table.Column<long>(type: "bigint", nullable: false),
                    author_id = table.Column<long>(type: "bigint", nullable: true),
                    title = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    slug = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    content = table.Column<string>(type: "text", nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    published_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    deleted_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_posts", x => x.id);
                    table.CheckConstraint("ck_posts_status", "status IN ('draft', 'scheduled', 'published')");
                    table.ForeignKey(
                        name: "fk_posts_sites_site_id",
                        column: x => x.site_id,
                        principalTable: "sites",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_posts_users_author_id",
                        column: x => x.author_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "user_ciam_mappings",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false, defaultValueSql: "unique_rowid()"),
                    user_id = table.Column<long>(type: "bigint", nullable: false),
                    ciam_system_id = table.Column<long>(type: "bigint", nullable: false),
                    external_subject = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    last_login_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_user_ciam_mappings", x => x.id);
                    table.ForeignKey(
                        name: "fk_user_ciam_mappings_ciam_systems_ciam_system_id",
                        column: x => x.ciam_system_id,
                        principalTable: "ciam_systems",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_user_ciam_mappings_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_action_at",
                table: "audit_log",
                columns: new[] { "action", "at" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_customer_id_at_id",
                table: "audit_log",
                columns: new[] { "customer_id", "at", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_entity_type_entity_id_at",
                table: "audit_log",
                columns: new[] { "entity_type", "entity_id", "at" });

            migrationBuilder.CreateIndex(
                name: "ix_ciam_systems_customer_id_name_id",
                table: "ciam_systems",
                columns: new[] { "customer_id", "name", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_customers_name_id",
                table: "customers",
                columns: new[] { "name", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_customers_slug",
                table: "customers",
                column: "slug",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_posts_author_id",
                table: "posts",
                column: "author_id");

            migrationBuilder.CreateIndex(
                name: "ix_posts_site_id_deleted_at_id",
                table: "posts",
                columns: new[] { "site_id", "deleted_at", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_posts_site_id_published_at_id",
                table: "posts",
                columns: new[] { "site_id", "published_at", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_posts_site_id_slug",
                table: "posts",
                columns: new[] { "site_id", "slug" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_posts_site_id_status_updated_at_id",
                table: "posts",
                columns: new[] { "site_id", "status", "updated_at", "id" },
                descending: new[] { false, false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_posts_site_id_title_id",
                table: "posts",
                columns: new[] { "site_id", "title", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_posts_status_published_at",
                table: "posts",
                columns: new[] { "status", "published_at" });

            migrationBuilder.CreateIndex(
                name: "ix_sites_customer_id_name_id",
                table: "sites",
                columns: new[] { "customer_id", "name", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_sites_domain",
                table: "sites",
                column: "domain",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_user_ciam_mappings_ciam_system_id_external_subject",
                table: "user_ciam_mappings",
                columns: new[] { "ciam_system_id", "external_subject" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_user_ciam_mappings_user_id",
                table: "user_ciam_mappings",
                column: "user_id");

            migrationBuilder.CreateIndex(
                name: "ix_users_azure_tenant_id_azure_object_id",
                table: "users",
                columns: new[] { "azure_tenant_id", "azure_object_id" });

            migrationBuilder.CreateIndex(
                name: "ix_users_customer_id_created_at_id",
                table: "users",
                columns: new[] { "customer_id", "created_at", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_users_customer_id_display_name_id",
                table: "users",
                columns: new[] { "customer_id", "display_name", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_users_customer_id_email",
                table: "users",
                columns: new[] { "customer_id", "email" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_users_customer_id_last_login_at_id",
                table: "users",
                columns: new[] { "customer_id", "last_login_at", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_users_customer_id_login_count_id",
                table: "users",
                columns: new[] { "customer_id", "login_count", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_users_customer_id_sync_status_id",
                table: "users",
                columns: new[] { "customer_id", "sync_status", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_users_oidc_issuer_oidc_subject",
                table: "users",
                columns: new[] { "oidc_issuer", "oidc_subject" });

            migrationBuilder.CreateIndex(
                name: "ix_users_site_id_created_at_id",
                table: "users",
                columns: new[] { "site_id", "created_at", "id" },
                descending: new[] { false, true, true });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "audit_log");

            migrationBuilder.DropTable(
                name: "posts");

            migrationBuilder.DropTable(
                name: "user_ciam_mappings");

            migrationBuilder.DropTable(
                name: "ciam_systems");

            migrationBuilder.DropTable(
                name: "users");

            migrationBuilder.DropTable(
                name: "sites");

            migrationBuilder.DropTable(
                name: "customers");

            migrationBuilder.Sql("DROP FUNCTION IF EXISTS unique_rowid();").Annotation(CockroachDb.BuiltIn, true);
            migrationBuilder.Sql("DROP SEQUENCE IF EXISTS unique_rowid_seq;").Annotation(CockroachDb.BuiltIn, true);
        }
    }
}
