using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdminPortal.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AddInvitations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "invitation_accepted_at",
                table: "users",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "invitation_expires_at",
                table: "users",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "invited_at",
                table: "users",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "invited_by_user_id",
                table: "users",
                type: "bigint",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_users_customer_id_invited_at_invitation_accepted_at",
                table: "users",
                columns: new[] { "customer_id", "invited_at", "invitation_accepted_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_users_customer_id_invited_at_invitation_accepted_at",
                table: "users");

            migrationBuilder.DropColumn(
                name: "invitation_accepted_at",
                table: "users");

            migrationBuilder.DropColumn(
                name: "invitation_expires_at",
                table: "users");

            migrationBuilder.DropColumn(
                name: "invited_at",
                table: "users");

            migrationBuilder.DropColumn(
                name: "invited_by_user_id",
                table: "users");
        }
    }
}
