using AdminPortal.App.Data;
using AdminPortal.App.Features.Customers;
using AdminPortal.App.Features.Sites;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Grid;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Features.Users;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Grid;

/// <summary>
/// The users grid's unfiltered view reads through compiled queries (<see cref="CompiledPages{TContext, T, TShape, TRow}"/>).
/// They must page exactly as the LINQ pager does, keep to the tenant's query filter, and hold up against tampered cursors.
/// The LINQ path is reached with a search of spaces, which <see cref="UserService.Filter"/> ignores: the same rows.
/// </summary>
public class CompiledPagesTests
{
    private const int Size = GridPage.DefaultSize;

    private sealed record Seeded(long CustomerA, long SiteA1, long CustomerB, HashSet<string> UsersOfA, HashSet<string> UsersOfA1, List<(string Name, long Id)> UsersOfB);

    /// <summary>
    /// Two customers whose users interleave alphabetically: A with 70 users over two sites (ties on every sort key,
    /// a third never signed in), B with 30. Three pages of A's, so every cursor kind is read.
    /// </summary>
    private static async Task<Seeded> SeedAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        var db = context.Db;
        var a = new Customer { Id = TimeOrderedId.Next(), Name = "Compiled A", Slug = "compiled-a", CreatedAt = DateTime.UtcNow };
        var b = new Customer { Id = TimeOrderedId.Next(), Name = "Compiled B", Slug = "compiled-b", CreatedAt = DateTime.UtcNow };
        db.Customers.AddRange(a, b);
        var a1 = new Site { Id = TimeOrderedId.Next(), CustomerId = a.Id, Name = "A one", Domain = "one.compiled-a.example", CreatedAt = DateTime.UtcNow };
        var a2 = new Site { Id = TimeOrderedId.Next(), CustomerId = a.Id, Name = "A two", Domain = "two.compiled-a.example", CreatedAt = DateTime.UtcNow };
        var b1 = new Site { Id = TimeOrderedId.Next(), CustomerId = b.Id, Name = "B one", Domain = "one.compiled-b.example", CreatedAt = DateTime.UtcNow };
        db.Sites.AddRange(a1, a2, b1);
        var tie = DateTime.UtcNow.AddDays(-2);
        for (int i = 0; i < 100; i++)
        {
            bool ofA = i % 10 < 7;
            var site = ofA ? (i % 2 == 0 ? a1 : a2) : b1;
            db.Users.Add(new User
            {
                CustomerId = site.CustomerId, SiteId = site.Id, Email = $"u{i:D3}@compiled.example",
                DisplayName = i % 4 == 0 ? "Same Name" : $"Person {i % 37:D2}",
                LoginCount = i % 5, LastLoginAt = i % 3 == 0 ? null : tie.AddHours(-(i % 6)), CreatedAt = tie.AddMinutes(-(i % 8)), PasswordHash = "x",
            });
        }

