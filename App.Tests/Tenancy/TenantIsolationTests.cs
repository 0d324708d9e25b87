using System.Security.Claims;
using AdminPortal.App.Data;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.Tests.Tenancy;

/// <summary>The Tenant and SoftDelete filters, and the save-time guard, against real databases.</summary>
public class TenantIsolationTests
{
    private static async Task<(long Contoso, long Fabrikam)> CustomerIdsAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        var ids = await context.Db.Customers.ToDictionaryAsync(c => c.Slug, c => c.Id);
        return (ids["contoso"], ids["fabrikam"]);
    }

    [Theory, BothProviders]
    public async Task Query_CustomerScope_SeesOnlyItsOwnRowsInEveryTable(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, _) = await CustomerIdsAsync(database);
        await using var system = await database.ContextAsync(TenantScope.System());
        var contosoSites = await system.Db.Sites.Where(s => s.CustomerId == contoso).Select(s => s.Id).ToListAsync();

        await using var context = await database.ContextAsync(TenantScope.ForCustomer(contoso));
        var db = context.Db;

        Assert.Equal([contoso], await db.Customers.Select(c => c.Id).ToListAsync());
        Assert.All(await db.Sites.ToListAsync(), s => Assert.Equal(contoso, s.CustomerId));
        var users = await db.Users.ToListAsync();
        Assert.NotEmpty(users);
        Assert.All(users, u => Assert.Equal(contoso, u.CustomerId));
        var posts = await db.Posts.ToListAsync();
        Assert.NotEmpty(posts);
        Assert.All(posts, p => Assert.Contains(p.SiteId, contosoSites));
        Assert.All(await db.CiamSystems.ToListAsync(), c => Assert.True(c.CustomerId is null || c.CustomerId == contoso));
        var mappings = await db.UserCiamMappings.Include(m => m.User).ToListAsync();
        Assert.NotEmpty(mappings);
        Assert.All(mappings, m => Assert.Equal(contoso, m.User!.CustomerId));
        Assert.All(await db.AuditLog.ToListAsync(), a => Assert.Equal(contoso, a.CustomerId));

        // The other tenant's rows are really there: the filter, not the data, hides them.
        Assert.True(await system.Db.Users.CountAsync() > users.Count);
    }

    [Theory, BothProviders]
    public async Task Query_EditorScope_SeesOnlyItsSitePosts(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, _) = await CustomerIdsAsync(database);
        await using var system = await database.ContextAsync(TenantScope.System());
        long site = await system.Db.Sites.Where(s => s.CustomerId == contoso).OrderBy(s => s.Name).Select(s => s.Id).FirstAsync();

        await using var context = await database.ContextAsync(TenantScope.ForCustomer(contoso, role: PortalRoles.Editor, siteId: site));

        var posts = await context.Db.Posts.ToListAsync();
        Assert.NotEmpty(posts);
        Assert.All(posts, p => Assert.Equal(site, p.SiteId));
    }

    [Theory, BothProviders]
    public async Task Query_UnresolvedScope_SeesNothing(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);

        await using var context = await database.ContextAsync(TenantScope.None);

        Assert.Empty(await context.Db.Customers.ToListAsync());
        Assert.Empty(await context.Db.Users.ToListAsync());
        Assert.Empty(await context.Db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).ToListAsync());
        Assert.Empty(await context.Db.CiamSystems.ToListAsync());
        Assert.Empty(await context.Db.UserCiamMappings.ToListAsync());
        Assert.Empty(await context.Db.AuditLog.ToListAsync());
    }

    [Theory, BothProviders]
    public async Task Trash_IgnoringOnlySoftDelete_ShowsDeletedPostsOfTheOwnTenantOnly(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, fabrikam) = await CustomerIdsAsync(database);

        await using var context = await database.ContextAsync(TenantScope.ForCustomer(fabrikam));
        var trash = await context.Db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).Where(p => p.DeletedAt != null).Include(p => p.Site).ToListAsync();

        Assert.NotEmpty(trash);
        Assert.All(trash, p => Assert.Equal(fabrikam, p.Site!.CustomerId));
        Assert.Empty(await context.Db.Posts.Where(p => p.DeletedAt != null).ToListAsync());
    }

    [Theory, BothProviders]
    public async Task Save_UpdateOfAnotherTenantsUser_IsRefusedAndNothingLands(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, fabrikam) = await CustomerIdsAsync(database);
        await using var system = await database.ContextAsync(TenantScope.System());
        var foreignUser = await system.Db.Users.AsNoTracking().FirstAsync(u => u.CustomerId == fabrikam);

        await using (var context = await database.ContextAsync(TenantScope.ForCustomer(contoso)))
        {
            // Attaching bypasses the read filter; the save guard must still refuse it.
            context.Db.Users.Attach(foreignUser);
            foreignUser.DisplayName = "Hijacked";
            await Assert.ThrowsAsync<CrossTenantWriteException>(() => context.Db.SaveChangesAsync());
        }

        Assert.NotEqual("Hijacked", await system.Db.Users.AsNoTracking().Where(u => u.Id == foreignUser.Id).Select(u => u.DisplayName).SingleAsync());
        Assert.Equal(0, await system.Db.AuditLog.CountAsync(a => a.EntityId == foreignUser.Id && a.Action == "updated"));
    }

    [Theory, BothProviders]
    public async Task Save_MovingOwnUserToAnotherTenant_IsRefused(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, fabrikam) = await CustomerIdsAsync(database);

        await using var context = await database.ContextAsync(TenantScope.ForCustomer(contoso));
        var user = await context.Db.Users.FirstAsync();
        user.CustomerId = fabrikam;

        await Assert.ThrowsAsync<CrossTenantWriteException>(() => context.Db.SaveChangesAsync());
        await using var system = await database.ContextAsync(TenantScope.System());
        Assert.Equal(contoso, await system.Db.Users.Where(u => u.Id == user.Id).Select(u => u.CustomerId).SingleAsync());
    }

    [Theory, BothProviders]
    public async Task Save_PostOrMappingUnderAnotherTenantsSiteOrUser_IsRefused(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, fabrikam) = await CustomerIdsAsync(database);
        await using var system = await database.ContextAsync(TenantScope.System());
        long foreignSite = await system.Db.Sites.Where(s => s.CustomerId == fabrikam).Select(s => s.Id).FirstAsync();
        long foreignUser = await system.Db.Users.Where(u => u.CustomerId == fabrikam).Select(u => u.Id).FirstAsync();
        long ownProvider = await system.Db.CiamSystems.Where(c => c.CustomerId == contoso).Select(c => c.Id).FirstAsync();
        int postsBefore = await system.Db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).CountAsync();
        int mappingsBefore = await system.Db.UserCiamMappings.CountAsync();

        await using (var context = await database.ContextAsync(TenantScope.ForCustomer(contoso)))
        {
            context.Db.Posts.Add(new Post { SiteId = foreignSite, Title = "Planted", Slug = "planted" });
            await Assert.ThrowsAsync<CrossTenantWriteException>(() => context.Db.SaveChangesAsync());
        }

        await using (var context = await database.ContextAsync(TenantScope.ForCustomer(contoso)))
        {
            context.Db.UserCiamMappings.Add(new UserCiamMapping { UserId = foreignUser, CustomerId = contoso, CiamSystemId = ownProvider, ExternalSubject = "planted" });
            await Assert.ThrowsAsync<CrossTenantWriteException>(() => context.Db.SaveChangesAsync());
        }

        Assert.Equal(postsBefore, await system.Db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).CountAsync());
        Assert.Equal(mappingsBefore, await system.Db.UserCiamMappings.CountAsync());
    }

    [Theory, BothProviders]
    public async Task Save_UnresolvedScope_CannotWriteAnything(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, _) = await CustomerIdsAsync(database);
        await using var system = await database.ContextAsync(TenantScope.System());
        long site = await system.Db.Sites.Where(s => s.CustomerId == contoso).Select(s => s.Id).FirstAsync();

        await using var context = await database.ContextAsync(TenantScope.None);
        context.Db.Users.Add(new User { CustomerId = contoso, SiteId = site, Email = "ghost@contoso.example", DisplayName = "Ghost" });

        await Assert.ThrowsAsync<CrossTenantWriteException>(() => context.Db.SaveChangesAsync());
        Assert.False(await system.Db.Users.AnyAsync(u => u.Email == "ghost@contoso.example"));
    }

    [Theory, BothProviders]
    public async Task Save_ReferenceToAnotherTenantsRow_IsRefusedEvenForThePlatform(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, fabrikam) = await CustomerIdsAsync(database);
        await using var system = await database.ContextAsync(TenantScope.System());
        long fabrikamSite = await system.Db.Sites.Where(s => s.CustomerId == fabrikam).Select(s => s.Id).FirstAsync();
        long fabrikamUser = await system.Db.Users.Where(u => u.CustomerId == fabrikam).Select(u => u.Id).FirstAsync();
        long fabrikamProvider = await system.Db.CiamSystems.Where(c => c.CustomerId == fabrikam).Select(c => c.Id).FirstAsync();
        long contosoUser = await system.Db.Users.Where(u => u.CustomerId == contoso).Select(u => u.Id).FirstAsync();

        // A Contoso user placed on a Fabrikam site; a Contoso post by a Fabrikam author; a Contoso user mapped to Fabrikam's provider.
        await using (var context = await database.ContextAsync(TenantScope.ForCustomer(contoso)))
        {
            var user = await context.Db.Users.SingleAsync(u => u.Id == contosoUser);
            user.SiteId = fabrikamSite;
            await Assert.ThrowsAsync<CrossTenantWriteException>(() => context.Db.SaveChangesAsync());
        }

        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var post = await context.Db.Posts.FirstAsync(p => p.Site!.CustomerId == contoso);
            post.AuthorId = fabrikamUser;
            await Assert.ThrowsAsync<CrossTenantWriteException>(() => context.Db.SaveChangesAsync());
        }

        await using (var context = await database.ContextAsync(TenantScope.ForCustomer(contoso)))
        {
            context.Db.UserCiamMappings.Add(new UserCiamMapping { UserId = contosoUser, CustomerId = contoso, CiamSystemId = fabrikamProvider, ExternalSubject = "borrowed" });
            await Assert.ThrowsAsync<CrossTenantWriteException>(() => context.Db.SaveChangesAsync());
        }

        Assert.False(await system.Db.UserCiamMappings.AnyAsync(m => m.ExternalSubject == "borrowed"));
        Assert.Equal(0, await system.Db.Users.CountAsync(u => u.CustomerId == contoso && u.SiteId == fabrikamSite));
        Assert.Equal(0, await system.Db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).CountAsync(p => p.AuthorId == fabrikamUser && p.Site!.CustomerId == contoso));
    }

    [Fact]
    public void FromPrincipal_Claims_GiveTheScopeOfEachRole()
    {
        static ClaimsPrincipal Principal(params (string Type, string Value)[] claims) =>
            new(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), "test"));

        var platform = TenantScope.FromPrincipal(Principal((PortalClaimTypes.Role, PortalRoles.PlatformAdmin)));
        var admin = TenantScope.FromPrincipal(Principal((PortalClaimTypes.Role, PortalRoles.CustomerAdmin), (PortalClaimTypes.CustomerId, "42"), (PortalClaimTypes.SiteId, "7")));
        var editor = TenantScope.FromPrincipal(Principal((PortalClaimTypes.Role, PortalRoles.Editor), (PortalClaimTypes.CustomerId, "42"), (PortalClaimTypes.SiteId, "7")));
        var editorWithoutSite = TenantScope.FromPrincipal(Principal((PortalClaimTypes.Role, PortalRoles.Editor), (PortalClaimTypes.CustomerId, "42")));
        var malformed = TenantScope.FromPrincipal(Principal((PortalClaimTypes.Role, PortalRoles.Support), (PortalClaimTypes.CustomerId, "42 OR 1=1")));
        var anonymous = TenantScope.FromPrincipal(new ClaimsPrincipal(new ClaimsIdentity()));

        Assert.True(platform.AllCustomers);
        Assert.Equal((42L, (long?)null, false), (admin.CustomerId!.Value, admin.SiteId, admin.AllCustomers));
        Assert.Equal((42L, (long?)7L), (editor.CustomerId!.Value, editor.SiteId));
        Assert.False(editorWithoutSite.IsResolved);
        Assert.False(malformed.IsResolved);
        Assert.False(anonymous.IsResolved);
    }
}
