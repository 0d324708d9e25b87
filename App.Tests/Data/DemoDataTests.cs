using AdminPortal.App.Data;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Data;

public class DemoDataTests
{
    [Theory, BothProviders]
    public async Task Seed_EmptyDatabase_FillsEveryTableWithTheDemoMix(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        await using var context = await database.ContextAsync(TenantScope.System());
        var db = context.Db;

        Assert.Equal(2, await db.Customers.CountAsync());
        Assert.Equal(3, await db.Sites.CountAsync());
        Assert.Equal(40, await db.Users.CountAsync());
        Assert.Equal(60, await db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).CountAsync());
        // One provider per customer, plus the platform-wide development sign-in that the demo personas use.
        Assert.Equal(2, await db.CiamSystems.CountAsync(c => c.CustomerId != null));
        Assert.Equal(1, await db.CiamSystems.CountAsync(c => c.CustomerId == null && c.Authority == App.Auth.DevIdentityProvider.Authority));
        foreach (var role in Enum.GetValues<PortalRole>())
        {
            Assert.True(await db.Users.AnyAsync(u => u.PortalRole == role), $"no demo persona with role {role}");
        }
        Assert.True(await db.UserCiamMappings.CountAsync() > 0);

        // Every auth kind × sync status combination is present.
        var users = await db.Users.Select(u => new
        {
            Legacy = u.PasswordHash != null || u.AzureObjectId != null,
            Oidc = db.UserCiamMappings.Any(m => m.UserId == u.Id),
            u.SyncStatus,
        }).ToListAsync();
        var combinations = users.Select(u => (Kind: u.Legacy && u.Oidc ? "both" : u.Oidc ? "oidc" : u.Legacy ? "legacy" : "none", u.SyncStatus)).Distinct().ToList();
        Assert.DoesNotContain(combinations, c => c.Kind == "none");
        foreach (var kind in new[] { "legacy", "oidc", "both" })
        {
            foreach (var status in Enum.GetValues<SyncStatus>())
            {
                Assert.Contains((kind, status), combinations);
            }
        }

        // Posts in every status, some of them in the Trash, which the SoftDelete filter hides.
        var trashed = await db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).Where(p => p.DeletedAt != null).CountAsync();
        Assert.InRange(trashed, 1, 59);
        Assert.Equal(60 - trashed, await db.Posts.CountAsync());
        Assert.Equal(Enum.GetValues<PostStatus>().Length, await db.Posts.Select(p => p.Status).Distinct().CountAsync());
    }

    [Theory, BothProviders]
    public async Task Seed_TwoInstancesAtOnceOnAnEmptyDatabase_OneSeeds_NeitherFails(DatabaseProvider provider)
    {
        // Two Development instances started together on a new database both find it empty and both seed: the second
        // used to fail start-up on the demo customers' unique slugs.
        await using var database = await TestDatabase.CreateMigratedAsync(provider);
        await using var a = await database.ContextAsync(TenantScope.System());
        await using var b = await database.ContextAsync(TenantScope.System());
        var now = DateTime.UtcNow;

        bool[] seeded = await Task.WhenAll(
            Task.Run(() => DemoData.SeedIfEmptyAsync(a.Db, now)),
            Task.Run(() => DemoData.SeedIfEmptyAsync(b.Db, now)));

        Assert.Equal(1, seeded.Count(s => s));
        await using var check = await database.ContextAsync(TenantScope.System());
        Assert.Equal(2, await check.Db.Customers.CountAsync());
        Assert.Equal(40, await check.Db.Users.CountAsync());
        Assert.Equal(60, await check.Db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).CountAsync());
    }

    [Theory, BothProviders]
    public async Task Seed_Twice_SeedsOnlyOnce(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        await using var scope = database.Scope(TenantScope.System());

        bool seededAgain = await scope.ServiceProvider.GetRequiredService<DatabaseCommands>().SeedAsync();

        Assert.False(seededAgain);
        await using var context = await database.ContextAsync(TenantScope.System());
        Assert.Equal(2, await context.Db.Customers.CountAsync());
        Assert.Equal(40, await context.Db.Users.CountAsync());
    }
}