        await db.SaveChangesAsync();
        var users = await db.Users.AsNoTracking().Where(u => u.CustomerId == a.Id || u.CustomerId == b.Id)
            .Select(u => new { u.Id, u.CustomerId, u.SiteId, u.DisplayName }).ToListAsync();
        return new Seeded(a.Id, a1.Id, b.Id,
            users.Where(u => u.CustomerId == a.Id).Select(u => u.Id.ToString()).ToHashSet(),
            users.Where(u => u.SiteId == a1.Id).Select(u => u.Id.ToString()).ToHashSet(),
            users.Where(u => u.CustomerId == b.Id).Select(u => (u.DisplayName, u.Id)).ToList());
    }

    private static UserService Users(IServiceProvider services) =>
        new(services.GetRequiredService<IDbContextFactory<PortalDbContext>>(), TimeProvider.System);

    [Theory, MemberData(nameof(UserServiceTests.SortCases), MemberType = typeof(UserServiceTests))]
    public async Task UnfilteredView_EverySortDirectionAndCursor_PagesAsTheLinqPagerDoes(DatabaseProvider provider, UserSort sort, bool descending)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider);
        var seeded = await SeedAsync(database);
        await using var scope = database.Scope(TenantScope.ForCustomer(seeded.CustomerA));
        var users = Users(scope.ServiceProvider);
        var compiled = new UserFilter(Sort: sort, Descending: descending);
        var linq = compiled with { Search = "   " };
        Assert.True(UserService.IsUnfiltered(compiled));
        Assert.False(UserService.IsUnfiltered(linq));

        async Task<GridPage<UserRow>> BothAsync(PageRequest request)
        {
            var fast = await users.GetPageAsync(compiled, request);
            var slow = await users.GetPageAsync(linq, request);
            Assert.Equal(slow.Rows.Select(r => r.Id), fast.Rows.Select(r => r.Id));
            Assert.Equal(slow.Rows, fast.Rows); // every column, the EXISTS and the join included
            Assert.Equal((slow.First, slow.Last, slow.HasPrevious, slow.HasNext), (fast.First, fast.Last, fast.HasPrevious, fast.HasNext));
            Assert.Equal(70, fast.Total.Value);
            return fast;
        }

        var forward = new List<string>();
        var page = await BothAsync(new PageRequest(PageRequestKind.First));
        while (true)
        {
            Assert.Equal(forward.Count == 0 ? 25 : forward.Count == 25 ? 25 : 20, page.Rows.Count);
            forward.AddRange(page.Rows.Select(r => r.Id));
            if (!page.HasNext)
            {
                break;
            }

            page = await BothAsync(new PageRequest(PageRequestKind.After, page.Last));
        }

        var backward = new List<string>();
        page = await BothAsync(new PageRequest(PageRequestKind.Last));
        while (true)
        {
            backward.InsertRange(0, page.Rows.Select(r => r.Id));
            if (!page.HasPrevious)
            {
                break;
            }

            page = await BothAsync(new PageRequest(PageRequestKind.Before, page.First));
        }

        Assert.Equal(forward, backward);
        Assert.Equal(70, forward.Distinct().Count());
        Assert.True(seeded.UsersOfA.SetEquals(forward));
        Assert.True(UserService.CompiledPageQueries > 0);
    }

    /// <summary>
    /// The compiled root repeats the customer for the index; the model's Tenant filter still guards it: a site-bound
    /// admin sees the site's users only, a cursor made from another tenant's row reads this tenant's rows, and hostile
    /// or oversized keys are parameters or the first page. Each page is at most two commands.
    /// </summary>
    [Theory, BothProviders]
    public async Task UnfilteredView_SiteScopeForeignAndHostileCursors_StayInTheTenant(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider);
        var seeded = await SeedAsync(database);
        var counter = new CommandCounter();

        await using (var siteScope = database.Scope(TenantScope.ForCustomer(seeded.CustomerA, siteId: seeded.SiteA1)))
        {
            var users = new UserService(counter.Wrap(siteScope.ServiceProvider), TimeProvider.System);
            var seen = new List<string>();
            var page = await users.GetPageAsync(new UserFilter(), new PageRequest());
            while (true)
            {
                seen.AddRange(page.Rows.Select(r => r.Id));
                if (!page.HasNext)
                {
                    break;
                }

                counter.Reset();
                page = await users.GetPageAsync(new UserFilter(), new PageRequest(PageRequestKind.After, page.Last));
                Assert.True(counter.Commands.Count <= 2, $"{counter.Commands.Count} commands");
            }

            Assert.Equal(seeded.UsersOfA1.Count, page.Total.Value);
            Assert.True(seeded.UsersOfA1.SetEquals(seen), "the site-bound admin saw another site's users");
        }

        await using var scope = database.Scope(TenantScope.ForCustomer(seeded.CustomerA));
        var customerUsers = new UserService(counter.Wrap(scope.ServiceProvider), TimeProvider.System);
        counter.Reset();
        var first = await customerUsers.GetPageAsync(new UserFilter(), new PageRequest());
        // PostgreSQL's LIMIT is a literal, as the LINQ pager writes it there (LiteralLimit); SQLite's a parameter.
        string limit = System.Text.RegularExpressions.Regex.Match(counter.Commands[0].Sql, @"LIMIT (\S+)").Groups[1].Value;
        Assert.Equal(provider == DatabaseProvider.Postgres ? "26" : "@", provider == DatabaseProvider.Postgres ? limit : limit[..1]);
        foreach (var (name, id) in seeded.UsersOfB.Take(5))
        {
            foreach (var kind in new[] { PageRequestKind.After, PageRequestKind.Before })
            {
                var page = await customerUsers.GetPageAsync(new UserFilter(), new PageRequest(kind, new PageCursor(name, id)));
                Assert.All(page.Rows, row => Assert.Contains(row.Id, seeded.UsersOfA));
            }
        }

        string[] hostile = ["Robert'); DROP TABLE users;--", "<script>alert(1)</script>", "\u202Eevil\u0001", new string('x', PageCursor.MaxTextKeyLength + 1)];
        foreach (string key in hostile)
        {
            foreach (var sort in Enum.GetValues<UserSort>())
            {
                counter.Reset();
                var page = await customerUsers.GetPageAsync(new UserFilter(Sort: sort), new PageRequest(PageRequestKind.After, new PageCursor(key, long.MaxValue)));
                Assert.True(counter.Commands.Count <= 2);
                Assert.All(counter.Commands, command => Assert.DoesNotContain("DROP TABLE", command.Sql));
                Assert.All(page.Rows, row => Assert.Contains(row.Id, seeded.UsersOfA));
            }
        }

        // A key too long for any sort does not fit: the first page, as the LINQ pager gives it.
        var tooLong = await customerUsers.GetPageAsync(new UserFilter(), new PageRequest(PageRequestKind.After, new PageCursor(hostile[^1], 1)));
        Assert.Equal(first.Rows.Select(r => r.Id), tooLong.Rows.Select(r => r.Id));

        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            Assert.Equal(100, await context.Db.Users.CountAsync(u => u.CustomerId == seeded.CustomerA || u.CustomerId == seeded.CustomerB));
        }
    }

    /// <summary>Other page sizes read through the LINQ pager, so a tampered size cannot grow the compiled cache.</summary>
    [Fact]
    public void Serves_TheDefaultSizeOnly()
    {
        Assert.True(CompiledPages<PortalDbContext, User, UserService.UserShape, UserRow>.Serves(new PageRequest()));
        foreach (int size in new[] { 0, 1, 24, 26, 200, int.MaxValue, -1 })
        {
            Assert.False(CompiledPages<PortalDbContext, User, UserService.UserShape, UserRow>.Serves(new PageRequest(Size: size)));
        }
    }
}
