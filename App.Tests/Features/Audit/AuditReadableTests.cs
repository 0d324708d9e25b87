using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Audit;

/// <summary>Issue 15 item 7: entities by name as of the event, with a link while they exist in scope; one actor format; readable diffs.</summary>
public class AuditReadableTests
{
    private const string Hostile = "<img src=x onerror=alert(1)>\"'&=HYPERLINK(\"x\")";

    [Theory, BothProviders]
    public async Task Page_RenameAndDelete_ShowsTheNameAsOfEachEventAndLinksOnlyWhatStillExistsInScope(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso, fabrikam, foreignUser, siteId;
        User actor, target;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var ids = await context.Db.Customers.ToDictionaryAsync(c => c.Slug, c => c.Id);
            (contoso, fabrikam) = (ids["contoso"], ids["fabrikam"]);
            var contosoUsers = await context.Db.Users.AsNoTracking().Where(u => u.CustomerId == contoso).OrderBy(u => u.Email).Take(2).ToListAsync();
            (actor, target) = (contosoUsers[0], contosoUsers[1]);
            siteId = target.SiteId;
            foreignUser = await context.Db.Users.Where(u => u.CustomerId == fabrikam).Select(u => u.Id).FirstAsync();
        }

        var person = new TenantScope(actor.DisplayName, actor.Id, PortalRoles.CustomerAdmin, contoso, null, false);
        long tempId;
        await using (var context = await database.ContextAsync(person))
        {
            var user = await context.Db.Users.SingleAsync(u => u.Id == target.Id);
            user.DisplayName = Hostile;
            await context.Db.SaveChangesAsync();
            user.DisplayName = "Renamed Later";
            await context.Db.SaveChangesAsync();

            var temp = new User { Id = TimeOrderedId.Next(), CustomerId = contoso, SiteId = siteId, Email = "temp@contoso.example", DisplayName = "Temp Person" };
            context.Db.Users.Add(temp);
            await context.Db.SaveChangesAsync();
            tempId = temp.Id;
            context.Db.Users.Remove(temp);
            await context.Db.SaveChangesAsync();

            // Entries written before labels existed, and one whose id was tampered to point into another tenant.
            context.Db.AuditLog.AddRange(
                new AuditEntry { At = DateTime.UtcNow, Actor = "user-sync", CustomerId = contoso, EntityType = "Site", EntityId = 4242, Action = "created", Changes = """{"name":{"old":null,"new":"Legacy Site"}}""" },
                new AuditEntry { At = DateTime.UtcNow, Actor = "sign-in:someone@contoso.example", CustomerId = contoso, EntityType = "Site", EntityId = 4343, Action = "updated", Changes = "not json" },
                new AuditEntry { At = DateTime.UtcNow, Actor = actor.DisplayName, ActorUserId = actor.Id, CustomerId = contoso, EntityType = "User", EntityId = foreignUser, EntityLabel = "Tampered", Action = "updated" });
            await context.Db.SaveChangesAsync();
        }

