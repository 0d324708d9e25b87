using System.Net;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// URL state is untrusted. Every routable page's every query parameter (found by reflection over
/// [SupplyParameterFromQuery], so a new parameter is covered the day it is added), every route parameter, and every
/// CSV endpoint get hostile values over plain HTTP (the prerender): never a 500. A sample then runs in Chromium: the
/// circuit stays alive and the page says what it reset.
/// </summary>
public class HostileQueryStringTests(PortalServer server) : IClassFixture<PortalServer>
{
    private static string Cursor(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Empty, huge, negative, non-numeric, far dates, SQL-ish, unicode, long, junk and tampered cursors.</summary>
    public static readonly string[] HostileValues =
    [
        "", " ", "-1", "0", "abc", "99999999999999999999999", "2147483648", "9223372036854775807", "-9223372036854775808", "1e308", "NaN",
        "9999-12-31", "0001-01-01", "10000-01-01", "2026-02-30", "999", "Name, Email", "desc; DROP TABLE users;--", "' OR 1=1 --",
        "<script>alert(1)</script>", "ü😀\u202Eevil", "\u0000", new string('a', 6 * 1024), new string('z', 10 * 1024),
        "!!!!", "AAAA", "====", Cursor("abc|def"), Cursor("123|notanumber"), Cursor("1|99999999999999999999"), Cursor($"1|{DateTime.MaxValue.Ticks + 1}"),
        Cursor("-5|0"), Cursor("|"), Cursor("9223372036854775807|\u0000"), Cursor(new string('k', 5000)),
    ];

    /// <summary>(page type, route template, query parameter names) for every routable component.</summary>
    public static List<(Type Page, string Route, List<string> Parameters)> Pages() =>
        typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(IComponent).IsAssignableFrom(t))
            .SelectMany(t => t.GetCustomAttributes<RouteAttribute>().Select(r => (t, r.Template,
                t.GetProperties(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
                    .Select(p => (p, a: p.GetCustomAttribute<SupplyParameterFromQueryAttribute>()))
                    .Where(x => x.a is not null)
                    .Select(x => x.a!.Name ?? x.p.Name).ToList())))
            .ToList();

    private async Task<HttpClient> SignedInClientAsync()
    {
        var page = await server.SignInAsync("Platform admin");
        var cookies = await page.Context.CookiesAsync();
        await page.CloseAsync();
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(server.BaseUrl) };
        client.DefaultRequestHeaders.Add("Cookie", string.Join("; ", cookies.Select(c => $"{c.Name}={c.Value}")));
        return client;
    }

    [Fact]
    public void Pages_Reflection_FindsTheQueryParametersOfTheGrids()
    {
        var pages = Pages();
        Assert.Contains(pages, p => p.Route == "/users" && p.Parameters.Contains("Dormant") && p.Parameters.Contains("After"));
        Assert.Contains(pages, p => p.Route == "/audit" && p.Parameters.Contains("actor") && p.Parameters.Contains("From"));
        Assert.Contains(pages, p => p.Route == "/posts" && p.Parameters.Contains("Tab"));
    }

    [Fact]
    public async Task EveryPageAndQueryParameter_HostileValues_NeverA500()
    {
        using var client = await SignedInClientAsync();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var urls = new List<string>();
        var started = System.Diagnostics.Stopwatch.StartNew();
        foreach (var (_, route, parameters) in Pages())
        {
            // Route parameters ({Id}) are URL state too.
            if (route.Contains('{'))
            {
                urls.AddRange(HostileValues.Select(v => route[..route.IndexOf('{')] + Uri.EscapeDataString(v)));
                continue;
            }

            urls.Add(route);
            urls.AddRange(parameters.SelectMany(p => HostileValues.Select(v => $"{route}?{p.ToLowerInvariant()}={Uri.EscapeDataString(v)}")));
        }

        int requests = urls.Count;
        // A few at a time, as several tabs would: the point is what each request does, not load.
        await Parallel.ForEachAsync(urls, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (url, cancellationToken) =>
        {
            using var response = await client.GetAsync(url, cancellationToken);
            if ((int)response.StatusCode >= 500)
            {
                failures.Add($"{(int)response.StatusCode} {url[..Math.Min(url.Length, 200)]}");
            }
        });

        Assert.True(failures.Count == 0, $"{failures.Count} of {requests} requests failed:\n{string.Join('\n', failures.Take(40))}");
        Console.WriteLine($"Hostile query strings: {requests} page requests, none a 500, in {started.Elapsed.TotalSeconds:0.0} s.");
    }

