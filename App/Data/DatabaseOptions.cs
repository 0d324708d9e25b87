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

    /// <summary>How often the availability probe asks the database while it answers (every second while it does not).</summary>
    public TimeSpan AvailabilityProbeInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the probe and the readiness check (/health/ready) wait for the database.</summary>
    public TimeSpan AvailabilityProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long into an outage queries keep retrying a lost connection. Past it they fail at once, and the page shows
    /// its error state under the "Database unavailable" banner instead of a minute's spinner.
    /// </summary>
    public TimeSpan RetryDuringOutage { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>EF's retry strategy (PostgreSQL): retries of a transient error, e.g. CockroachDB's 40001.</summary>
    public int MaxRetryCount { get; set; } = 6;

    /// <summary>The longest wait between two retries (EF's default is 30 s, which made an outage a minute's spinner).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    public bool ShouldMigrateOnStartup => MigrateOnStartup ?? Provider == DatabaseProvider.Sqlite;

    public bool ShouldSeedDemoData => SeedDemoData ?? Provider == DatabaseProvider.Sqlite;
}
