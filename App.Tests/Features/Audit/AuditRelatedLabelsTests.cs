using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Features.Sessions;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Audit;

/// <summary>
/// Issue 15 item 7, the last two entity types: identity links (UserCiamMapping) and sessions (PortalSession) are named
/// after their user and provider or browser as of the event, never by a raw id; gone ones read "(deleted)", and no
/// label carries another tenant's name.
/// </summary>
public class AuditRelatedLabelsTests
{
    private const string Hostile = "<img src=x onerror=alert(1)>";
    private const string Chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    [Theory, BothProviders]
    public async Task Page_MappingsAndSessions_ShowNamesAsOfTheEvent_DeletedOnesAsDeleted_AndNoOtherTenantsNames(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso, fabrikam;
        User actor, target;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var ids = await context.Db.Customers.ToDictionaryAsync(c => c.Slug, c => c.Id);
            (contoso, fabrikam) = (ids["contoso"], ids["fabrikam"]);
            var contosoUsers = await context.Db.Users.AsNoTracking().Where(u => u.CustomerId == contoso).OrderBy(u => u.Email).Take(2).ToListAsync();
            (actor, target) = (contosoUsers[0], contosoUsers[1]);
            var user = await context.Db.Users.SingleAsync(u => u.Id == target.Id);
            user.DisplayName = Hostile;
            context.Db.CiamSystems.AddRange(
                new CiamSystem { Id = TimeOrderedId.Next(), CustomerId = contoso, Name = "Contoso Okta", Authority = "https://okta.contoso.example", ClientId = "c" },
                new CiamSystem { Id = TimeOrderedId.Next(), CustomerId = fabrikam, Name = "Fabrikam Secret IdP", Authority = "https://idp.fabrikam.example", ClientId = "f" });
            await context.Db.SaveChangesAsync();
        }

