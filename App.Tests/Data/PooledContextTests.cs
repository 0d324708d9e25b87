using System.Linq.Expressions;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Grid;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Grid;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Data;

/// <summary>
/// The contexts come from a pool (one per process): a context that one circuit used is handed to the next circuit
/// that asks. It must carry nothing of the first: not its tenant, not its audit settings.
/// </summary>
public class PooledContextTests
{
    private static async Task<(long Contoso, long Fabrikam)> CustomerIdsAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        var ids = await context.Db.Customers.ToDictionaryAsync(c => c.Slug, c => c.Id);
        return (ids["contoso"], ids["fabrikam"]);
    }

    private static IDbContextFactory<PortalDbContext> Factory(AsyncServiceScope scope) => scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();

    /// <summary>The pool itself, as any code that skipped the tenant-binding factory would reach it.</summary>
    private static async Task<PortalDbContext> FromThePoolAsync(TestDatabase database) => database.Provider == DatabaseProvider.Sqlite
        ? await database.Services.GetRequiredService<IDbContextFactory<SqlitePortalDbContext>>().CreateDbContextAsync()
        : await database.Services.GetRequiredService<IDbContextFactory<PostgresPortalDbContext>>().CreateDbContextAsync();

    [Theory, BothProviders]
    public async Task PooledContext_LeasedByAnotherTenant_IsReused_AndSeesOnlyThatTenantsRows(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, fabrikam) = await CustomerIdsAsync(database);

        PortalDbContext first;
        await using (var scope = database.Scope(TenantScope.ForCustomer(contoso)))
        {
            first = await Factory(scope).CreateDbContextAsync();
            Assert.Equal([contoso], await first.Users.Select(u => u.CustomerId).Distinct().ToListAsync());
            first.WriteAuditEntries = false; // as bulk seeding does: it must not outlive this lease
            await first.Database.OpenConnectionAsync(); // and left open, as the bulk user generator does
            await first.DisposeAsync();
        }

        await using (var scope = database.Scope(TenantScope.ForCustomer(fabrikam)))
        {
            // The pool is first in, first out: hold what it hands out until it hands out the first tenant's context.
            await using var second = await LeaseUntilAsync(() => Factory(scope).CreateDbContextAsync(), first);

            Assert.Same(first, second.Context);
            var db = second.Context;
            Assert.Equal(System.Data.ConnectionState.Closed, db.Database.GetDbConnection().State);
            Assert.Equal(fabrikam, db.Tenant.CustomerId);
            Assert.True(db.WriteAuditEntries);
            Assert.Equal([fabrikam], await db.Customers.Select(c => c.Id).ToListAsync());
            Assert.Equal([fabrikam], await db.Users.Select(u => u.CustomerId).Distinct().ToListAsync());
            Assert.Equal([fabrikam], await db.TenantUsers.Select(u => u.CustomerId).Distinct().ToListAsync());
            Assert.All(await db.UserCiamMappings.ToListAsync(), m => Assert.Equal(fabrikam, m.CustomerId));
        }

        // Returned to the pool, the context forgot its tenant: straight from the pool it sees nothing.
        await using var unbound = await LeaseUntilAsync(() => FromThePoolAsync(database), first);
        Assert.Equal(TenantScope.None, unbound.Context.Tenant);
        Assert.Empty(await unbound.Context.Users.ToListAsync());
        Assert.Empty(await unbound.Context.Customers.ToListAsync());
    }

    [Theory, BothProviders]
    public async Task PooledContext_ATransactionAbandonedByOneLease_IsNotPublishedByTheNext(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, fabrikam) = await CustomerIdsAsync(database);
        var published = new System.Collections.Concurrent.ConcurrentQueue<Change>();
        using var subscription = database.Services.GetRequiredService<IChangeFeed>().Subscribe(published.Enqueue);

        PortalDbContext first;
        long abandoned;
        await using (var scope = database.Scope(TenantScope.ForCustomer(contoso)))
        {
            first = await Factory(scope).CreateDbContextAsync();
            var post = await first.Posts.OrderBy(p => p.Id).FirstAsync();
            abandoned = post.Id;
            await first.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
            {
                var transaction = await first.Database.BeginTransactionAsync();
                post.Title += " (never committed)";
                await first.SaveChangesAsync();
                await transaction.DisposeAsync(); // neither committed nor rolled back: an exception's path
            });
            await first.DisposeAsync();
        }

        long saved;
        await using (var scope = database.Scope(TenantScope.ForCustomer(fabrikam)))
        {
            await using var second = await LeaseUntilAsync(() => Factory(scope).CreateDbContextAsync(), first);
            var db = second.Context;
            var post = await db.Posts.OrderBy(p => p.Id).FirstAsync();
            saved = post.Id;
            await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
            {
                await using var transaction = await db.Database.BeginTransactionAsync();
                post.Title += " (committed)";
                await db.SaveChangesAsync();
                await transaction.CommitAsync();
            });
        }

        var posts = published.Where(c => c.Topic == ChangeTopic.Posts).SelectMany(c => c.Ids).ToList();
        Assert.Contains(saved, posts);
        Assert.DoesNotContain(abandoned, posts);
        await using var check = await database.ContextAsync(TenantScope.System());
        Assert.DoesNotContain("never committed", await check.Db.Posts.Where(p => p.Id == abandoned).Select(p => p.Title).SingleAsync());
    }

    private static async Task<Leases> LeaseUntilAsync(Func<Task<PortalDbContext>> lease, PortalDbContext wanted)
    {
        var leases = new Leases();
        for (int i = 0; i < 50; i++)
        {
            var db = await lease();
            leases.Held.Add(db);
            if (ReferenceEquals(db, wanted))
            {
                return leases;
            }
        }

        await leases.DisposeAsync();
        throw new InvalidOperationException("The pool never handed the context back out: it is not pooled.");
    }

    private sealed class Leases : IAsyncDisposable
    {
        public List<PortalDbContext> Held { get; } = [];

        public PortalDbContext Context => Held[^1];

        public async ValueTask DisposeAsync()
        {
            foreach (var db in Held)
            {
                await db.DisposeAsync();
            }
        }
    }

    [Theory, BothProviders]
    public async Task UsersGrid_TwoCircuitsTakingTurns_EachSeesOnlyItsOwnTenant(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, fabrikam) = await CustomerIdsAsync(database);
        Dictionary<long, long> customerOf;
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            customerOf = await system.Db.Users.ToDictionaryAsync(u => u.Id, u => u.CustomerId);
        }

        await using var contosoCircuit = database.Scope(TenantScope.ForCustomer(contoso));
        await using var fabrikamCircuit = database.Scope(TenantScope.ForCustomer(fabrikam));
        var contosoUsers = new UserService(Factory(contosoCircuit), TimeProvider.System);
        var fabrikamUsers = new UserService(Factory(fabrikamCircuit), TimeProvider.System);
        foreach (var sort in Enum.GetValues<UserSort>())
        {
            foreach (var (users, customer) in new[] { (contosoUsers, contoso), (fabrikamUsers, fabrikam), (contosoUsers, contoso) })
            {
                var page = await users.GetPageAsync(new UserFilter(Sort: sort), new PageRequest(Size: 5));
                Assert.NotEmpty(page.Rows);
                Assert.All(page.Rows, row => Assert.Equal(customer, customerOf[long.Parse(row.Id)]));
                Assert.Equal(customerOf.Count(c => c.Value == customer), page.Total.Value);
            }
        }
    }

    [Fact]
    public void UsersGridShape_IsOneStaticTree_ThatHoldsNoContext()
    {
        // The projection used to capture the call's context, so each call built its tree again; a constant in it (a
        // captured context or closure) would bring that back.
        var constants = new List<ConstantExpression>();
        new ConstantFinder(constants).Visit(UserService.Shape);

        Assert.Empty(constants);
        Assert.Same(UserService.Shape, UserService.Shape);
    }

    [Theory, BothProviders]
    public async Task UsersGridPage_Sql_JoinsOnlyTheSite_AndAsksForMappingsOnce(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, _) = await CustomerIdsAsync(database);
        var counter = new CommandCounter();
        await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
        var users = new UserService(counter.Wrap(scope.ServiceProvider), TimeProvider.System);

        var page = await users.GetRowsAsync(new UserFilter(), new PageRequest(Size: 5));

        Assert.NotEmpty(page.Rows);
        string sql = Assert.Single(counter.Commands).Sql;
        Assert.Equal(1, Occurrences(sql, " JOIN "));
        Assert.Equal(1, Occurrences(sql, "EXISTS"));
        Assert.Contains("user_ciam_mappings", sql);
    }

    private static int Occurrences(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.OrdinalIgnoreCase).Length) / part.Length;

    private sealed class ConstantFinder(List<ConstantExpression> found) : ExpressionVisitor
    {
        protected override Expression VisitConstant(ConstantExpression node)
        {
            if (node.Value is not null)
            {
                found.Add(node); // a captured object; the nulls of "x != null" are part of the shape
            }

            return node;
        }
    }
}
