using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdminPortal.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AddReportSnapshots : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "report_snapshots",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    scope_key = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    customer_id = table.Column<long>(type: "INTEGER", nullable: true),
                    site_id = table.Column<long>(type: "INTEGER", nullable: true),
                    payload = table.Column<string>(type: "TEXT", nullable: false),
                    computed_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    compute_milliseconds = table.Column<int>(type: "INTEGER", nullable: false),
                    refresh_claimed_at = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_report_snapshots", x => x.id);
                    table.CheckConstraint("ck_report_snapshots_kind", "kind IN ('dashboard', 'user_migration')");
                    table.ForeignKey(
                        name: "fk_report_snapshots_customers_customer_id",
                        column: x => x.customer_id,
                        principalTable: "customers",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_report_snapshots_sites_site_id",
                        column: x => x.site_id,
                        principalTable: "sites",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_report_snapshots_customer_id",
                table: "report_snapshots",
                column: "customer_id");

            migrationBuilder.CreateIndex(
                name: "ix_report_snapshots_scope_key_kind",
                table: "report_snapshots",
                columns: new[] { "scope_key", "kind" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_report_snapshots_site_id",
                table: "report_snapshots",
                column: "site_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "report_snapshots");
        }
    }
}
