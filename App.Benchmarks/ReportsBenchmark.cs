using AdminPortal.App.Features.Dashboard;
using AdminPortal.App.Features.Reports;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AdminPortal.Benchmarks;

/// <summary>
/// The migration view and the dashboard at scale: the live report query (what the pages ran before reports were
/// snapshots, and what a computation still runs) against the page's read of the snapshot, in the same run on the
/// same data, for the platform admin and for a customer admin of the big tenant.
/// </summary>
public static class ReportsBenchmark
{
    public static async Task RunAsync(IServiceProvider services, string connectionString, long customerId, int users)
    {
        await using (var scope = services.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("bench"));
            await scope.ServiceProvider.GetRequiredService<UserDataGenerator>().GenerateAsync(users, Console.Out);
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        long tenantUsers = (long)(await new NpgsqlCommand($"SELECT count(*) FROM users WHERE customer_id = {customerId}", connection).ExecuteScalarAsync())!;
        long allUsers = (long)(await new NpgsqlCommand("SELECT count(*) FROM users", connection).ExecuteScalarAsync())!;
        Console.WriteLine($"Reports, PostgreSQL, {allUsers:N0} users in all ({tenantUsers:N0} in the customer admin's tenant), median of {Measure.Rounds} runs after a warm-up:");
        Console.WriteLine($"  {"scope",-15} {"report",-10} {"live query",12} {"page read (snapshot)",21} {"live/page",10} {"one computation",16}");

        foreach (var viewer in new[] { TenantScope.System("platform admin"), TenantScope.ForCustomer(customerId) })
        {
            string who = viewer.AllCustomers ? "platform admin" : "customer admin";
            foreach (var kind in new[] { ReportKind.UserMigration, ReportKind.Dashboard })
            {
                double live = await Measure.MedianAsync(() => InScope(services, viewer, async provider => kind == ReportKind.Dashboard
                    ? (object)await provider.GetRequiredService<DashboardService>().GetSummaryAsync()
                    : await provider.GetRequiredService<UserService>().GetMigrationAsync()));
                var snapshot = await services.GetRequiredService<ReportRefresher>().RefreshAsync(viewer, kind);
                double page = await Measure.MedianAsync(() => InScope(services, viewer, async provider => kind == ReportKind.Dashboard
                    ? (object?)await provider.GetRequiredService<ReportService>().GetDashboardAsync() ?? throw new InvalidOperationException("no snapshot")
                    : await provider.GetRequiredService<ReportService>().GetMigrationAsync() ?? throw new InvalidOperationException("no snapshot")));
                Console.WriteLine($"  {who,-15} {(kind == ReportKind.Dashboard ? "dashboard" : "migration"),-10} {live,9:F1} ms {page,18:F2} ms {live / page,9:F0}x {snapshot.ComputeMilliseconds,13:N0} ms");
            }
        }
    }

    private static async Task<T> InScope<T>(IServiceProvider services, TenantScope tenant, Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(tenant);
        return await action(scope.ServiceProvider);
    }
}
