using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Dashboard;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Reports;

/// <summary>The migration view's snapshot: counts per site, and the sites as named when it was computed.</summary>
/// <remarks>Pages name sites from the live sites table (a rename shows at once); the names here serve an outage.</remarks>
public sealed record MigrationReport(List<SiteMigrationCounts> Counts, List<MigrationSite> Sites);

/// <summary>
/// Computes report snapshots: one computation at a time per scope and kind in this process (a second caller joins the
/// running one), and an upsert that keeps the newest computation when several instances compute at once. Singleton:
/// it also remembers the last snapshot each scope read, so that a page can still show figures (with their age)
/// while the database is down.
/// </summary>
// IConfiguration is optional so that component tests and benchmarks without a host get the defaults.
public sealed class ReportRefresher(IServiceScopeFactory scopes, TimeProvider clock, ILogger<ReportRefresher> logger, IConfiguration? configuration = null)
{
    private readonly ConcurrentDictionary<(string Key, ReportKind Kind), Lazy<Task<ReportSnapshot>>> running = new();
    private readonly ConcurrentDictionary<(string Key, ReportKind Kind), ReportSnapshot> remembered = new();
    private readonly ConcurrentDictionary<(string Key, ReportKind Kind), DateTime> lastRead = new();

    /// <summary>Older than this, a snapshot is recomputed: in the background, and when a page reads it.</summary>
    public TimeSpan MaxAge => Setting("Reports:MaxAge", TimeSpan.FromMinutes(5));

    /// <summary>A Refresh within this time of the last computation returns that computation: a cheap rate limit.</summary>
    public TimeSpan MinRefreshInterval => Setting("Reports:MinRefreshInterval", TimeSpan.FromSeconds(10));

    private TimeSpan Setting(string key, TimeSpan fallback) => configuration?.GetValue(key, fallback) ?? fallback;

    public DateTime UtcNow => clock.GetUtcNow().UtcDateTime;

    public bool IsStale(ReportSnapshot snapshot) => UtcNow - snapshot.ComputedAt > MaxAge;

    public bool IsRunning(TenantScope viewer, ReportKind kind) =>
        ReportScopes.KeyOf(viewer) is { } key && running.ContainsKey((key, kind));

    /// <summary>Computes the report for the viewer's scope, or joins the computation already running for it.</summary>
    public Task<ReportSnapshot> RefreshAsync(TenantScope viewer, ReportKind kind)
    {
        string key = ReportScopes.KeyOf(viewer) ?? throw new InvalidOperationException("A scope that sees nothing has no reports.");
        if (remembered.TryGetValue((key, kind), out var recent) && UtcNow - recent.ComputedAt < MinRefreshInterval)
        {
            return Task.FromResult(recent);
        }

        var computation = running.GetOrAdd((key, kind), _ => new Lazy<Task<ReportSnapshot>>(() =>
            // Off the caller's synchronization context: a circuit awaits it without its renderer running the queries.
            Task.Run(() => ComputeAsync(key, ReportScopes.ComputationScope(viewer), kind))));
        return computation.Value;
    }

    /// <summary>What this process last read or computed for a scope: the outage fallback.</summary>
    public ReportSnapshot? Remembered(string key, ReportKind kind) => remembered.GetValueOrDefault((key, kind));

    /// <summary>
    /// Notes that a page of this process read a scope's report. The background keeps only such scopes fresh: a scope
    /// nobody has looked at for <see cref="RecentlyReadWithin"/> costs nothing until somebody does again.
    /// </summary>
    internal void NoteRead(string key, ReportKind kind) => lastRead[(key, kind)] = UtcNow;

    /// <summary>A scope read within this time (by default twice <see cref="MaxAge"/>) is kept fresh in the background.</summary>
    public TimeSpan RecentlyReadWithin => Setting("Reports:RecentlyReadWithin", MaxAge * 2);