        // The label is in the database, as of each event.
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var labels = await context.Db.AuditLog.AsNoTracking().Where(a => a.EntityType == "User" && a.EntityId == target.Id && a.Action == "updated")
                .OrderBy(a => a.At).ThenBy(a => a.Id).Select(a => a.EntityLabel).ToListAsync();
            Assert.Equal(new string?[] { $"{Hostile} ({target.Email})", $"Renamed Later ({target.Email})" }, labels);
            var deleted = await context.Db.AuditLog.AsNoTracking().Where(a => a.EntityId == tempId).Select(a => new { a.Action, a.EntityLabel }).ToListAsync();
            Assert.Equal(2, deleted.Count);
            Assert.All(deleted, d => Assert.Equal("Temp Person (temp@contoso.example)", d.EntityLabel));
        }

        await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
        var audit = new AuditService(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>());
        var rows = (await audit.GetPageAsync(new AuditFilter(), new PageRequest(Size: 200))).Rows;

        var renames = rows.Where(r => r.EntityId == target.Id.ToString() && r.Action == "updated").OrderBy(r => r.At).ThenBy(r => long.Parse(r.Id)).ToList();
        Assert.Equal($"{Hostile} ({target.Email})", renames[0].EntityLabel);
        Assert.Equal($"/users/{target.Id}", renames[0].EntityHref);
        Assert.Equal($"{actor.DisplayName} ({actor.Email})", renames[0].ActorLabel);
        var diff = Assert.Single(renames[1].Changes);
        Assert.Equal(("display_name", Hostile, "Renamed Later", true), (diff.Field, diff.Old, diff.New, diff.IsDiff));

        // Gone: the name as it was, no link. Another tenant's row behind a tampered id: no link either.
        Assert.All(rows.Where(r => r.EntityId == tempId.ToString()), r => Assert.Equal(("Temp Person (temp@contoso.example)", (string?)null), (r.EntityLabel, r.EntityHref)));
        var tampered = rows.Single(r => r.EntityId == foreignUser.ToString());
        Assert.Equal(("Tampered", (string?)null), (tampered.EntityLabel, tampered.EntityHref));

        // Old entries: the name their changes carry, else the type and id; jobs appear as System.
        var legacy = rows.Single(r => r.EntityId == "4242");
        Assert.Equal(("Legacy Site", "System (user-sync)"), (legacy.EntityLabel, legacy.ActorLabel));
        var unparsable = rows.Single(r => r.EntityId == "4343");
        Assert.Equal(("Site #4343", "System (sign-in)", "not json"), (unparsable.EntityLabel, unparsable.ActorLabel, unparsable.Changes.Single().New));

        // The CSV has the label column, with the name as of each event.
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var csv = new MemoryStream();
        await AuditExport.WriteAsync(db, new AuditFilter(EntityType: "Site"), csv, CancellationToken.None);
        var lines = System.Text.Encoding.UTF8.GetString(csv.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("entity_id,entity_label,action", lines[0]);
        Assert.Contains(lines, l => l.Contains(",4242,Legacy Site,created,"));

        // The user page's history: the same actor format and old → new lines, not JSON.
        var support = new UserSupportService(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(),
            new UserAccessService(database.Services.GetRequiredService<IServiceScopeFactory>()), new UserSyncNotifier(), TimeProvider.System, new App.Features.Sessions.PortalSessionService(database.Services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System));
        var history = await support.GetHistoryAsync(target.Id);
        Assert.Equal($"{actor.DisplayName} ({actor.Email})", history[0].Actor);
        Assert.Equal(("display_name", Hostile, "Renamed Later"), (history[0].Changes.Single().Field, history[0].Changes.Single().Old, history[0].Changes.Single().New));
    }

    [Theory, BothProviders]
    public async Task Page_FiveMegabyteChange_IsCutForDisplayAndThePageStillLoads(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso, userId;
        string huge = new('x', 5 * 1024 * 1024);
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            contoso = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
            userId = await context.Db.Users.Where(u => u.CustomerId == contoso).Select(u => u.Id).FirstAsync();
            context.Db.AuditLog.Add(new AuditEntry
            {
                At = DateTime.UtcNow.AddMinutes(1), Actor = "user-sync", CustomerId = contoso, EntityType = "User", EntityId = userId, Action = "updated",
                Changes = System.Text.Json.JsonSerializer.Serialize(new { last_sync_error = new { old = (string?)null, @new = huge } }),
            });
            await context.Db.SaveChangesAsync();
        }

        await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
        var audit = new AuditService(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>());
        var row = (await audit.GetPageAsync(new AuditFilter(), new PageRequest(Size: 10))).Rows[0];
        var change = Assert.Single(row.Changes);
        Assert.Equal(("last_sync_error", AuditDiff.Nothing), (change.Field, change.Old));
        Assert.StartsWith(new string('x', AuditDiff.MaxValueLength) + "…", change.New);
        Assert.True(change.New!.Length < AuditDiff.MaxValueLength + 50, $"{change.New.Length} characters kept");
        Assert.EndsWith($"({huge.Length - AuditDiff.MaxValueLength:N0} more characters)", change.New);
        // No label in a 5 MB body is worth parsing: the row falls back to the type and id.
        Assert.Equal($"User #{userId}", row.EntityLabel);
    }
}
