namespace AdminPortal.App.Data;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>The "Database" configuration section, plus the "Portal" connection string.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";
    public const string ConnectionStringName = "Portal";
    public const string DefaultSqliteConnectionString = "Data Source=data/portal.db";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>From ConnectionStrings:Portal. For SQLite it defaults to a file under data/.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Apply pending migrations at start-up. Defaults to on for the embedded SQLite database and off for PostgreSQL,
    /// which is migrated by <c>dotnet run -- migrate</c>: a production database is never migrated silently.
    /// </summary>
    public bool? MigrateOnStartup { get; set; }

    /// <summary>Fill an empty database with demo data. Defaults to on for SQLite, off for PostgreSQL.</summary>
    public bool? SeedDemoData { get; set; }

    /// <summary>
    /// For CockroachDB: EF's migration lock uses LOCK TABLE, which CockroachDB lacks. Turn the lock off only when a
    /// single process runs migrations.
    /// </summary>
    public bool SkipMigrationLock { get; set; }

    public bool ShouldMigrateOnStartup => MigrateOnStartup ?? Provider == DatabaseProvider.Sqlite;

    public bool ShouldSeedDemoData => SeedDemoData ?? Provider == DatabaseProvider.Sqlite;
}
