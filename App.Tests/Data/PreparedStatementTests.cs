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
        Assert.True(result.NoResetOnClose);
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

    [Theory]
    [InlineData("No Reset On Close=false", false)]
    [InlineData("noresetonclose=False", false)]
    [InlineData("No Reset On Close=true", true)]
    public void PostgresConnectionString_NamingNoResetOnClose_KeepsWhatItSays(string setting, bool noReset)
    {
        var result = new NpgsqlConnectionStringBuilder(DatabaseSetup.PostgresConnectionString(Given + ";" + setting));

        Assert.Equal(noReset, result.NoResetOnClose);
        Assert.Equal(DatabaseSetup.DefaultMaxAutoPrepare, result.MaxAutoPrepare);
    }

    /// <summary>
    /// With No Reset On Close the pool hands a server session to the next context as the last one left it, without
    /// Npgsql's reset (which also cost 1–7 ms a grid page in the users benchmark). What the portal does on a session —
    /// here a transaction that fails half way — must leave nothing behind for the next tenant: no open transaction, no
    /// uncommitted change, no lock, no listener. One pooled session, so the second context gets the first one's.
    /// </summary>
    [Fact]
    public async Task PooledSession_AfterAFailedTransaction_CarriesNothingToTheNextContext()
    {
        await using var database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Postgres, seed: true);
        var options = new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = database.Options.ConnectionString + ";Maximum Pool Size=1" };
        await using var services = new ServiceCollection().AddLogging().AddPortalData(options).AddSingleton(TimeProvider.System).BuildServiceProvider();
        long customer;
        string name;
        int firstSession;
        await using (var scope = services.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System());
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            var contoso = await db.Customers.SingleAsync(c => c.Slug == "contoso");
            (customer, name) = (contoso.Id, contoso.Name);
            firstSession = await db.Database.SqlQueryRaw<int>("SELECT pg_backend_pid() AS \"Value\"").SingleAsync();
            await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            {
                await using var transaction = await db.Database.BeginTransactionAsync();
                contoso.Name = "<script>alert(1)</script> half-saved";
                await db.SaveChangesAsync();
                throw new InvalidOperationException("the step after the save failed");
            });
        }

        await using var next = services.CreateAsyncScope();
        next.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.ForCustomer(customer));
        await using var after = await next.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        await after.Database.OpenConnectionAsync();
        var connection = (NpgsqlConnection)after.Database.GetDbConnection();
        async Task<T> Scalar<T>(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            return (T)(await command.ExecuteScalarAsync())!;
        }

        Assert.Equal(firstSession, await Scalar<int>("SELECT pg_backend_pid()"));
        Assert.Equal(name, await after.Customers.Where(c => c.Id == customer).Select(c => c.Name).SingleAsync());
        // The failed transaction wrote, so had it stayed open this session would still hold its transaction id.
        Assert.True(await Scalar<bool>("SELECT pg_current_xact_id_if_assigned() IS NULL"));
        Assert.Equal(0L, await Scalar<long>("SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype IN ('advisory', 'transactionid')"));
        Assert.Equal(0L, await Scalar<long>("SELECT count(*) FROM pg_listening_channels()"));
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
