using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Users;

public class UserServiceTests
{
    private static UserService Service(AsyncServiceScope scope) =>
        new(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), TimeProvider.System);

    /// <summary>The demo data plus users that tie on every sort key, some never signed in.</summary>
    private static async Task<TestDatabase> CreateWithTiesAsync(DatabaseProvider provider)
    {
        var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        await using var context = await database.ContextAsync(TenantScope.System());
        var site = await context.Db.Sites.OrderBy(s => s.Name).FirstAsync();
        var tie = DateTime.UtcNow.AddDays(-3);
        for (int i = 0; i < 12; i++)
        {
            context.Db.Users.Add(new User
            {
                CustomerId = site.CustomerId, SiteId = site.Id, Email = $"tie{i}@tie.example", DisplayName = "Same Name",
                LoginCount = 5, LastLoginAt = i % 3 == 0 ? null : tie, CreatedAt = tie, PasswordHash = "x",
            });
        }

        await context.Db.SaveChangesAsync();
        return database;
    }

    public static TheoryData<DatabaseProvider, UserSort, bool> SortCases()
    {
        var data = new TheoryData<DatabaseProvider, UserSort, bool>();
        foreach (var provider in new[] { DatabaseProvider.Sqlite, DatabaseProvider.Postgres })
        {
            foreach (var sort in Enum.GetValues<UserSort>())
            {
                data.Add(provider, sort, false);
                data.Add(provider, sort, true);
            }
        }

        return data;
    }

    [Theory, MemberData(nameof(SortCases))]
    public async Task Paging_ForwardAndBackWithTies_VisitsEveryRowOnceInOrder(DatabaseProvider provider, UserSort sort, bool descending)
    {
        await using var database = await CreateWithTiesAsync(provider);
        await using var scope = database.Scope(TenantScope.System());
        var service = Service(scope);
        var filter = new UserFilter(Sort: sort, Descending: descending);
        var all = (await service.GetPageAsync(filter, new PageRequest(Size: UserService.MaxPageSize))).Rows.Select(r => r.Id).ToList();
        Assert.Equal(52, all.Count);

        var forward = new List<string>();
        var page = await service.GetPageAsync(filter, new PageRequest(PageRequestKind.First, Size: 7));
        Assert.False(page.HasPrevious);
        while (true)
        {
            forward.AddRange(page.Rows.Select(r => r.Id));
            if (!page.HasNext)
            {
                break;
            }

            page = await service.GetPageAsync(filter, new PageRequest(PageRequestKind.After, page.Last, 7));
        }

        var backward = new List<string>();
        page = await service.GetPageAsync(filter, new PageRequest(PageRequestKind.Last, Size: 7));
        Assert.False(page.HasNext);
        while (true)
        {
            backward.InsertRange(0, page.Rows.Select(r => r.Id));
            if (!page.HasPrevious)
            {
                break;
            }

            page = await service.GetPageAsync(filter, new PageRequest(PageRequestKind.Before, page.First, 7));
        }

        Assert.Equal(all, forward);
        Assert.Equal(all, backward);
        Assert.Equal(52, page.Total.Value);
    }

    [Theory, BothProviders]
    public async Task Filters_EachOne_ReturnsExactlyTheMatchingUsers(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        await using var scope = database.Scope(TenantScope.System());
        var service = Service(scope);
        List<(User User, bool Oidc)> users;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var mapped = await context.Db.UserCiamMappings.Select(m => m.UserId).Distinct().ToListAsync();
            users = (await context.Db.Users.AsNoTracking().ToListAsync()).Select(u => (u, mapped.Contains(u.Id))).ToList();
        }

        async Task AssertFilter(UserFilter filter, Func<User, bool, bool> expected)
        {
            var ids = (await service.GetPageAsync(filter, new PageRequest(Size: UserService.MaxPageSize))).Rows.Select(r => r.Id).Order().ToList();
            var want = users.Where(u => expected(u.User, u.Oidc)).Select(u => u.User.Id.ToString()).Order().ToList();
            Assert.NotEmpty(want);
            Assert.Equal(want, ids);
        }

        var sample = users[5].User;
        static bool Legacy(User u) => u.PasswordHash != null || u.AzureObjectId != null;
        await AssertFilter(new UserFilter(Search: sample.Email[..5].ToUpperInvariant()), (u, _) => u.Email.StartsWith(sample.Email[..5]) || u.DisplayName.StartsWith(sample.Email[..5].ToUpperInvariant()));
        await AssertFilter(new UserFilter(Search: sample.DisplayName[..3]), (u, _) => u.DisplayName.StartsWith(sample.DisplayName[..3]) || u.Email.StartsWith(sample.DisplayName[..3].ToLowerInvariant()));
        await AssertFilter(new UserFilter(SiteId: sample.SiteId), (u, _) => u.SiteId == sample.SiteId);
        await AssertFilter(new UserFilter(SyncStatus: SyncStatus.Failed), (u, _) => u.SyncStatus == SyncStatus.Failed);
        await AssertFilter(new UserFilter(State: UserState.Locked), (u, _) => u.IsLocked);
        await AssertFilter(new UserFilter(State: UserState.Inactive), (u, _) => !u.IsActive);
        await AssertFilter(new UserFilter(State: UserState.Active), (u, _) => u.IsActive && !u.IsLocked);
        await AssertFilter(new UserFilter(DormantDays: 30), (u, _) => u.LastLoginAt == null || u.LastLoginAt < DateTime.UtcNow.AddDays(-30));
        await AssertFilter(new UserFilter(AuthKind: AuthKind.LegacyOnly), (u, oidc) => Legacy(u) && !oidc);
        await AssertFilter(new UserFilter(AuthKind: AuthKind.Oidc), (u, oidc) => !Legacy(u) && oidc);
        await AssertFilter(new UserFilter(AuthKind: AuthKind.Both), (u, oidc) => Legacy(u) && oidc);
        await AssertFilter(new UserFilter(SyncStatus: SyncStatus.Pending, AuthKind: AuthKind.Both), (u, oidc) => u.SyncStatus == SyncStatus.Pending && Legacy(u) && oidc);
    }

    [Theory, BothProviders]
    public async Task Migration_PerSite_CountsEachSignInKindAsTheGridFiltersDo(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        await using var scope = database.Scope(TenantScope.System());
        var service = Service(scope);

        var buckets = await service.GetMigrationAsync();

        Assert.Equal(3, buckets.Count);
        Assert.Equal(40, buckets.Sum(b => b.Total));
        foreach (var bucket in buckets)
        {
            long site = long.Parse(bucket.SiteId);
            foreach (var (kind, count) in new[] { (AuthKind.LegacyOnly, bucket.LegacyOnly), (AuthKind.Both, bucket.Both), (AuthKind.Oidc, bucket.OidcOnly) })
            {
                var page = await service.GetPageAsync(new UserFilter(SiteId: site, AuthKind: kind), new PageRequest(Size: UserService.MaxPageSize));
                Assert.Equal(count, page.Total.Value);
            }
        }
    }

    [Theory, BothProviders]
    public async Task Generator_ManyUsers_LandsInTheGridWithEveryStatus(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        await using (var generate = database.Scope(TenantScope.System()))
        {
            var output = new StringWriter();
            await generate.ServiceProvider.GetRequiredService<UserDataGenerator>().GenerateAsync(2_500, output);
            Assert.Contains("Generated 2,500 users", output.ToString());
        }

        await using var scope = database.Scope(TenantScope.System());
        var page = await Service(scope).GetPageAsync(new UserFilter(Search: "Generated User"), new PageRequest(PageRequestKind.Last, Size: 10));
        Assert.Equal(2_500, page.Total.Value);
        Assert.Equal("Generated User 0002499", page.Rows[^1].DisplayName);
        foreach (var status in Enum.GetValues<SyncStatus>())
        {
            Assert.True((await Service(scope).GetPageAsync(new UserFilter(Search: "Generated", SyncStatus: status), new PageRequest(Size: 1))).Total.Value > 800);
        }
    }

    [Theory, BothProviders]
    public async Task CsvExport_Filter_WritesEveryMatchingUserQuotedAndNoSecret(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso;
        List<User> expected;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            contoso = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
            var user = await context.Db.Users.FirstAsync(u => u.CustomerId == contoso && u.SyncStatus == SyncStatus.Failed);
            user.DisplayName = "O'Brien, \"Quoted\"\nName"; // commas, quotes and a line break must survive
            await context.Db.SaveChangesAsync();
            expected = await context.Db.Users.AsNoTracking().Where(u => u.CustomerId == contoso && u.SyncStatus == SyncStatus.Failed).OrderBy(u => u.Id).ToListAsync();
        }

        await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var output = new MemoryStream();
        int written = await UserExport.WriteAsync(db, Service(scope), new UserFilter(SyncStatus: SyncStatus.Failed), output, CancellationToken.None);

        output.Position = 0;
        using var reader = new StreamReader(output);
        string text = await reader.ReadToEndAsync();
        Assert.Equal(expected.Count, written);
        Assert.StartsWith("id,display_name,email,site,auth_kind,has_password", text);
        Assert.Contains("\"O'Brien, \"\"Quoted\"\"\nName\"", text);
        foreach (var user in expected)
        {
            Assert.Contains($"{user.Id},", text);
            Assert.Contains(user.Email, text);
            if (user.PasswordHash is not null)
            {
                Assert.DoesNotContain(user.PasswordHash, text);
            }
        }

        Assert.DoesNotContain("@fabrikam.example", text);
    }

    [Fact]
    public void Cursor_RoundTripsAndIgnoresGarbage()
    {
        var cursor = new PageCursor("Zoë | O'Brien", long.MaxValue - 7);
        Assert.Equal(cursor, PageCursor.Decode(cursor.Encode()));
        Assert.Equal(new PageCursor(null, 42), PageCursor.Decode(new PageCursor(null, 42).Encode()));
        Assert.Null(PageCursor.Decode("%%%not-base64"));
        Assert.Null(PageCursor.Decode("bm9waXBl"));
    }
}
