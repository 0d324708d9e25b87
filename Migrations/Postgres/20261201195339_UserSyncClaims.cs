using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdminPortal.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class UserSyncClaims : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "sync_claimed_by",
                table: "users",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "sync_claimed_until",
                table: "users",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_users_sync_queue",
                table: "users",
                columns: new[] { "id", "sync_claimed_until" },
                filter: "sync_status = 'pending'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_users_sync_queue",
                table: "users");

            migrationBuilder.DropColumn(
                name: "sync_claimed_by",
                table: "users");

            migrationBuilder.DropColumn(
                name: "sync_claimed_until",
                table: "users");
        }
    }
}
