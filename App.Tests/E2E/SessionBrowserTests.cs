using System.Diagnostics;
using System.Net;
using AdminPortal.App.Features.Sessions;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>Server-side sessions seen from outside: a copied cookie, a forged sign-out, a circuit whose session ends.</summary>
public class SessionBrowserTests(PortalServer server, ITestOutputHelper output) : IClassFixture<PortalServer>
{
    /// <summary>An HTTP client that carries the browser's cookies as they are now (a copy), and follows no redirects.</summary>
    private static async Task<HttpClient> CopyCookiesAsync(IPage page, string baseUrl)
    {
        var cookies = await page.Context.CookiesAsync([baseUrl]);
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(baseUrl) };
        client.DefaultRequestHeaders.Add("Cookie", string.Join("; ", cookies.Select(c => $"{c.Name}={c.Value}")));
        return client;
    }

    [Fact]
    public async Task SignOut_CopiedCookie_IsRefusedOnTheVeryNextRequest()
    {
        var page = await server.SignInAsync("Customer admin · Contoso");
        using var copy = await CopyCookiesAsync(page, server.BaseUrl);
        Assert.Equal(HttpStatusCode.OK, (await copy.GetAsync("/users/export.csv")).StatusCode);

        // The real button: it posts the antiforgery token.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByTestId("sign-in-message")).ToContainTextAsync("You have signed out");
        var watch = Stopwatch.StartNew();

        var after = await copy.GetAsync("/users/export.csv");
        output.WriteLine($"copied cookie after sign-out: {(int)after.StatusCode} {after.Headers.Location}, first request {watch.Elapsed.TotalMilliseconds:F0} ms after the sign-out page showed");

        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/signin", after.Headers.Location!.PathAndQuery);
        Assert.DoesNotContain("text/csv", after.Content.Headers.ContentType?.MediaType ?? "");
        await page.CloseAsync();
    }

    [Fact]
    public async Task SignOut_PostWithoutAntiforgeryToken_IsRefusedAndTheSessionStays()
    {
        var page = await server.SignInAsync("Support · Contoso");
        using var copy = await CopyCookiesAsync(page, server.BaseUrl);

        // What a hostile page's auto-submitting form sends: the victim's cookies, no token.
        var forged = await copy.PostAsync("/signout", new FormUrlEncodedContent([]));
        var bare = await copy.PostAsync("/signout", null);

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, bare.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await copy.GetAsync("/users/export.csv")).StatusCode);
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard", Level = 1 })).ToBeVisibleAsync();
        await page.CloseAsync();
    }

    [Fact]
    public async Task EndSession_WhileACircuitIsOpen_EndsTheCircuit()
    {
        var editor = await server.QueryAsync(db => db.Users.Where(u => u.PortalRole == PortalRole.Editor && u.Customer!.Slug == "contoso" && u.OidcSubject != null)
            .Select(u => u.Id).FirstAsync());
        var page = await server.SignInAsync("Editor · Contoso");
        await page.Locator("[data-interactive=true]").WaitForAsync();
        long sessionId = await server.QueryAsync(db => db.PortalSessions.Where(s => s.UserId == editor && s.EndedAt == null)
            .OrderByDescending(s => s.StartedAt).Select(s => s.Id).FirstAsync());

        // As the sessions list of a later issue will: end one session, nothing else about the user changes.
        await server.Services.GetRequiredService<PortalSessionService>().EndAsync(sessionId, SessionEndReason.Ended, "test", null, "end_session");

        await Expect(page.GetByTestId("sign-in-message")).ToContainTextAsync("Your session has ended", new() { Timeout = 20_000 });
        await page.CloseAsync();
    }
}
