using AdminPortal.App.Components.Shared;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Audit;

/// <summary>The audit page's From and To are the viewer's own calendar days: entries a minute either side of midnight, far east and far west.</summary>
public class AuditLocalDaysTests
{
    private const string Actor = "tz-edge@adminportal.example";

    // Midnight in Auckland on 2 December (summer time, UTC+13) is 11:00 UTC on 1 December; in Los Angeles (PST, UTC-8)
    // it is 08:00 UTC on 2 December. 1 November 2026 is the day Los Angeles leaves summer time: 25 hours long.
    private static readonly DateTime[] Edges =
    [
        Utc(2026, 12, 1, 10, 59), Utc(2026, 12, 1, 11, 0), Utc(2026, 12, 2, 10, 59), Utc(2026, 12, 2, 11, 0),
        Utc(2026, 12, 2, 7, 59), Utc(2026, 12, 2, 8, 0), Utc(2026, 12, 3, 7, 59), Utc(2026, 12, 3, 8, 0),
        Utc(2026, 11, 1, 6, 59), Utc(2026, 11, 1, 7, 0), Utc(2026, 11, 2, 7, 59), Utc(2026, 11, 2, 8, 0),
    ];

    [Theory, BothProviders]
    public async Task FilterFrom_ViewerInAucklandOrLosAngeles_ReturnsTheirDaysRowsAtTheEdges(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            contoso = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
            context.Db.AuditLog.AddRange(Edges.Select(at => new AuditEntry { At = at, Actor = Actor, CustomerId = contoso, EntityType = "User", EntityId = 1, Action = "updated" }));
            await context.Db.SaveChangesAsync();
        }

        await using var admin = database.Scope(TenantScope.ForCustomer(contoso));
        var audit = new AuditService(admin.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>());

        async Task<List<DateTime>> DayAsync(string zoneId, string from, string to)
        {
            var url = new UrlState();
            var filter = AuditExport.FilterFrom(url, ViewerTimeZone.From(zoneId), Actor, null, null, from, to);
            Assert.True(url.IsValid);
            var rows = (await audit.GetPageAsync(filter, new PageRequest(Size: 50))).Rows;
            return rows.Select(r => DateTime.SpecifyKind(r.At, DateTimeKind.Utc)).OrderBy(at => at).ToList();
        }

        Assert.Equal([Utc(2026, 12, 1, 11, 0), Utc(2026, 12, 2, 7, 59), Utc(2026, 12, 2, 8, 0), Utc(2026, 12, 2, 10, 59)],
            await DayAsync("Pacific/Auckland", "2026-12-02", "2026-12-02"));
        Assert.Equal([Utc(2026, 12, 2, 8, 0), Utc(2026, 12, 2, 10, 59), Utc(2026, 12, 2, 11, 0), Utc(2026, 12, 3, 7, 59)],
            await DayAsync("America/Los_Angeles", "2026-12-02", "2026-12-02"));
        // The day summer time ends runs from 07:00 UTC (PDT) to 08:00 UTC the next day (PST).
        Assert.Equal([Utc(2026, 11, 1, 7, 0), Utc(2026, 11, 2, 7, 59)], await DayAsync("America/Los_Angeles", "2026-11-01", "2026-11-01"));
        // A viewer whose browser sent no usable zone gets UTC days, and the page says "UTC".
        Assert.Equal([Utc(2026, 12, 2, 7, 59), Utc(2026, 12, 2, 8, 0), Utc(2026, 12, 2, 10, 59), Utc(2026, 12, 2, 11, 0)],
            await DayAsync("<script>", "2026-12-02", "2026-12-02"));
        // Only a From: everything from the start of that local day on.
        Assert.Equal(7, (await DayAsync("Pacific/Auckland", "2026-12-02", "")).Count);
    }

    [Theory]
    [InlineData("2026-02-30")]
    [InlineData("2026-12-02T00:00")]
    [InlineData("9999-12-31")]
    [InlineData("0001-01-01")]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("2026-12-02' OR 1=1 --")]
    [InlineData("")]
    public void FilterFrom_TamperedDates_AreLeftOutAndNamed(string tampered)
    {
        foreach (var zone in new[] { "Pacific/Auckland", "America/Los_Angeles", "Pacific/Kiritimati", "Etc/GMT+12" })
        {
            var url = new UrlState();
            var filter = AuditExport.FilterFrom(url, ViewerTimeZone.From(zone), null, null, null, tampered, tampered + new string('9', 5000));
            Assert.Null(filter.FromUtc);
            Assert.Null(filter.ToUtc);
            Assert.Equal(tampered == "" ? ["to"] : ["from", "to"], url.Rejected.Select(r => r.Name));
            Assert.Contains("to date", url.Notice);
        }
    }

    [Fact]
    public void FilterFrom_TheWidestDatesInTheFurthestZones_DoNotOverflow()
    {
        foreach (var zone in new[] { "Pacific/Kiritimati", "Etc/GMT+12", "Pacific/Auckland", "America/Los_Angeles" })
        {
            var url = new UrlState();
            var filter = AuditExport.FilterFrom(url, ViewerTimeZone.From(zone), null, null, null, "1900-01-01", "2999-12-31");
            Assert.True(url.IsValid);
            Assert.True(filter.FromUtc < filter.ToUtc);
            Assert.Equal(DateTimeKind.Utc, filter.ToUtc!.Value.Kind);
        }
    }

    [Fact]
    public void StartOfDayUtc_MidnightSkippedBySummerTime_StartsAtTheFirstMinuteThatExists()
    {
        // Santiago moves its clocks from 00:00 to 01:00 on the first Sunday of September (6 September 2026): the day
        // starts at 01:00 local, 04:00 UTC.
        var santiago = ViewerTimeZone.From("America/Santiago");
        Assert.True(santiago.Recognised);
        Assert.Equal(Utc(2026, 9, 6, 4, 0), santiago.StartOfDayUtc(new DateTime(2026, 9, 6)));
        Assert.Equal(Utc(2026, 12, 1, 11, 0), ViewerTimeZone.From("Pacific/Auckland").StartOfDayUtc(new DateTime(2026, 12, 2)));
        Assert.Equal("13:59 UTC+13", ViewerTimeZone.From("Pacific/Auckland").Format(Utc(2026, 12, 1, 0, 59), "HH:mm"));
    }

    private static DateTime Utc(int year, int month, int day, int hour, int minute) => new(year, month, day, hour, minute, 0, DateTimeKind.Utc);
}
