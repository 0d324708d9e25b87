using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdminPortal.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AuditTenantKindIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_audit_log_customer_id_action_at_id",
                table: "audit_log",
                columns: new[] { "customer_id", "action", "at", "id" },
                descending: new[] { false, false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_customer_id_entity_type_at_id",
                table: "audit_log",
                columns: new[] { "customer_id", "entity_type", "at", "id" },
                descending: new[] { false, false, true, true });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_audit_log_customer_id_action_at_id",
                table: "audit_log");

            migrationBuilder.DropIndex(
                name: "ix_audit_log_customer_id_entity_type_at_id",
                table: "audit_log");
        }
    }
}
