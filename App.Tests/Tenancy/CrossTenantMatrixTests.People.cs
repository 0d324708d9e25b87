using AdminPortal.App.Data;
using AdminPortal.App.Features.People;
using AdminPortal.App.Features.Sessions;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Features.People;
using AdminPortal.Tests.Features.Sessions;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Tenancy;

public partial class CrossTenantMatrixTests
{
    /// <summary>
    /// The role and session services' read and write paths, for every role of Contoso (and a platform admin switched to
    /// Contoso), with Fabrikam's ids and with mixed ids (an own user with a foreign session): always "not found", and
    /// nothing is written.
    /// </summary>
    [Theory, BothProviders]
    public async Task RoleAndSessionServices_ForeignIds_AreNotFoundAndNeverWritten(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var p = await RoleServiceTests.PersonsAsync(database);
        long foreignSession = await SessionListServiceTests.StartAsync(database, p.FabrikamAdmin, 10);
        long ownSession = await SessionListServiceTests.StartAsync(database, p.ContosoEditor, 10);
        long editorSite;
        int auditBefore;
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            editorSite = await system.Db.Users.Where(u => u.Id == p.ContosoEditor).Select(u => u.SiteId).SingleAsync();
            auditBefore = await system.Db.AuditLog.CountAsync();
        }

        var scopes = new (string Label, TenantScope Scope, bool Switch)[]
        {
            ("customer admin", RoleServiceTests.Admin(p), false),
            ("support", new TenantScope("support", p.ContosoSupport, PortalRoles.Support, p.Contoso, null, false), false),
            ("editor", new TenantScope("editor", p.ContosoEditor, PortalRoles.Editor, p.Contoso, editorSite, false), false),
            ("platform admin switched to Contoso", RoleServiceTests.Platform(p), true),
        };
        var failures = new List<string>();
        foreach (var (label, tenantScope, switchToContoso) in scopes)
        {
            await using var scope = database.Scope(tenantScope);
            if (switchToContoso)
            {
                scope.ServiceProvider.GetRequiredService<TenantContext>().SwitchTo(p.Contoso, null, "Contoso");
            }

            var roles = RoleServiceTests.Service(database, scope);
            var sessions = SessionListServiceTests.Service(database, scope, SessionListServiceTests.Sessions(database));
            void Expect(bool notFound, string what)
            {
                if (!notFound)
                {
                    failures.Add($"{label}: {what} was not 'not found'");
                }
            }

            Expect(await roles.GetAsync(p.FabrikamAdmin) is null, "role read");
            // Support and editors are refused before any lookup, with the same words whatever the id.
            bool admin = tenantScope.Role is PortalRoles.CustomerAdmin or PortalRoles.PlatformAdmin;
            bool Refused(RoleChangeResult r) => admin ? r.NotFound : r.Errors.GetValueOrDefault(nameof(RoleChange.Role)) == RoleService.OnlyAdminsReason;
            Expect(Refused(await roles.ChangeAsync(p.FabrikamAdmin, new RoleChange { Role = PortalRole.Support, Version = 1, ConfirmSelfDemotion = true })), "role change");
            Expect(Refused(await roles.ChangeAsync(p.FabrikamNobody, new RoleChange { Role = PortalRole.Editor, Version = 1 })), "role grant");
            Expect(Refused(await roles.ChangeAsync(p.FabrikamAdmin, new RoleChange { Role = null, Version = 1, ConfirmSelfDemotion = true })), "role removal");
            Expect(await sessions.ListAsync(p.FabrikamAdmin, null) is null, "sessions list");
            Expect((await sessions.EndAsync(p.FabrikamAdmin, foreignSession)).NotFound, "end session");
            Expect((await sessions.EndAsync(p.ContosoEditor, foreignSession)).NotFound, "end session (own user, foreign session)");
            Expect((await sessions.EndAsync(p.FabrikamAdmin, ownSession)).NotFound, "end session (foreign user, own session)");
            Expect((await sessions.EndAllAsync(p.FabrikamAdmin)).NotFound, "end all sessions");
            Expect((await sessions.EndMineAsync(foreignSession)).NotFound, "end one of my sessions (foreign id)");
        }

        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            Assert.False(await system.Db.PortalSessions.AnyAsync(s => (s.Id == foreignSession || s.Id == ownSession) && s.EndedAt != null));
            Assert.Equal(PortalRole.CustomerAdmin, await system.Db.Users.Where(u => u.Id == p.FabrikamAdmin).Select(u => u.PortalRole).SingleAsync());
            Assert.Null(await system.Db.Users.Where(u => u.Id == p.FabrikamNobody).Select(u => u.PortalRole).SingleAsync());
            Assert.Equal(auditBefore, await system.Db.AuditLog.CountAsync());
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }
}
