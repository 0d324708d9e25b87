using System.Text.RegularExpressions;
using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;

namespace AdminPortal.Tests.Data;

/// <summary>
/// CockroachDB cannot run here, so its compatibility is checked by reading: Migrations/cockroach.sql is what the
/// migrations generate for it, and neither script nor the portal's catalog queries use what CockroachDB lacks.
/// </summary>
public class CockroachCompatibilityTests
{
    /// <summary>What CockroachDB lacks, each with where that is written down.</summary>
    public static readonly (string Name, Regex Pattern, string Source)[] Unsupported =
    [
        ("anonymous DO block", new(@"\bDO\s+\$", RegexOptions.IgnoreCase), "DESIGN.md (CockroachDB rules: no DO $$ blocks); EF's idempotent script wraps every statement in one"),
        ("xmin/ctid system column", new(@"\b(xmin|ctid)\b", RegexOptions.IgnoreCase), "DESIGN.md (never xmin); CockroachDB has no PostgreSQL MVCC system columns"),
        ("LOCK TABLE", new(@"\bLOCK\s+TABLE\b", RegexOptions.IgnoreCase), "DESIGN.md (EF's migration lock must be skippable); README Database:SkipMigrationLock"),
        ("trigger", new(@"\bCREATE\s+(OR\s+REPLACE\s+)?(CONSTRAINT\s+|EVENT\s+)?TRIGGER\b", RegexOptions.IgnoreCase), "cockroachlabs.com/docs/v24.1/postgresql-compatibility: triggers and events are not supported"),
        ("extension", new(@"\bCREATE\s+EXTENSION\b", RegexOptions.IgnoreCase), "cockroachlabs.com/docs/v24.1/postgresql-compatibility: PostgreSQL extensions are not loadable; features are built in"),
        ("LISTEN/NOTIFY", new(@"\b(LISTEN|NOTIFY|pg_notify)\b", RegexOptions.IgnoreCase), "github.com/cockroachdb/cockroach/issues/41522: LISTEN/NOTIFY is not supported"),
        ("B-tree operator class", new(@"\w+_pattern_ops\b", RegexOptions.IgnoreCase), "cockroachlabs.com/docs/stable/create-index: operator classes only on inverted (GIN) indexes"),
        ("cycling sequence", new(@"\bCREATE\s+SEQUENCE\b[^;]*\bCYCLE\b", RegexOptions.IgnoreCase), "cockroachlabs.com/docs/stable/create-sequence: CYCLE is not supported"),
        ("redefining unique_rowid()", new(@"\bFUNCTION\s+unique_rowid\b", RegexOptions.IgnoreCase), "CockroachDB has unique_rowid() built in (seed MIGRATION-STATUS-REAL.md: BIGINT ids with unique_rowid())"),
    ];

    private static string Read(string relative) => File.ReadAllText(Path.Combine(RepositoryRoot.Path, relative)).ReplaceLineEndings("\n");

    private static List<string> Findings(string text, IEnumerable<(string Name, Regex Pattern, string Source)> rules) =>
        rules.SelectMany(rule => rule.Pattern.Matches(text).Select(match =>
            $"{rule.Name} at line {text[..match.Index].Count(c => c == '\n') + 1}: \"{match.Value}\" ({rule.Source})")).ToList();

    [Fact]
    public void CockroachScript_MatchesTheMigrations()
    {
        string generated = CockroachDb.GenerateScript();

        // Regenerate with: dotnet run -- schema cockroach-sql -o Migrations/cockroach.sql
        Assert.True(generated == Read("Migrations/cockroach.sql"), "Migrations/cockroach.sql is stale: run dotnet run -- schema cockroach-sql -o Migrations/cockroach.sql");
    }

    [Fact]
    public void CockroachScript_HasNothingCockroachDbLacks_AndKeepsItsBuiltIns()
    {
        string script = Read("Migrations/cockroach.sql");

        Assert.Empty(Findings(script, Unsupported));
        Assert.DoesNotContain("unique_rowid_seq", script);
        Assert.Contains("DEFAULT (unique_rowid())", script); // the built-in function, used as on PostgreSQL
        Assert.Contains("CREATE INDEX ix_users_customer_id_email_prefix ON users (customer_id, email);", script);
        Assert.Contains("INSERT INTO migration_status", script);
    }

    [Fact]
    public void PostgresScript_OnlyWhatMigrateAdaptsOnCockroachDb()
    {
        string script = Read("Migrations/postgres.sql");
        var findings = Findings(script, Unsupported.Where(rule => rule.Name != "anonymous DO block"));

        // Exactly the statements CockroachDb leaves out or rewrites on CockroachDB, and nothing else: a new migration
        // with a trigger, an extension or xmin fails here.
        var adapted = findings.Select(f => f[..f.IndexOf(" at line", StringComparison.Ordinal)]).Distinct().Order().ToList();
        Assert.Equal(["B-tree operator class", "cycling sequence", "redefining unique_rowid()"], adapted);
        Assert.Contains(findings, f => f.Contains("text_pattern_ops"));
    }

    [Fact]
    public void CatalogQueries_UseNothingCockroachDbLacks()
    {
        string source = Read("App/Features/Schema/LiveSchemaReader.cs");
        var queries = Regex.Matches(source, "\"\"\"(.*?)\"\"\"", RegexOptions.Singleline).Select(m => m.Groups[1].Value).Where(q => q.Contains("pg_")).ToList();

        Assert.True(queries.Count >= 3, "the PostgreSQL catalog queries were not found");
        Assert.Empty(queries.SelectMany(query => Findings(query, Unsupported)));
    }

    [Fact]
    public void SyncClaim_UsesNothingCockroachDbLacks()
    {
        // The sync queue's claim (UserSyncWorker.ClaimAsync): FOR UPDATE SKIP LOCKED and UPDATE ... WHERE id IN (subquery)
        // are both supported by CockroachDB (cockroachlabs.com/docs/stable/select-for-update).
        string source = Read("App/Features/Users/UserSync.cs");
        var queries = Regex.Matches(source, "\"\"\"(.*?)\"\"\"", RegexOptions.Singleline).Select(m => m.Groups[1].Value).Where(q => q.Contains("UPDATE users")).ToList();

        var claim = Assert.Single(queries);
        Assert.Contains("FOR UPDATE SKIP LOCKED", claim);
        Assert.Contains("sync_status = 'pending'", claim); // the literal of ix_users_sync_queue's filter
        Assert.Empty(Findings(claim, Unsupported));
    }

    [Fact]
    public void JobClaimQuery_UsesNothingCockroachDbLacks_AndSkipsLockedRows()
    {
        // CockroachDB supports SELECT … FOR UPDATE SKIP LOCKED (cockroachlabs.com/docs/stable/select-for-update).
        Assert.Contains("FOR UPDATE SKIP LOCKED", App.Features.Jobs.JobRunner.ClaimSqlPostgres);
        Assert.Empty(Findings(App.Features.Jobs.JobRunner.ClaimSqlPostgres, Unsupported));
    }

    [Fact]
    public async Task Detect_OnPostgres_IsNotCockroachDb()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var context = await database.ContextAsync(TenantScope.System());

        Assert.False(await CockroachDb.DetectAsync(context.Db));
        Assert.False(CockroachDb.IsTarget(context.Db));
    }
}
