using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdminPortal.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AddJobs : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "jobs",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    customer_id = table.Column<long>(type: "INTEGER", nullable: true),
                    site_id = table.Column<long>(type: "INTEGER", nullable: true),
                    kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    action = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    filter = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    selected_ids = table.Column<string>(type: "TEXT", nullable: true),
                    total = table.Column<int>(type: "INTEGER", nullable: false),
                    done = table.Column<int>(type: "INTEGER", nullable: false),
                    cursor_last_id = table.Column<long>(type: "INTEGER", nullable: false),
                    state = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    started_by = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    started_by_user_id = table.Column<long>(type: "INTEGER", nullable: true),
                    started_by_role = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    claimed_by = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    lease_until = table.Column<DateTime>(type: "TEXT", nullable: true),
                    cancel_requested_by = table.Column<string>(type: "TEXT", maxLength: 320, nullable: true),
                    error = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    started_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    finished_at = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_jobs", x => x.id);
                    table.CheckConstraint("ck_jobs_kind", "kind IN ('users', 'posts')");
                    table.CheckConstraint("ck_jobs_state", "state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')");
                    table.ForeignKey(
                        name: "fk_jobs_customers_customer_id",
                        column: x => x.customer_id,
                        principalTable: "customers",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_jobs_sites_site_id",
                        column: x => x.site_id,
                        principalTable: "sites",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_jobs_claim",
                table: "jobs",
                columns: new[] { "state", "lease_until", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_jobs_customer_id_created_at_id",
                table: "jobs",
                columns: new[] { "customer_id", "created_at", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_jobs_site_id",
                table: "jobs",
                column: "site_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "jobs");
        }
    }
}
