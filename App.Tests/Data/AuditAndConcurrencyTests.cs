using System.Text.Json;
using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.Tests.Data;

public class AuditAndConcurrencyTests
{
    [Theory, BothProviders]
    public async Task Save_Update_WritesAuditEntryWithOldAndNewButNoSecret(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        await using var system = await database.ContextAsync(TenantScope.System());
        var target = await system.Db.Users.AsNoTracking().FirstAsync(u => u.PasswordHash != null);
        const string newHash = "$2a$12$not-for-the-audit-log";

        await using (var context = await database.ContextAsync(TenantScope.ForCustomer(target.CustomerId, actor: "ada@contoso.example")))
        {
            var user = await context.Db.Users.SingleAsync(u => u.Id == target.Id);
            user.DisplayName = "Renamed";
            user.PasswordHash = newHash;
            await context.Db.SaveChangesAsync();
        }

        var entry = await system.Db.AuditLog.AsNoTracking().SingleAsync(a => a.EntityId == target.Id && a.Action == "updated");
        Assert.Equal("ada@contoso.example", entry.Actor);
        Assert.Equal("User", entry.EntityType);
        Assert.Equal(target.CustomerId, entry.CustomerId);
        using var changes = JsonDocument.Parse(entry.Changes!);
        Assert.Equal(target.DisplayName, changes.RootElement.GetProperty("display_name").GetProperty("old").GetString());
        Assert.Equal("Renamed", changes.RootElement.GetProperty("display_name").GetProperty("new").GetString());
        Assert.True(changes.RootElement.GetProperty("password_hash").GetProperty("changed").GetBoolean());
        Assert.DoesNotContain(newHash, entry.Changes);
        Assert.DoesNotContain(target.PasswordHash!, entry.Changes);
        Assert.Equal(target.Version + 1, await system.Db.Users.Where(u => u.Id == target.Id).Select(u => u.Version).SingleAsync());
    }

    [Theory, BothProviders]
    public async Task Save_StaleVersion_ThrowsConcurrencyConflictAndKeepsTheFirstSave(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        await using var first = await database.ContextAsync(TenantScope.System());
        await using var second = await database.ContextAsync(TenantScope.System());
        var mine = await first.Db.Customers.SingleAsync(c => c.Slug == "contoso");
        var theirs = await second.Db.Customers.SingleAsync(c => c.Slug == "contoso");

        theirs.Name = "Contoso (theirs)";
        await second.Db.SaveChangesAsync();
        mine.Name = "Contoso (mine)";

        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => first.Db.SaveChangesAsync());
        await using var check = await database.ContextAsync(TenantScope.System());
        Assert.Equal("Contoso (theirs)", await check.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Name).SingleAsync());
    }

    [Fact]
    public void TimeOrderedId_Next_IsIncreasingBeyond2To53AndCarriesItsTime()
    {
        var now = DateTime.UtcNow;
        var ids = Enumerable.Range(0, 10_000).Select(_ => TimeOrderedId.Next()).ToList();

        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.True(id > 1L << 53));
        Assert.InRange(TimeOrderedId.CreatedAt(ids[0]), now.AddSeconds(-1), now.AddSeconds(5));
    }
}
