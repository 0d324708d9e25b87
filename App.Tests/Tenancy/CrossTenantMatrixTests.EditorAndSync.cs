using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Tenancy;

public partial class CrossTenantMatrixTests
{
    /// <summary>
    /// The editor's discard (PostLifecycleService.DiscardSessionAsync) and the refused-or-allowed sync retry
    /// (UserSupportService.RetrySyncAsync), for every role of Contoso, with Fabrikam's ids: "not found" (never the
    /// sync's explanation, which would tell whether the foreign user is linked), and nothing is written.
    /// </summary>
    [Theory, BothProviders]
    public async Task DiscardAndRetrySync_ForeignIds_AreNotFoundAndNeverWritten(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso, contosoSite, foreignPost, foreignPostVersion, foreignUnlinked, foreignLinked;
        int auditBefore;
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            var db = system.Db;
            contoso = await db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
            contosoSite = await db.Sites.Where(s => s.CustomerId == contoso).OrderBy(s => s.Id).Select(s => s.Id).FirstAsync();
            var foreign = await db.Posts.Where(p => p.Site!.CustomerId != contoso && p.Status == PostStatus.Draft)
                .OrderBy(p => p.Id).Select(p => new { p.Id, p.Version }).FirstAsync();
            (foreignPost, foreignPostVersion) = (foreign.Id, foreign.Version);
            foreignUnlinked = await db.Users.Where(u => u.CustomerId != contoso && u.SyncStatus == SyncStatus.Failed && !db.UserCiamMappings.Any(m => m.UserId == u.Id))
                .Select(u => u.Id).FirstAsync();
            foreignLinked = await db.Users.Where(u => u.CustomerId != contoso && u.SyncStatus == SyncStatus.Failed && db.UserCiamMappings.Any(m => m.UserId == u.Id))
                .Select(u => u.Id).FirstAsync();
            auditBefore = await db.AuditLog.CountAsync();
        }

        var scopes = new (string Label, TenantScope Scope)[]
        {
            ("customer admin", TenantScope.ForCustomer(contoso, "admin@contoso.example", PortalRoles.CustomerAdmin)),
            ("support", TenantScope.ForCustomer(contoso, "support@contoso.example", PortalRoles.Support)),
            ("editor", TenantScope.ForCustomer(contoso, "editor@contoso.example", PortalRoles.Editor, contosoSite)),
        };
        var failures = new List<string>();
        foreach (var (label, tenantScope) in scopes)
        {
            await using var scope = database.Scope(tenantScope);
            var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
            var posts = new PostLifecycleService(factory, scope.ServiceProvider.GetRequiredService<TenantContext>(), TimeProvider.System);
            var support = new UserSupportService(factory, new UserAccessService(database.Services.GetRequiredService<IServiceScopeFactory>()), new UserSyncNotifier(), TimeProvider.System, new App.Features.Sessions.PortalSessionService(database.Services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System));
            void Expect(bool notFound, string what)
            {
                if (!notFound)
                {
                    failures.Add($"{label}: {what} was not 'not found'");
                }
            }

            Expect((await posts.DiscardSessionAsync(foreignPost, null, foreignPostVersion)).NotFound, "discard a session's new draft");
            Expect((await posts.DiscardSessionAsync(foreignPost, new PostEdit { Title = "Hijacked", Content = "x" }, foreignPostVersion)).NotFound, "discard a session's changes");
            Expect((await support.RetrySyncAsync(foreignUnlinked)).NotFound, "retry sync (foreign, not linked)");
            Expect((await support.RetrySyncAsync(foreignLinked)).NotFound, "retry sync (foreign, linked)");
        }

        Assert.Empty(failures);
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            Assert.Equal(auditBefore, await system.Db.AuditLog.CountAsync());
            Assert.True(await system.Db.Posts.AnyAsync(p => p.Id == foreignPost && p.Version == foreignPostVersion && p.Title != "Hijacked"));
            Assert.Equal(2, await system.Db.Users.CountAsync(u => (u.Id == foreignUnlinked || u.Id == foreignLinked) && u.SyncStatus == SyncStatus.Failed));
        }
    }
}
