using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdminPortal.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class PostCustomerId : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_posts_site_id_published_at_id",
                table: "posts");

            migrationBuilder.DropIndex(
                name: "ix_posts_site_id_title_id",
                table: "posts");

            migrationBuilder.AddColumn<long>(
                name: "customer_id",
                table: "posts",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            // Backfill from each post's site before the foreign key exists. Outside the migration's transaction:
            // CockroachDB cannot write a column added in the same transaction.
            migrationBuilder.Sql("UPDATE posts SET customer_id = (SELECT s.customer_id FROM sites s WHERE s.id = posts.site_id);", suppressTransaction: true);

            migrationBuilder.CreateIndex(
                name: "ix_posts_customer_id_status_published_at_id",
                table: "posts",
                columns: new[] { "customer_id", "status", "published_at", "id" },
                descending: new[] { false, false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_posts_customer_id_status_title_id",
                table: "posts",
                columns: new[] { "customer_id", "status", "title", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_posts_customer_id_status_updated_at_id",
                table: "posts",
                columns: new[] { "customer_id", "status", "updated_at", "id" },
                descending: new[] { false, false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_posts_site_id_status_published_at_id",
                table: "posts",
                columns: new[] { "site_id", "status", "published_at", "id" },
                descending: new[] { false, false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_posts_site_id_status_title_id",
                table: "posts",
                columns: new[] { "site_id", "status", "title", "id" });

            migrationBuilder.AddForeignKey(
                name: "fk_posts_customers_customer_id",
                table: "posts",
                column: "customer_id",
                principalTable: "customers",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_posts_customers_customer_id",
                table: "posts");

            migrationBuilder.DropIndex(
                name: "ix_posts_customer_id_status_published_at_id",
                table: "posts");

            migrationBuilder.DropIndex(
                name: "ix_posts_customer_id_status_title_id",
                table: "posts");

            migrationBuilder.DropIndex(
                name: "ix_posts_customer_id_status_updated_at_id",
                table: "posts");

            migrationBuilder.DropIndex(
                name: "ix_posts_site_id_status_published_at_id",
                table: "posts");

            migrationBuilder.DropIndex(
                name: "ix_posts_site_id_status_title_id",
                table: "posts");

            migrationBuilder.DropColumn(
                name: "customer_id",
                table: "posts");

            migrationBuilder.CreateIndex(
                name: "ix_posts_site_id_published_at_id",
                table: "posts",
                columns: new[] { "site_id", "published_at", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_posts_site_id_title_id",
                table: "posts",
                columns: new[] { "site_id", "title", "id" });
        }
    }
}