    /// <summary>The scopes read within <see cref="RecentlyReadWithin"/>; older reads are forgotten on the way.</summary>
    public IReadOnlyCollection<(string Key, ReportKind Kind)> RecentlyRead()
    {
        DateTime since = UtcNow - RecentlyReadWithin;
        foreach (var (scope, at) in lastRead)
        {
            if (at < since)
            {
                lastRead.TryRemove(new KeyValuePair<(string, ReportKind), DateTime>(scope, at));
            }
        }

        return lastRead.Where(r => r.Value >= since).Select(r => r.Key).ToList();
    }

    internal void Remember(ReportSnapshot snapshot) =>
        remembered.AddOrUpdate((snapshot.ScopeKey, snapshot.Kind), snapshot, (_, known) => known.ComputedAt > snapshot.ComputedAt ? known : snapshot);

    private async Task<ReportSnapshot> ComputeAsync(string key, TenantScope scope, ReportKind kind)
    {
        try
        {
            // Whole microseconds, as PostgreSQL stores them: the remembered copy and the database's read the same "as of".
            long now = UtcNow.Ticks;
            DateTime started = new(now - now % 10, DateTimeKind.Utc);
            var watch = Stopwatch.StartNew();
            await using var services = scopes.CreateAsyncScope();
            services.ServiceProvider.GetRequiredService<TenantContext>().Use(scope);
            string payload = kind switch
            {
                ReportKind.Dashboard => JsonSerializer.Serialize(await services.ServiceProvider.GetRequiredService<DashboardService>().GetSummaryAsync()),
                ReportKind.UserMigration => JsonSerializer.Serialize(await ComputeMigrationAsync(services.ServiceProvider.GetRequiredService<UserService>())),
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a report."),
            };
            var snapshot = new ReportSnapshot
            {
                Id = TimeOrderedId.Next(),
                ScopeKey = key,
                Kind = kind,
                CustomerId = scope.AllCustomers ? null : scope.CustomerId,
                SiteId = scope.AllCustomers ? null : scope.SiteId,
                Payload = payload,
                ComputedAt = started,
                ComputeMilliseconds = (int)Math.Min(int.MaxValue, watch.ElapsedMilliseconds),
            };

            await using var db = await services.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            await UpsertAsync(db, snapshot);
            Remember(snapshot);
            logger.LogInformation("Computed the {Kind} report of {Scope} in {Milliseconds} ms.", kind, key, snapshot.ComputeMilliseconds);
            return snapshot;
        }
        finally
        {
            running.TryRemove((key, kind), out _);
        }
    }

    private static async Task<MigrationReport> ComputeMigrationAsync(UserService users) =>
        new(await users.CountMigrationBySiteAsync(), await users.GetMigrationSitesAsync());

    /// <summary>
    /// One statement, the same on SQLite, PostgreSQL and CockroachDB. Two instances computing at once both succeed;
    /// the row keeps the later start (the newer figures), and an older computation that finishes last changes nothing.
    /// </summary>
    internal static Task<int> UpsertAsync(PortalDbContext db, ReportSnapshot snapshot)
    {
        string kind = SnakeCaseEnumConverter.ToText(snapshot.Kind);
        return db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO report_snapshots (id, scope_key, kind, customer_id, site_id, payload, computed_at, compute_milliseconds, refresh_claimed_at)
            VALUES ({snapshot.Id}, {snapshot.ScopeKey}, {kind}, {snapshot.CustomerId}, {snapshot.SiteId}, {snapshot.Payload}, {snapshot.ComputedAt}, {snapshot.ComputeMilliseconds}, NULL)
            ON CONFLICT (scope_key, kind) DO UPDATE SET
                payload = excluded.payload, computed_at = excluded.computed_at, compute_milliseconds = excluded.compute_milliseconds,
                refresh_claimed_at = NULL
            WHERE report_snapshots.computed_at < excluded.computed_at
            """);
    }
}
