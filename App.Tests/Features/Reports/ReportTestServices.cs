using AdminPortal.App.Data;
using AdminPortal.App.Features.Reports;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AdminPortal.Tests.Features.Reports;

/// <summary>One portal instance's report services over a test database (a second call: a second instance).</summary>
public static class ReportTestServices
{
    /// <param name="recentlyRead">Reports:RecentlyReadWithin: longer than any test, unless a test is about it.</param>
    /// <param name="clock">The instance's clock (e.g. a <see cref="ManualClock"/> the test moves); the system's by default.</param>
    public static ServiceProvider For(DatabaseOptions database, string maxAge = "00:05:00", string recentlyRead = "00:10:00", TimeProvider? clock = null)
    {
        var services = new ServiceCollection();
        if (clock is not null)
        {
            services.AddSingleton(clock);
        }

        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddPortalData(database);
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Reports:MaxAge"] = maxAge,
            ["Reports:RecentlyReadWithin"] = recentlyRead,
            // The tests refresh right after a change; the rate limit has a test of its own.
            ["Reports:MinRefreshInterval"] = "00:00:00",
        }).Build());
        services.AddReports(background: false);
        services.AddSingleton<ReportBackgroundRefresh>();
        return services.BuildServiceProvider();
    }

    public static ServiceProvider For(TestDatabase database, string maxAge = "00:05:00", string recentlyRead = "00:10:00", TimeProvider? clock = null) => For(database.Options, maxAge, recentlyRead, clock);

    /// <summary>Runs <paramref name="action"/> in a circuit-like scope whose tenant is <paramref name="tenant"/>.</summary>
    public static async Task<T> As<T>(IServiceProvider services, TenantScope tenant, Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(tenant);
        return await action(scope.ServiceProvider);
    }

    public static Task<T> ReadAs<T>(IServiceProvider services, TenantScope tenant, Func<ReportService, Task<T>> action) =>
        As(services, tenant, provider => action(provider.GetRequiredService<ReportService>()));

    public static Task Refresh(IServiceProvider services, TenantScope tenant, ReportKind kind) =>
        ReadAs(services, tenant, async reports => { await reports.RefreshAsync(kind); return true; });
}
