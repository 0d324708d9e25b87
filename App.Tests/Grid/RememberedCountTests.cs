using System.Text.RegularExpressions;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Features.Reports;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AdminPortal.Tests.Grid;

/// <summary>
/// Alone, not beside other classes: a remembered count is forgotten when any context in the process saves a user,
/// mapping or site (that is the point of it), so another class's saves made these command counts 2 instead of 1.
/// </summary>
[CollectionDefinition(nameof(RememberedCountTests), DisableParallelization = true)]
public sealed class RememberedCountAlone;

/// <summary>
/// Page turns that reuse the capped count, the mappings' own tenant column, and the platform admin's audit plan: the
/// SQL each grid page runs, counted and read, on SQLite and PostgreSQL.
/// </summary>
[Collection(nameof(RememberedCountTests))]
public class RememberedCountTests
{
    private static async Task<(long Contoso, long Fabrikam)> CustomersAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        var ids = await context.Db.Customers.Where(c => c.Slug == "contoso" || c.Slug == "fabrikam").ToDictionaryAsync(c => c.Slug, c => c.Id);
        return (ids["contoso"], ids["fabrikam"]);
    }

    private static App.Auth.UserAccessService Access(TestDatabase database) => new(database.Services.GetRequiredService<IServiceScopeFactory>());

    [Theory, BothProviders]
    public async Task PageTurn_SameFilterAndTenant_IsOneCommand_AndAChangeANewFilterOrAge_CountsAgain(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, fabrikam) = await CustomersAsync(database);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var counter = new CommandCounter();
        await using var circuit = database.Scope(TenantScope.ForCustomer(contoso));
        var users = new UserService(counter.Wrap(circuit.ServiceProvider), clock);

        async Task<(GridPage<UserRow> Page, int Commands)> Read(UserFilter filter, PageRequest request)
        {
            counter.Reset();
            var page = await users.GetPageAsync(filter, request);
            return (page, counter.Commands.Count);
        }

        var all = new UserFilter();
        var (first, commands) = await Read(all, new PageRequest(Size: 3));
        Assert.Equal(2, commands);
        var (second, turn) = await Read(all, new PageRequest(PageRequestKind.After, first.Last, 3));
        Assert.Equal(1, turn);
        Assert.Equal(first.Total, second.Total);
        Assert.NotEqual(first.Rows[0].Id, second.Rows[0].Id);
        Assert.Equal(1, (await Read(all, new PageRequest(PageRequestKind.Before, second.First, 3))).Commands);
        Assert.Equal(1, (await Read(all, new PageRequest(PageRequestKind.Last, Size: 3))).Commands);
        // Another sort or direction matches the same rows: still one command.
        Assert.Equal(1, (await Read(all with { Sort = UserSort.Email, Descending = true }, new PageRequest(Size: 3))).Commands);

        // A new filter counts again, and counts right.
        var locked = new UserFilter(State: UserState.Locked);
        var (lockedPage, lockedCommands) = await Read(locked, new PageRequest(Size: 3));
        Assert.Equal(2, lockedCommands);
        int lockedBefore = lockedPage.Total.Value;
        Assert.Equal(1, (await Read(locked, new PageRequest(Size: 3))).Commands);

        // A change through the portal (a bulk lock, in another circuit) is counted on the next page turn.
        long target;
        await using (var other = database.Scope(TenantScope.ForCustomer(contoso)))
        {
            var factory = other.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
            await using (var db = await factory.CreateDbContextAsync())
            {
                target = await db.Users.Where(u => !u.IsLocked && u.PortalRole == null).OrderBy(u => u.Id).Select(u => u.Id).FirstAsync();
            }

            var bulk = new UserBulkService(factory, new UserService(factory, TimeProvider.System), Access(database), new UserSyncNotifier(), TimeProvider.System, new App.Features.Sessions.PortalSessionService(database.Services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System));
            var outcome = await bulk.RunAsync(BulkAction.Lock, new BulkTarget(new UserFilter(), [target.ToString()]));
            Assert.Equal(1, outcome.Done);
        }

        var (afterLock, afterLockCommands) = await Read(locked, new PageRequest(Size: 3));
        Assert.Equal(2, afterLockCommands);
        Assert.Equal(lockedBefore + 1, afterLock.Total.Value);
        Assert.Equal(1, (await Read(locked, new PageRequest(Size: 3))).Commands);

        // A change the portal did not see (another process) is counted once the remembered count is too old.
        await using (var connection = await circuit.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
        {
            await connection.Database.ExecuteSqlAsync($"UPDATE users SET is_locked = {false} WHERE id = {target}");
        }

        Assert.Equal(lockedBefore + 1, (await Read(locked, new PageRequest(Size: 3))).Page.Total.Value);
        clock.Advance(RememberedCount.MaxAge);
        var (aged, agedCommands) = await Read(locked, new PageRequest(Size: 3));
        Assert.Equal(2, agedCommands);
        Assert.Equal(lockedBefore, aged.Total.Value);

        // Another tenant in the same circuit (a platform admin's switch) never sees the first tenant's count.
        var contosoCount = (await Read(all, new PageRequest(Size: 3))).Page.Total;
        circuit.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.ForCustomer(fabrikam));
        var (fabrikamPage, fabrikamCommands) = await Read(all, new PageRequest(Size: 3));
        Assert.Equal(2, fabrikamCommands);
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            Assert.Equal(await system.Db.Users.CountAsync(u => u.CustomerId == fabrikam), fabrikamPage.Total.Value);
            Assert.Equal(await system.Db.Users.CountAsync(u => u.CustomerId == contoso), contosoCount.Value);
        }
    }

    [Theory, BothProviders]
    public async Task MappingCustomer_OtherThanItsUsers_IsRefused_AndTheGridsExistsReadsNoUsers(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, fabrikam) = await CustomersAsync(database);
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            // Every seeded mapping carries its user's customer.
            Assert.True(await system.Db.UserCiamMappings.AnyAsync());
            Assert.False(await system.Db.UserCiamMappings.AnyAsync(m => m.CustomerId != m.User!.CustomerId));
        }

        // Even the platform scope, which may write anywhere, cannot point a mapping at another customer than its user's.
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            long contosoUser = await system.Db.Users.Where(u => u.CustomerId == contoso).OrderBy(u => u.Id).Select(u => u.Id).FirstAsync();
            long platformProvider = await system.Db.CiamSystems.Where(c => c.CustomerId == null).Select(c => c.Id).FirstAsync();
            system.Db.UserCiamMappings.Add(new UserCiamMapping { UserId = contosoUser, CustomerId = fabrikam, CiamSystemId = platformProvider, ExternalSubject = "<script>alert(1)</script>" });
            await Assert.ThrowsAsync<CrossTenantWriteException>(() => system.Db.SaveChangesAsync());
        }

        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            var mapping = await system.Db.UserCiamMappings.FirstAsync(m => m.CustomerId == contoso);
            mapping.CustomerId = fabrikam;
            await Assert.ThrowsAsync<CrossTenantWriteException>(() => system.Db.SaveChangesAsync());
        }

        // The tenant's own admin links through the service: the mapping gets the user's customer, not one from the caller.
        await using (var admin = database.Scope(TenantScope.ForCustomer(contoso)))
        {
            var factory = admin.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
            var support = new UserSupportService(factory, Access(database), new UserSyncNotifier(), TimeProvider.System, new App.Features.Sessions.PortalSessionService(database.Services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System));
            await using var db = await factory.CreateDbContextAsync();
            long user = await db.Users.Where(u => !db.UserCiamMappings.Any(m => m.UserId == u.Id)).OrderBy(u => u.Id).Select(u => u.Id).FirstAsync();
            long provider2 = await db.CiamSystems.Where(c => c.CustomerId == contoso).Select(c => c.Id).FirstAsync();
            var result = await support.LinkIdentityAsync(user, provider2.ToString(), "linked-subject");
            Assert.True(result.Succeeded, string.Join("; ", result.Errors.Values));
            long fabrikamUser;
            await using (var system = await database.ContextAsync(TenantScope.System()))
            {
                Assert.Equal(contoso, await system.Db.UserCiamMappings.Where(m => m.ExternalSubject == "linked-subject").Select(m => m.CustomerId).SingleAsync());
                fabrikamUser = await system.Db.Users.Where(u => u.CustomerId == fabrikam).Select(u => u.Id).FirstAsync();
            }

            // Another tenant's user id, as a tampered request would send it: not found, nothing written.
            var tampered = await support.LinkIdentityAsync(fabrikamUser, provider2.ToString(), "tampered-subject");
            Assert.True(tampered.NotFound);
            await using var check = await database.ContextAsync(TenantScope.System());
            Assert.False(await check.Db.UserCiamMappings.AnyAsync(m => m.ExternalSubject == "tampered-subject"));
        }

        // The grid's "signs in with OIDC" EXISTS filters the mappings by their own customer: users is read once.
        var counter = new CommandCounter();
        await using var circuit = database.Scope(TenantScope.ForCustomer(contoso));
        var users = new UserService(counter.Wrap(circuit.ServiceProvider), TimeProvider.System);
        var page = await users.GetPageAsync(new UserFilter(AuthKind: AuthKind.Both), new PageRequest(Size: 25));
        Assert.NotEmpty(page.Rows);
        foreach (var (sql, _) in counter.Commands)
        {
            Assert.Contains("user_ciam_mappings", sql);
            Assert.True(Regex.Matches(sql, @"\b(FROM|JOIN)\s+""?users""?\s", RegexOptions.IgnoreCase).Count == 1, sql);
        }
    }

    /// <summary>The migration's backfill: down to the migration before it, and up again over the seeded mappings.</summary>
    [Theory, BothProviders]
    public async Task Migration_BackfillsEveryMappingsCustomerFromItsUser(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        int mappings;
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            mappings = await system.Db.UserCiamMappings.CountAsync();
            var all = system.Db.Database.GetMigrations().ToList();
            int at = all.FindIndex(m => m.EndsWith("_MappingCustomerIdAndAuditTimeIndex", StringComparison.Ordinal));
            var migrator = system.Db.GetService<IMigrator>();
            await migrator.MigrateAsync(all[at - 1]);
            await migrator.MigrateAsync(all[^1]);
        }

        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            Assert.Equal(mappings, await system.Db.UserCiamMappings.CountAsync(m => m.CustomerId == m.User!.CustomerId));
            Assert.True(mappings > 0);
        }
    }

    /// <summary>
    /// A platform admin's audit grid, newest first over every customer, on enough entries that the planner prefers an
    /// index: it reads the (at, id) index, never a sequential scan of the log and a sort.
    /// </summary>
    [Fact]
    public async Task PlatformAuditPage_OnPostgresWithManyEntries_UsesTheTimeIndexNotASeqScan()
    {
        await using var database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Postgres, seed: true);
        var (contoso, fabrikam) = await CustomersAsync(database);
        await using (var connection = new NpgsqlConnection(database.Options.ConnectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand(
                "INSERT INTO audit_log (id, at, actor, customer_id, entity_type, entity_id, action) " +
                "SELECT unique_rowid(), now() - (n * interval '1 second'), 'bench@test.example', CASE WHEN n % 3 = 0 THEN NULL WHEN n % 3 = 1 THEN @contoso ELSE @fabrikam END, 'User', n, 'updated' " +
                "FROM generate_series(1, 60000) AS n", connection);
            insert.Parameters.AddWithValue("contoso", contoso);
            insert.Parameters.AddWithValue("fabrikam", fabrikam);
            await insert.ExecuteNonQueryAsync();
            await new NpgsqlCommand("ANALYZE audit_log", connection).ExecuteNonQueryAsync();
        }

        var counter = new CommandCounter();
        await using var scope = database.Scope(TenantScope.System());
        var audit = new AuditService(counter.Wrap(scope.ServiceProvider));
        var first = await audit.GetPageAsync(new AuditFilter(), new PageRequest(Size: 25));
        var deeper = first;
        for (int i = 0; i < 3; i++)
        {
            deeper = await audit.GetPageAsync(new AuditFilter(), new PageRequest(PageRequestKind.After, deeper.Last, 25));
        }

        Assert.Equal(25, deeper.Rows.Count);
        counter.Reset();
        await audit.GetPageAsync(new AuditFilter(), new PageRequest(PageRequestKind.After, deeper.Last, 25));
        var (sql, parameters) = counter.Commands[0];
        string plan = await ExplainAsync(database.Options.ConnectionString!, sql, parameters);
        Assert.DoesNotContain("Seq Scan on audit_log", plan);
        Assert.Matches(@"Index (Only )?Scan( Backward)? using ix_audit_log_at_id on audit_log", plan);
    }

    private static async Task<string> ExplainAsync(string connectionString, string sql, List<(string Name, object? Value)> parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var explain = new NpgsqlCommand("EXPLAIN " + sql, connection);
        foreach (var (name, value) in parameters)
        {
            explain.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        var lines = new List<string>();
        await using var reader = await explain.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join("\n", lines);
    }
}
