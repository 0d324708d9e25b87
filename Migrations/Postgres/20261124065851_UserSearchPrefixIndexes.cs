using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdminPortal.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class UserSearchPrefixIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_users_customer_id_display_name_prefix",
                table: "users",
                columns: new[] { "customer_id", "display_name" })
                .Annotation("Npgsql:IndexOperators", new[] { null, "text_pattern_ops" });

            migrationBuilder.CreateIndex(
                name: "ix_users_customer_id_email_prefix",
                table: "users",
                columns: new[] { "customer_id", "email" })
                .Annotation("Npgsql:IndexOperators", new[] { null, "text_pattern_ops" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_users_customer_id_display_name_prefix",
                table: "users");

            migrationBuilder.DropIndex(
                name: "ix_users_customer_id_email_prefix",
                table: "users");
        }
    }
}
