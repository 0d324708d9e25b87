using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace AdminPortal.App.Data;

/// <summary>The embedded default. Its migrations live in Migrations/Sqlite.</summary>
public sealed class SqlitePortalDbContext(DbContextOptions<SqlitePortalDbContext> options) : PortalDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite keeps no time zone; every DateTime in the portal is UTC, so say so when reading it back.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }

    private sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        value => ToUtc(value),
        value => DateTime.SpecifyKind(value, DateTimeKind.Utc));

    /// <summary>As Npgsql does for timestamptz: a time of unknown zone is refused, not guessed from the server's zone.</summary>
    private static DateTime ToUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => throw new ArgumentException($"DateTime {value:O} has no time zone (Kind=Unspecified); the portal stores UTC only."),
    };
}

/// <summary>PostgreSQL, and CockroachDB through the same wire protocol. Its migrations live in Migrations/Postgres.</summary>
public sealed class PostgresPortalDbContext(DbContextOptions<PostgresPortalDbContext> options) : PortalDbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);

        // Rows inserted by other tools get the same kind of id as rows from the app. CockroachDB has unique_rowid()
        // built in; for PostgreSQL the first migration defines it.
        foreach (var entityType in modelBuilder.Model.GetEntityTypes().Where(e => typeof(IHasId).IsAssignableFrom(e.ClrType)))
        {
            modelBuilder.Entity(entityType.ClrType).Property(nameof(IHasId.Id)).HasDefaultValueSql("unique_rowid()");
        }

        // The users grid's prefix search (LIKE 'term%') can use a btree index only under the C collation, or with
        // text_pattern_ops: these keep it index-backed whatever collation the database was created with.
        modelBuilder.Entity<Features.Users.User>().HasIndex(u => new { u.CustomerId, u.Email }, "EmailPrefix").HasDatabaseName("ix_users_customer_id_email_prefix").HasOperators(null!, "text_pattern_ops");
        modelBuilder.Entity<Features.Users.User>().HasIndex(u => new { u.CustomerId, u.DisplayName }, "DisplayNamePrefix").HasDatabaseName("ix_users_customer_id_display_name_prefix").HasOperators(null!, "text_pattern_ops");
    }
}

/// <summary>Lets <c>dotnet ef</c> build the contexts without starting the web host. No database is contacted.</summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqlitePortalDbContext>
{
    public SqlitePortalDbContext CreateDbContext(string[] args) =>
        new(DatabaseSetup.CreateOptions<SqlitePortalDbContext>(new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = "Data Source=design-time.db" }));
}

public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresPortalDbContext>
{
    public PostgresPortalDbContext CreateDbContext(string[] args) =>
        new(DatabaseSetup.CreateOptions<PostgresPortalDbContext>(new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = "Host=127.0.0.1;Database=design_time" }));
}
