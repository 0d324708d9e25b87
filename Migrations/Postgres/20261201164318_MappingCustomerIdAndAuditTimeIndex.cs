using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdminPortal.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class MappingCustomerIdAndAuditTimeIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "customer_id",
                table: "user_ciam_mappings",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            // The new index also serves the user_id foreign key; it exists before the old one goes.
            migrationBuilder.CreateIndex(
                name: "ix_user_ciam_mappings_user_id_customer_id",
                table: "user_ciam_mappings",
                columns: new[] { "user_id", "customer_id" });

            migrationBuilder.DropIndex(
                name: "ix_user_ciam_mappings_user_id",
                table: "user_ciam_mappings");

            // Backfill from the mapping's user before the foreign key exists: every mapping gets its user's customer.
            // Outside the migration's transaction: CockroachDB cannot write a column added in the same transaction.
            migrationBuilder.Sql("UPDATE user_ciam_mappings SET customer_id = (SELECT u.customer_id FROM users u WHERE u.id = user_ciam_mappings.user_id);", suppressTransaction: true);

            migrationBuilder.CreateIndex(
                name: "ix_user_ciam_mappings_customer_id",
                table: "user_ciam_mappings",
                column: "customer_id");

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

            migrationBuilder.CreateIndex(
                name: "ix_user_ciam_mappings_user_id",
                table: "user_ciam_mappings",
                column: "user_id");

            migrationBuilder.DropIndex(
                name: "ix_user_ciam_mappings_user_id_customer_id",
                table: "user_ciam_mappings");

            migrationBuilder.DropIndex(
                name: "ix_audit_log_at_id",
                table: "audit_log");

            migrationBuilder.DropColumn(
                name: "customer_id",
                table: "user_ciam_mappings");
        }
    }
}