        long contosoIdp, fabrikamIdp;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            contosoIdp = await context.Db.CiamSystems.Where(c => c.Name == "Contoso Okta").Select(c => c.Id).SingleAsync();
            fabrikamIdp = await context.Db.CiamSystems.Where(c => c.Name == "Fabrikam Secret IdP").Select(c => c.Id).SingleAsync();
        }

        // As the customer admin: link, start a session, unlink; then the user is renamed (the old entries keep the old name).
        var person = new TenantScope(actor.DisplayName, actor.Id, PortalRoles.CustomerAdmin, contoso, null, false);
        long mappingId, sessionId;
        await using (var context = await database.ContextAsync(person))
        {
            var mapping = new UserCiamMapping { UserId = target.Id, CustomerId = contoso, CiamSystemId = contosoIdp, ExternalSubject = "subject-1" };
            context.Db.UserCiamMappings.Add(mapping);
            var session = PortalSessionService.Create(target.Id, contoso, "oidc-dev", new SessionOrigin(Chrome, "127.0.0.1"), DateTime.UtcNow);
            context.Db.PortalSessions.Add(session);
            await context.Db.SaveChangesAsync();
            (mappingId, sessionId) = (mapping.Id, session.Id);

            context.Db.UserCiamMappings.Remove(mapping);
            await context.Db.SaveChangesAsync();
        }

        await using (var context = await database.ContextAsync(person))
        {
            // A fresh context, nothing tracked: the names come from the database.
            var session = await context.Db.PortalSessions.SingleAsync(s => s.Id == sessionId);
            session.EndedAt = DateTime.UtcNow;
            session.EndedReason = SessionEndReason.SignedOut;
            await context.Db.SaveChangesAsync();
            var user = await context.Db.Users.SingleAsync(u => u.Id == target.Id);
            user.DisplayName = "Renamed Later";
            await context.Db.SaveChangesAsync();
        }

        long liveMapping;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            // (A Contoso user linked to Fabrikam's provider is refused by the save itself, so it cannot be set up here.)
            await Assert.ThrowsAsync<CrossTenantWriteException>(async () =>
            {
                context.Db.UserCiamMappings.Add(new UserCiamMapping { UserId = target.Id, CustomerId = contoso, CiamSystemId = fabrikamIdp, ExternalSubject = "subject-2" });
                await context.Db.SaveChangesAsync();
            });
            context.Db.ChangeTracker.Clear();
            var live = new UserCiamMapping { UserId = target.Id, CustomerId = contoso, CiamSystemId = contosoIdp, ExternalSubject = "subject-3" };
            context.Db.UserCiamMappings.Add(live);
            await context.Db.SaveChangesAsync();
            liveMapping = live.Id;

            // Entries written before names were stored: one for a link and a session that exist, two for rows that are gone.
            context.Db.AuditLog.AddRange(
                new AuditEntry { At = DateTime.UtcNow.AddSeconds(1), Actor = "user-sync", CustomerId = contoso, EntityType = nameof(UserCiamMapping), EntityId = liveMapping, Action = "updated" },
                new AuditEntry { At = DateTime.UtcNow.AddSeconds(1), Actor = "user-sync", CustomerId = contoso, EntityType = nameof(UserCiamMapping), EntityId = 4242, Action = "deleted" },
                new AuditEntry { At = DateTime.UtcNow.AddSeconds(1), Actor = "user-sync", CustomerId = contoso, EntityType = nameof(PortalSession), EntityId = sessionId, Action = "updated" },
                new AuditEntry { At = DateTime.UtcNow.AddSeconds(1), Actor = "user-sync", CustomerId = contoso, EntityType = nameof(PortalSession), EntityId = 4343, Action = "updated" });
            await context.Db.SaveChangesAsync();
        }

        string browser = BrowserName.Describe(Chrome);
        Assert.StartsWith("Chrome 131", browser);

        // Stored with the entries, as of each event.
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var stored = await context.Db.AuditLog.AsNoTracking().Where(a => a.EntityType == nameof(UserCiamMapping) || a.EntityType == nameof(PortalSession))
                .Where(a => a.EntityLabel != null).Select(a => new { a.EntityId, a.Action, a.EntityLabel }).ToListAsync();
            Assert.Equal([$"{Hostile} ↔ Contoso Okta", $"{Hostile} ↔ Contoso Okta"], stored.Where(s => s.EntityId == mappingId).Select(s => s.EntityLabel).ToArray());
            Assert.Equal([$"{Hostile}'s session on {browser}", $"{Hostile}'s session on {browser}"], stored.Where(s => s.EntityId == sessionId).Select(s => s.EntityLabel).ToArray());
            Assert.Equal("Renamed Later ↔ Contoso Okta", stored.Single(s => s.EntityId == liveMapping).EntityLabel);
        }

        await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
        var audit = new AuditService(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>());
        var rows = (await audit.GetPageAsync(new AuditFilter(), new PageRequest(Size: 200))).Rows
            .Where(r => r.EntityType is nameof(UserCiamMapping) or nameof(PortalSession)).ToList();

        // Never a raw id, never the other tenant's provider.
        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.DoesNotContain("#", r.EntityLabel));
        Assert.All(rows, r => Assert.DoesNotContain("Fabrikam", r.EntityLabel));

        // The deleted link: its name as it was, linked to its user (who still exists); the session likewise.
        Assert.All(rows.Where(r => r.EntityId == mappingId.ToString()), r => Assert.Equal(($"{Hostile} ↔ Contoso Okta", (string?)null), (r.EntityLabel, r.EntityHref)));
        Assert.All(rows.Where(r => r.EntityId == sessionId.ToString() && r.Actor != "user-sync"), r => Assert.Equal(($"{Hostile}'s session on {browser}", $"/users/{target.Id}"), (r.EntityLabel, r.EntityHref)));

        // Old entries: named from the rows the viewer can see now, or "(deleted)".
        Assert.Equal(("Renamed Later ↔ Contoso Okta", $"/users/{target.Id}"), rows.Where(r => r.EntityId == liveMapping.ToString() && r.Actor == "user-sync").Select(r => (r.EntityLabel, r.EntityHref)).Single());
        Assert.Equal(($"Renamed Later's session on {browser}", $"/users/{target.Id}"), rows.Where(r => r.EntityId == sessionId.ToString() && r.Actor == "user-sync").Select(r => (r.EntityLabel, r.EntityHref)).Single());
        Assert.Equal((AuditRelatedLabels.DeletedMapping, (string?)null), rows.Where(r => r.EntityId == "4242").Select(r => (r.EntityLabel, r.EntityHref)).Single());
        Assert.Equal((AuditRelatedLabels.DeletedSession, (string?)null), rows.Where(r => r.EntityId == "4343").Select(r => (r.EntityLabel, r.EntityHref)).Single());

        // Seen from Fabrikam: none of these entries, and so none of Contoso's names.
        await using var fabrikamScope = database.Scope(TenantScope.ForCustomer(fabrikam));
        var fabrikamAudit = new AuditService(fabrikamScope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>());
        var fabrikamRows = (await fabrikamAudit.GetPageAsync(new AuditFilter(), new PageRequest(Size: 500))).Rows;
        Assert.DoesNotContain(fabrikamRows, r => r.EntityLabel.Contains(Hostile, StringComparison.Ordinal) || r.EntityLabel.Contains("Renamed Later", StringComparison.Ordinal));
    }
}
