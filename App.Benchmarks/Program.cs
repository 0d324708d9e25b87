using AdminPortal.Benchmarks;
using System.Diagnostics;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Dashboard;
using AdminPortal.App.Features.Reports;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

// Benchmarks at scale on PostgreSQL, each against a baseline measured in the same run on the same data. Run them with
// ./bench.sh [dashboard|users|reports|providers] [rows], which starts a private cluster.
string benchmark = args.Length > 0 ? args[0] : "users";
if (benchmark == "circuits")
{
    // No PostgreSQL: the portal's embedded SQLite, in a process of its own. Arguments: circuits, generated users, page turns.
    await CircuitsBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 20, args.Length > 2 ? int.Parse(args[2]) : 30_000, args.Length > 3 ? int.Parse(args[3]) : 30);
    return;
}

int users = args.Length > 1 ? int.Parse(args[1]) : 1_000_000;
string admin = Environment.GetEnvironmentVariable("ADMINPORTAL_TEST_POSTGRES") ?? throw new InvalidOperationException("Set ADMINPORTAL_TEST_POSTGRES (./bench.sh does).");
string name = "bench_" + Guid.NewGuid().ToString("N")[..8];
await Execute(admin, $"CREATE DATABASE {name}");
try
{
    // Generous: filling a million rows (and the live reports over them) can outlast the 30 s default on a busy machine.
    var options = new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name, CommandTimeout = 600 }.ConnectionString };
    var services = new ServiceCollection().AddLogging().AddPortalData(options).AddSingleton(TimeProvider.System).AddScoped<DashboardService>().AddScoped<AdminPortal.App.Features.Users.UserService>()
        .AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build())
        .AddReports(background: false).BuildServiceProvider();
    await using (var scope = services.CreateAsyncScope())
    {
        var commands = scope.ServiceProvider.GetRequiredService<DatabaseCommands>();
        await commands.MigrateAsync();
        await commands.SeedAsync();
    }

    long contoso = await WithContext(services, TenantScope.System(), db => db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync());
    long site = await WithContext(services, TenantScope.System(), db => db.Sites.Where(s => s.CustomerId == contoso).Select(s => s.Id).FirstAsync());
    if (benchmark == "providers")
    {
        await ProviderSchemesBenchmark.RunAsync(options, [10, 100, 1_000]);
        return;
    }

    if (benchmark == "reports")
    {
        await ReportsBenchmark.RunAsync(services, options.ConnectionString!, contoso, users);
        return;
    }

    if (benchmark == "users")
    {
        // An A/B in the same run on the same data: the portal's services once more, with the connection string saying
        // one more setting (which the portal's data setup respects): by default Max Auto Prepare=0, automatic
        // preparation off; ADMINPORTAL_BENCH_USERS_AB names another, e.g. "No Reset On Close=false".
        string ab = Environment.GetEnvironmentVariable("ADMINPORTAL_BENCH_USERS_AB") is { Length: > 0 } setting ? setting : "Max Auto Prepare=0";
        var unpreparedOptions = new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = options.ConnectionString + ";" + ab };
        await using var unprepared = new ServiceCollection().AddLogging().AddPortalData(unpreparedOptions).AddSingleton(TimeProvider.System)
            .AddScoped<AdminPortal.App.Features.Users.UserService>().BuildServiceProvider();
        await UsersGridBenchmark.RunAsync(services, options.ConnectionString!, contoso, users, unprepared, ab);
        return;
    }

    var fill = Stopwatch.StartNew();
    await Execute(options.ConnectionString!,
        "INSERT INTO users (customer_id, site_id, email, display_name, login_count, sync_status, is_active, is_locked, created_at, updated_at, version) " +
        $"SELECT {contoso}, {site}, 'bulk' || g || '@contoso.example', 'Bulk user ' || g, g % 300, (ARRAY['pending','synced','failed'])[1 + g % 3], true, false, " +
        $"now() - (g || ' seconds')::interval, now(), 1 FROM generate_series(1, {users}) AS g");
    await Execute(options.ConnectionString!, "ANALYZE");
    Console.WriteLine($"PostgreSQL, {users:N0} extra users in one tenant (filled in {fill.Elapsed.TotalSeconds:F0} s), median of {Measure.Rounds} runs after a warm-up:");

    foreach (var scope in new[] { TenantScope.System("platform admin"), TenantScope.ForCustomer(contoso) })
    {
        double capped = await Measure.MedianAsync(() => WithScope(services, scope, s => s.GetRequiredService<DashboardService>().GetSummaryAsync()));
        double exact = await Measure.MedianAsync(() => WithContext(services, scope, ExactCountsAsync));
        Console.WriteLine($"  {(scope.AllCustomers ? "platform admin" : "customer admin"),-15} dashboard (capped counts): {capped,8:F1} ms   baseline (exact counts): {exact,8:F1} ms   ratio {exact / capped,5:F1}x");
    }
}
finally
{
    NpgsqlConnection.ClearAllPools();
    await Execute(admin, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
}

// The same figures the dashboard shows, counted exactly: what a naive dashboard would do.
static async Task<int> ExactCountsAsync(PortalDbContext db)
{
    int total = await db.Users.CountAsync() + await db.Customers.CountAsync() + await db.Sites.CountAsync();
    foreach (var status in Enum.GetValues<SyncStatus>())
    {
        total += await db.Users.CountAsync(u => u.SyncStatus == status);
    }

    return total + await db.Posts.CountAsync();
}

static async Task<T> WithScope<T>(IServiceProvider services, TenantScope tenant, Func<IServiceProvider, Task<T>> action)
{
    await using var scope = services.CreateAsyncScope();
    scope.ServiceProvider.GetRequiredService<TenantContext>().Use(tenant);
    return await action(scope.ServiceProvider);
}

static Task<T> WithContext<T>(IServiceProvider services, TenantScope tenant, Func<PortalDbContext, Task<T>> query) =>
    WithScope(services, tenant, async provider =>
    {
        await using var db = await provider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return await query(db);
    });

static async Task Execute(string connectionString, string sql)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
    await command.ExecuteNonQueryAsync();
}
