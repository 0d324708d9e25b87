using AdminPortal.App.Data;
using AdminPortal.App.Features.Reports;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static AdminPortal.Tests.Features.Reports.ReportTestServices;

namespace AdminPortal.Tests.Features.Reports;

/// <summary>A database that cannot answer: on a PostgreSQL cluster of the test's own, stopped as a crash stops it.</summary>
public class ReportOutageTests
{
    [Fact]
    public async Task Reports_PostgresStopped_ShowTheLastSnapshotWithItsAge_OrFailAsCouldNotAnswer()
    {
        await using var cluster = await StoppablePostgres.StartAsync();
        var database = new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = await cluster.CreateDatabaseAsync() };
        await using var services = For(database);
        await As(services, TenantScope.System(), async provider =>
        {
            var commands = provider.GetRequiredService<DatabaseCommands>();
            await commands.MigrateAsync();
            await commands.SeedAsync();
            return true;
        });
        var platform = TenantScope.System("platform admin");
        await Refresh(services, platform, ReportKind.UserMigration);
        await Refresh(services, platform, ReportKind.Dashboard);
        var before = (await ReadAs(services, platform, r => r.GetMigrationAsync()))!;

        await cluster.StopAsync();

        // This instance read the snapshot before: it shows those figures, with their time, and says why.
        var during = (await ReadAs(services, platform, r => r.GetMigrationAsync()))!;
        Assert.True(during.DatabaseUnavailable);
        Assert.Equal(before.Figures, during.Figures);
        Assert.Equal(before.AsOf, during.AsOf);
        Assert.True((await ReadAs(services, platform, r => r.GetDashboardAsync()))!.DatabaseUnavailable);

        // A refresh fails as "could not answer" (the page's message), and an instance with nothing remembered too.
        var refresh = await Record.ExceptionAsync(() => Refresh(services, platform, ReportKind.UserMigration));
        Assert.True(refresh is not null && DatabaseFailure.CouldNotAnswer(refresh), refresh?.ToString());
        await using var other = For(database);
        var read = await Record.ExceptionAsync(() => ReadAs(other, platform, r => r.GetMigrationAsync()));
        Assert.True(read is not null && DatabaseFailure.CouldNotAnswer(read), read?.ToString());

        // Another scope's remembered figures are never a fallback for this one.
        var contoso = await Record.ExceptionAsync(() => ReadAs(services, TenantScope.ForCustomer(1), r => r.GetDashboardAsync()));
        Assert.NotNull(contoso);
    }
}
