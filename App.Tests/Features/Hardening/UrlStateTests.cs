using AdminPortal.App.Components.Shared;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Hardening;

/// <summary>URL state is untrusted: parsing never throws, and a tampered cursor is the first page on both databases.</summary>
public class UrlStateTests
{
    private static readonly string[] TamperedKeys = ["x", "", "-1", "99999999999999999999", (DateTime.MaxValue.Ticks + 1).ToString(), "0", new string('k', 5000)];

    [Fact]
    public void Parsers_HostileValues_FallBackAndNameWhatTheyReset()
    {
        var url = new UrlState();
        Assert.Null(url.Number("dormant", "dormant days", "abc", 1, UserFilter.MaxDormantDays));
        Assert.Null(url.Number("dormant", "dormant days", "2147483648", 1, UserFilter.MaxDormantDays));
        Assert.Null(url.Choice<UserSort>("sort", "sort", "999"));
        Assert.Null(url.Choice<UserSort>("sort", "sort", "Name, Email"));
        Assert.Null(url.Id("site", "site", "-5"));
        Assert.Null(url.Date("to", "to date", "9999-12-31"));
        Assert.Null(url.Date("from", "from date", "0001-01-01"));
        Assert.Null(url.Text("q", "search", new string('q', TextLimits.MaxSearchLength + 1)));
        Assert.Null(url.Descending("dir", "sideways"));
        Assert.Equal(PageRequestKind.First, url.Page("!!!!", null, "2", _ => true).Kind);
        Assert.Equal(["dormant", "sort", "site", "to", "from", "q", "dir", "last", "after"], url.Rejected.Select(r => r.Name));
        Assert.Equal("Some filters in the address were not valid and were reset: dormant days, sort, site, to date, from date, search, sort direction, page position.", url.Notice);

        var fine = new UrlState();
        Assert.Equal(30, fine.Number("dormant", "dormant days", "30", 1, UserFilter.MaxDormantDays));
        Assert.Equal(UserSort.Email, fine.Choice<UserSort>("sort", "sort", "Email"));
        Assert.Equal(new DateTime(2999, 12, 31, 0, 0, 0, DateTimeKind.Utc), fine.Date("to", "to date", "2999-12-31"));
        Assert.True(fine.IsValid);
        Assert.Null(fine.Notice);
    }

    [Fact]
    public void CursorDecode_Junk_NeverThrows()
    {
        foreach (string token in new[] { "!", "====", "A", "AAAA", "\u0000", new string('/', 10_000), "-_-_", "%%%", "ü" })
        {
            _ = PageCursor.Decode(token); // null or a cursor, never an exception
        }

        Assert.Null(PageCursor.Decode("!!!!"));
        Assert.False(PageCursor.TryTime((DateTime.MaxValue.Ticks + 1).ToString(), out _));
    }

    [Theory, BothProviders]
    public async Task Grids_TamperedCursorKeys_AreTheFirstPageNeverAnError(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        await using var scope = database.Scope(TenantScope.System("platform admin"));
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        var users = new UserService(factory, TimeProvider.System);
        var posts = new PostQueries(factory);
        var audit = new AuditService(factory);

        foreach (var sort in Enum.GetValues<UserSort>())
        {
            var first = await users.GetPageAsync(new UserFilter(Sort: sort), new PageRequest());
            foreach (string key in TamperedKeys)
            {
                foreach (var kind in new[] { PageRequestKind.After, PageRequestKind.Before })
                {
                    var page = await users.GetPageAsync(new UserFilter(Sort: sort), new PageRequest(kind, new PageCursor(key, long.MaxValue)));
                    if (!UserService.CursorFits(sort, new PageCursor(key, long.MaxValue)))
                    {
                        Assert.Equal(first.Rows.Select(r => r.Id), page.Rows.Select(r => r.Id));
                    }
                }
            }
        }

        foreach (var sort in Enum.GetValues<PostSort>())
        {
            var filter = new PostFilter(PostTab.Published, Sort: sort);
            var first = await posts.GetPageAsync(filter, new PageRequest());
            foreach (string key in TamperedKeys)
            {
                var page = await posts.GetPageAsync(filter, new PageRequest(PageRequestKind.After, new PageCursor(key, 1)));
                if (!PostQueries.CursorFits(sort, new PageCursor(key, 1)))
                {
                    Assert.Equal(first.Rows.Select(r => r.Id), page.Rows.Select(r => r.Id));
                }
            }
        }

        var firstAudit = await audit.GetPageAsync(new AuditFilter(), new PageRequest());
        foreach (string key in TamperedKeys)
        {
            var page = await audit.GetPageAsync(new AuditFilter(), new PageRequest(PageRequestKind.Before, new PageCursor(key, 1)));
            if (!AuditService.CursorFits(new PageCursor(key, 1)))
            {
                Assert.Equal(firstAudit.Rows.Select(r => r.Id), page.Rows.Select(r => r.Id));
            }
        }

        // The far ends of time are valid keys: the query runs on both databases.
        await audit.GetPageAsync(new AuditFilter(), new PageRequest(PageRequestKind.After, new PageCursor("0", long.MaxValue)));
        await audit.GetPageAsync(new AuditFilter(), new PageRequest(PageRequestKind.After, new PageCursor(DateTime.MaxValue.Ticks.ToString(), 1)));
        await audit.GetPageAsync(new AuditFilter(FromUtc: UrlState.EarliestDate, ToUtc: UrlState.LatestDate.AddDays(1)), new PageRequest());
    }
}
