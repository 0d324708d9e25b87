using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Audit;

public class AuditServiceTests
{
    [Theory, BothProviders]
    public async Task Page_ScopeFiltersPagingAndCsv_FollowTheTenantAndTheDatabase(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso;
        List<AdminPortal.App.Features.Audit.AuditEntry> all;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            contoso = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
            // A platform-level entry (a tenant switch) that no customer admin may see.
            context.Db.AuditLog.Add(new AdminPortal.App.Features.Audit.AuditEntry { At = DateTime.UtcNow, Actor = "platform@adminportal.example", EntityType = "Tenant", EntityId = 0, Action = "switch_tenant" });
            await context.Db.SaveChangesAsync();
            all = await context.Db.AuditLog.AsNoTracking().ToListAsync();
        }

        await using (var admin = database.Scope(TenantScope.ForCustomer(contoso)))
        {
            var audit = new AuditService(admin.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>());
            var everything = (await audit.GetPageAsync(new AuditFilter(), new PageRequest(Size: 200))).Rows;
            Assert.Equal(all.Count(a => a.CustomerId == contoso), everything.Count);
            Assert.DoesNotContain(everything, r => r.Action == "switch_tenant");

            // Newest first, and the same rows walked forward and back in pages of 7.
            Assert.Equal(everything.OrderByDescending(r => r.At).ThenByDescending(r => long.Parse(r.Id)).Select(r => r.Id), everything.Select(r => r.Id));
            var walked = new List<string>();
            var page = await audit.GetPageAsync(new AuditFilter(), new PageRequest(Size: 7));
            walked.AddRange(page.Rows.Select(r => r.Id));
            while (page.HasNext)
            {
                page = await audit.GetPageAsync(new AuditFilter(), new PageRequest(PageRequestKind.After, page.Last, 7));
                walked.AddRange(page.Rows.Select(r => r.Id));
            }

            var back = new List<string>();
            page = await audit.GetPageAsync(new AuditFilter(), new PageRequest(PageRequestKind.Last, Size: 7));
            back.InsertRange(0, page.Rows.Select(r => r.Id));
            while (page.HasPrevious)
            {
                page = await audit.GetPageAsync(new AuditFilter(), new PageRequest(PageRequestKind.Before, page.First, 7));
                back.InsertRange(0, page.Rows.Select(r => r.Id));
            }

            Assert.Equal(everything.Select(r => r.Id), walked);
            Assert.Equal(everything.Select(r => r.Id), back);

            // Filters: action, entity, actor prefix, date range.
            var signIns = await audit.GetPageAsync(new AuditFilter(Action: "sign_in"), new PageRequest(Size: 200));
            Assert.Equal(all.Count(a => a.CustomerId == contoso && a.Action == "sign_in"), signIns.Rows.Count);
            string actor = signIns.Rows[0].Actor;
            var byActor = await audit.GetPageAsync(new AuditFilter(Actor: actor[..6]), new PageRequest(Size: 200));
            Assert.All(byActor.Rows, r => Assert.StartsWith(actor[..6], r.Actor));
            var lastWeek = await audit.GetPageAsync(new AuditFilter(EntityType: "User", FromUtc: DateTime.UtcNow.AddDays(-7), ToUtc: DateTime.UtcNow.AddDays(1)), new PageRequest(Size: 200));
            Assert.Equal(all.Count(a => a.CustomerId == contoso && a.EntityType == "User" && a.At >= DateTime.UtcNow.AddDays(-7)), lastWeek.Rows.Count);

            await using var db = await admin.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            var csv = new MemoryStream();
            int written = await AuditExport.WriteAsync(db, new AuditFilter(Action: "sign_in"), csv, CancellationToken.None);
            Assert.Equal(signIns.Rows.Count, written);
            Assert.DoesNotContain("switch_tenant", System.Text.Encoding.UTF8.GetString(csv.ToArray()));
        }

        await using var platform = database.Scope(TenantScope.System("platform admin"));
        var platformRows = (await new AuditService(platform.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>()).GetPageAsync(new AuditFilter(Action: "switch_tenant"), new PageRequest())).Rows;
        Assert.Equal("platform", platformRows.Single().Customer ?? "platform");
    }
}
