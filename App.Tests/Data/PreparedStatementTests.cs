using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Grid;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AdminPortal.Tests.Data;

/// <summary>
/// On PostgreSQL the portal's contexts prepare the statements they repeat (Npgsql's automatic preparation, on unless
/// the connection string says otherwise), and PostgreSQL may then run one generic plan, made without the parameters'
/// values, for every tenant. The tenant must stay a parameter of that one statement, never part of its text.
/// </summary>
public class PreparedStatementTests
{
    private const string Given = "Host=db.example.internal;Port=5433;Database=adminportal;Username=portal;Password='se;cr=et'";

    [Fact]
    public void PostgresConnectionString_NamingNeitherSetting_TurnsAutomaticPreparationOn()
    {
        var result = new NpgsqlConnectionStringBuilder(DatabaseSetup.PostgresConnectionString(Given));

        Assert.Equal(DatabaseSetup.DefaultMaxAutoPrepare, result.MaxAutoPrepare);
        Assert.Equal(DatabaseSetup.DefaultAutoPrepareMinUsages, result.AutoPrepareMinUsages);
        Assert.Equal(("db.example.internal", 5433, "adminportal", "portal", "se;cr=et"), (result.Host, result.Port, result.Database, result.Username, result.Password));
    }

    [Theory]
    [InlineData("Max Auto Prepare=0", 0, DatabaseSetup.DefaultAutoPrepareMinUsages)] // off, e.g. behind an old PgBouncer
    [InlineData("MaxAutoPrepare=10", 10, DatabaseSetup.DefaultAutoPrepareMinUsages)]
    [InlineData("max auto prepare = 0", 0, DatabaseSetup.DefaultAutoPrepareMinUsages)]
    [InlineData("Auto Prepare Min Usages=7", DatabaseSetup.DefaultMaxAutoPrepare, 7)]
    [InlineData("Max Auto Prepare=5;AutoPrepareMinUsages=3", 5, 3)]
    public void PostgresConnectionString_NamingASetting_KeepsWhatItSays(string setting, int maxAutoPrepare, int minUsages)
    {
        var result = new NpgsqlConnectionStringBuilder(DatabaseSetup.PostgresConnectionString(Given + ";" + setting));

        Assert.Equal(maxAutoPrepare, result.MaxAutoPrepare);
        Assert.Equal(minUsages, result.AutoPrepareMinUsages);
        Assert.Equal("se;cr=et", result.Password);
    }

    [Theory, BothProviders]
    public async Task UsersGrid_TwoTenantsTakingTurnsOnOneGenericPlan_EachSeesOnlyItsOwnRows(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        Dictionary<long, long> customerOf;
        long contoso, fabrikam;
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            customerOf = await system.Db.Users.ToDictionaryAsync(u => u.Id, u => u.CustomerId);
            var ids = await system.Db.Customers.ToDictionaryAsync(c => c.Slug, c => c.Id);
            (contoso, fabrikam) = (ids["contoso"], ids["fabrikam"]);
        }

        string? portalConnectionString = null;
        if (provider == DatabaseProvider.Postgres)
        {
            // Every statement on its generic plan from its first prepared execution, rather than when PostgreSQL's
            // cost comparison chooses it: the worst case for isolation, and a fixed number of turns to reach it.
            portalConnectionString = DatabaseSetup.PostgresConnectionString(database.Options.ConnectionString!);
            await using (var admin = new NpgsqlConnection(TestDatabase.AdminConnectionString))
            {
                await admin.OpenAsync();
                await using var generic = new NpgsqlCommand($"ALTER DATABASE {new NpgsqlConnectionStringBuilder(portalConnectionString).Database} SET plan_cache_mode = force_generic_plan", admin);
                await generic.ExecuteNonQueryAsync();
            }

            await using var pooled = new NpgsqlConnection(portalConnectionString);
            NpgsqlConnection.ClearPool(pooled); // the next sessions start with the setting
        }

        await using var contosoCircuit = database.Scope(TenantScope.ForCustomer(contoso));
        await using var fabrikamCircuit = database.Scope(TenantScope.ForCustomer(fabrikam));
        var circuits = new[]
        {
            (Users: new UserService(contosoCircuit.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), TimeProvider.System), Customer: contoso),
            (Users: new UserService(fabrikamCircuit.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), TimeProvider.System), Customer: fabrikam),
        };
        for (int turn = 0; turn < 6; turn++)
        {
            foreach (var (users, customer) in circuits)
            {
                int tenantUsers = customerOf.Count(c => c.Value == customer);
                var first = await users.GetPageAsync(new UserFilter(), new PageRequest(Size: 3));
                var next = await users.GetPageAsync(new UserFilter(), new PageRequest(PageRequestKind.After, first.Last, 3));
                var count = await users.CountAsync(new UserFilter());

                Assert.Equal(3, first.Rows.Count);
                Assert.NotEmpty(next.Rows);
                Assert.All(first.Rows.Concat(next.Rows), row => Assert.Equal(customer, customerOf[long.Parse(row.Id)]));
                Assert.Empty(first.Rows.Select(r => r.Id).Intersect(next.Rows.Select(r => r.Id)));
                Assert.Equal(tenantUsers, first.Total.Value);
                Assert.Equal(tenantUsers, count.Value);
            }
        }

        if (portalConnectionString is null)
        {
            return;
        }

        // The turns ran on one server connection (one at a time from the pool): its users statements ran on generic
        // plans, and none of them carries either tenant's id in its text.
        await using var connection = new NpgsqlConnection(portalConnectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand("SELECT statement, generic_plans FROM pg_prepared_statements WHERE statement LIKE '%FROM users AS u%'", connection);
        var prepared = new List<(string Statement, long GenericPlans)>();
        await using (var reader = await read.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                prepared.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }

        Assert.Contains(prepared, p => p.Statement.Contains("ORDER BY u.display_name, u.id", StringComparison.Ordinal) && p.GenericPlans >= 8);
        Assert.Contains(prepared, p => p.Statement.Contains("count(*)", StringComparison.Ordinal) && p.GenericPlans >= 4);
        Assert.All(prepared, p => Assert.DoesNotContain(contoso.ToString(System.Globalization.CultureInfo.InvariantCulture), p.Statement));
        Assert.All(prepared, p => Assert.DoesNotContain(fabrikam.ToString(System.Globalization.CultureInfo.InvariantCulture), p.Statement));
    }
}
