using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdminPortal.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class MappingCustomerIdAndAuditTimeIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_user_ciam_mappings_user_id",
                table: "user_ciam_mappings");

            migrationBuilder.AddColumn<long>(
                name: "customer_id",
                table: "user_ciam_mappings",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            // Backfill from the mapping's user before the foreign key exists: every mapping gets its user's customer.
            migrationBuilder.Sql("UPDATE user_ciam_mappings SET customer_id = (SELECT u.customer_id FROM users u WHERE u.id = user_ciam_mappings.user_id);");

            migrationBuilder.CreateIndex(
                name: "ix_user_ciam_mappings_customer_id",
                table: "user_ciam_mappings",
                column: "customer_id");

            migrationBuilder.CreateIndex(
                name: "ix_user_ciam_mappings_user_id_customer_id",
                table: "user_ciam_mappings",
                columns: new[] { "user_id", "customer_id" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_at_id",
                table: "audit_log",
                columns: new[] { "at", "id" },
                descending: new bool[0]);

            migrationBuilder.AddForeignKey(
                name: "fk_user_ciam_mappings_customers_customer_id",
                table: "user_ciam_mappings",
                column: "customer_id",
                principalTable: "customers",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_user_ciam_mappings_customers_customer_id",
                table: "user_ciam_mappings");

            migrationBuilder.DropIndex(
                name: "ix_user_ciam_mappings_customer_id",
                table: "user_ciam_mappings");

            migrationBuilder.DropIndex(
                name: "ix_user_ciam_mappings_user_id_customer_id",
                table: "user_ciam_mappings");

            migrationBuilder.DropIndex(
                name: "ix_audit_log_at_id",
                table: "audit_log");

            migrationBuilder.DropColumn(
                name: "customer_id",
                table: "user_ciam_mappings");

            migrationBuilder.CreateIndex(
                name: "ix_user_ciam_mappings_user_id",
                table: "user_ciam_mappings",
                column: "user_id");
        }
    }
}