    [Fact]
    public async Task EveryCsvEndpoint_HostileValues_NeverA500_AndABadFilterIsA400WithTheReason()
    {
        using var client = await SignedInClientAsync();
        var exports = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/')).Where(p => p.EndsWith(".csv", StringComparison.Ordinal)).Distinct().ToList();
        Assert.Equal(["/audit/export.csv", "/users/export.csv"], exports.Order());
        var names = Pages().SelectMany(p => p.Parameters).Select(n => n.ToLowerInvariant()).Distinct().ToList();
        var failures = new List<string>();
        foreach (string export in exports)
        {
            foreach (string name in names)
            {
                foreach (string value in HostileValues)
                {
                    string url = $"{export}?{name}={Uri.EscapeDataString(value)}";
                    var response = await client.GetAsync(url);
                    if ((int)response.StatusCode >= 500)
                    {
                        failures.Add($"{(int)response.StatusCode} {url[..Math.Min(url.Length, 200)]}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(40)));

        var dormant = await client.GetAsync("/users/export.csv?dormant=abc&site=-1");
        Assert.Equal(HttpStatusCode.BadRequest, dormant.StatusCode);
        Assert.Equal("These query parameters are not valid: site (site), dormant (dormant days). Nothing was exported.", await dormant.Content.ReadAsStringAsync());
        var future = await client.GetAsync("/audit/export.csv?to=9999-12-31");
        Assert.Equal(HttpStatusCode.BadRequest, future.StatusCode);
        Assert.Contains("to (to date)", await future.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/audit/export.csv?from=2026-01-01&to=2999-12-31")).StatusCode);
    }

    [Fact]
    public async Task Prerender_BadFilters_FallBackWithANoticeNamingThem()
    {
        using var client = await SignedInClientAsync();

        string users = await client.GetStringAsync("/users?dormant=abc&sort=Bogus&auth=999&after=!!!!&sync=Failed");
        Assert.Contains("Some filters in the address were not valid and were reset: sign-in, dormant days, sort, page position.", WebUtility.HtmlDecode(users));
        string audit = await client.GetStringAsync("/audit?from=0001-01-01&to=9999-12-31&after=" + Cursor("5|99999999999999999999"));
        Assert.Contains("were reset: from date, to date, page position.", WebUtility.HtmlDecode(audit));
        string posts = await client.GetStringAsync("/posts?tab=999&dir=sideways&site=abc");
        Assert.Contains("were reset: tab, site, sort direction.", WebUtility.HtmlDecode(posts));
        Assert.DoesNotContain("url-state-notice", await client.GetStringAsync("/users?dormant=30&sync=Failed"));
    }

    [Fact]
    public async Task Browser_TamperedAddresses_CircuitStaysAliveAndTheNoticeShows()
    {
        var page = await server.SignInAsync("Platform admin");
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);

        foreach (var (url, notice) in new[]
        {
            ($"/users?dormant=abc&sort=LastLogin&after={Cursor("1|yesterday")}", "dormant days, page position"),
            ($"/posts?tab=Trash&sort=Published&before={Cursor("9|" + new string('9', 30))}&author=-4", "author, page position"),
            ("/audit?from=9999-12-31&to=abc", "from date, to date"),
        })
        {
            await page.GotoAsync(server.BaseUrl + url);
            await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
            await Expect(page.GetByTestId("url-state-notice")).ToContainTextAsync(notice);
        }

        // Still interactive after all that: a filter typed on the page still works.
        await page.GotoAsync(server.BaseUrl + "/users?dormant=abc");
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await Expect(page.GetByTestId("url-state-notice")).ToBeVisibleAsync();
        await page.GetByLabel("Search name or email").FillAsync("a");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("q=a"));
        await Expect(page.GetByTestId("user-total")).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator("#blazor-error-ui[style*='block']").CountAsync());
        Assert.Empty(errors);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("hostile-query-notice.png") });
        await page.CloseAsync();
    }
}
