using AdminPortal.App.Data;
using AdminPortal.App.Features.Dashboard;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Features.Dashboard;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.Tests.Tenancy;

public partial class CrossTenantMatrixTests
{
    /// <summary>
    /// The editor's and support's dashboard reads (RoleDashboardService), with Fabrikam's rows made as tempting as
    /// possible: a Fabrikam draft "authored" by Contoso's editor, and Fabrikam users failed, locked and signed in a
    /// moment ago. None of them is ever counted or listed for Contoso's editor or support.
    /// </summary>
    [Theory, BothProviders]
    public async Task RoleDashboards_AnotherTenantsRows_AreNeverCountedOrListed(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var contoso = await RoleDashboardServiceTests.ArrangeAsync(database);
        var foreignPosts = new List<string>();
        var foreignUsers = new List<string>();
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            var db = system.Db;
            // Contoso's other site is foreign to its editor, Fabrikam's everything to both. The save guard would refuse
            // a post "authored" across tenants, so the rows are set in SQL, as a corrupt or hostile import would leave them.
            var posts = db.Posts.Where(p => p.SiteId != contoso.SiteId);
            foreignPosts.AddRange((await posts.Select(p => p.Id).ToListAsync()).Select(id => id.ToString()));
            await posts.ExecuteUpdateAsync(s => s.SetProperty(p => p.AuthorId, contoso.EditorId).SetProperty(p => p.Status, PostStatus.Draft).SetProperty(p => p.PublishedAt, (DateTime?)null));
            var users = db.Users.Where(u => u.CustomerId != contoso.CustomerId);
            foreignUsers.AddRange((await users.Select(u => u.Id).ToListAsync()).Select(id => id.ToString()));
            await users.ExecuteUpdateAsync(s => s.SetProperty(u => u.SyncStatus, SyncStatus.Failed).SetProperty(u => u.IsLocked, true).SetProperty(u => u.LastLoginAt, DateTime.UtcNow.AddSeconds(-1)));
        }

        int myDrafts, failed, locked;
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            myDrafts = await system.Db.Posts.CountAsync(p => p.SiteId == contoso.SiteId && p.Status == PostStatus.Draft && p.AuthorId == contoso.EditorId);
            failed = await system.Db.Users.CountAsync(u => u.CustomerId == contoso.CustomerId && u.SyncStatus == SyncStatus.Failed);
            locked = await system.Db.Users.CountAsync(u => u.CustomerId == contoso.CustomerId && u.IsLocked);
        }

        await using (var scope = database.Scope(TenantScope.ForCustomer(contoso.CustomerId, role: PortalRoles.Editor, siteId: contoso.SiteId)))
        {
            var editor = await RoleDashboardServiceTests.Service(scope).GetEditorAsync(contoso.EditorId);
            Assert.Equal(myDrafts, editor.MyDrafts.Value);
            Assert.DoesNotContain(editor.RecentDrafts.Concat(editor.UpcomingScheduled).Concat(editor.RecentlyPublished), i => foreignPosts.Contains(i.Id));
        }

        await using (var scope = database.Scope(TenantScope.ForCustomer(contoso.CustomerId, role: PortalRoles.Support)))
        {
            var support = await RoleDashboardServiceTests.Service(scope).GetSupportAsync();
            Assert.Equal(failed, support.FailedSyncs.Value);
            Assert.Equal(locked, support.LockedUsers.Value);
            Assert.NotEmpty(support.RecentSignIns);
            Assert.DoesNotContain(support.RecentSignIns, i => foreignUsers.Contains(i.Id));
        }
    }
}
