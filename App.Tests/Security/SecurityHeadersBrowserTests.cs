using System.Net;
using AdminPortal.Tests.E2E;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.Security;

/// <summary>The security headers over HTTP, and the Content-Security-Policy in Chromium on every main page.</summary>
public class SecurityHeadersBrowserTests(PortalServer server, ITestOutputHelper output) : IClassFixture<PortalServer>
{
    [Theory]
    [InlineData("/signin")]
    [InlineData("/dev-idp/login")]
    [InlineData("/health")]
    public async Task Response_AnyPage_CarriesTheSecurityHeaders(string path)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(server.BaseUrl) };

        var response = await client.GetAsync(path);

        string csp = string.Join(" ", response.Headers.GetValues("Content-Security-Policy"));
        output.WriteLine($"{path}: {csp}");
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("object-src 'none'", csp);
        Assert.Contains("base-uri 'self'", csp);
        Assert.Contains("form-action 'self'", csp);
        Assert.Contains("connect-src 'self'", csp);
        Assert.Matches("script-src 'self'[^;]* 'nonce-", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
        Assert.DoesNotMatch("script-src[^;]*unsafe-inline", csp);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single(), ignoreCase: true);
        Assert.Equal("strict-origin-when-cross-origin", response.Headers.GetValues("Referrer-Policy").Single());
        string permissions = response.Headers.GetValues("Permissions-Policy").Single();
        Assert.Contains("camera=()", permissions);
        Assert.Contains("microphone=()", permissions);
        Assert.Contains("geolocation=()", permissions);
    }

    [Fact]
    public async Task SignInPage_InlineImportMap_CarriesTheNonceOfItsOwnResponse()
    {
        using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };

        var response = await client.GetAsync("/signin");

        string csp = string.Join(" ", response.Headers.GetValues("Content-Security-Policy"));
        string nonce = System.Text.RegularExpressions.Regex.Match(csp, "'nonce-([^']+)'").Groups[1].Value;
        string html = await response.Content.ReadAsStringAsync();
        Assert.Contains($"<script type=\"importmap\" nonce=\"{nonce}\"", html.Replace("&#x2B;", "+").Replace("&#x2F;", "/").Replace("&#x3D;", "="));
    }

    [Fact]
    public async Task Exports_Response_IsNeverCached()
    {
        var page = await server.SignInAsync("Platform admin");
        var cookies = await page.Context.CookiesAsync([server.BaseUrl]);
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(server.BaseUrl) };
        client.DefaultRequestHeaders.Add("Cookie", string.Join("; ", cookies.Select(c => $"{c.Name}={c.Value}")));

        foreach (string path in new[] { "/users/export.csv", "/audit/export.csv" })
        {
            var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(response.Headers.CacheControl?.NoStore, $"{path} has no Cache-Control: no-store");
        }

        await page.CloseAsync();
    }

    [Fact]
    public async Task EveryMainPage_UnderTheContentSecurityPolicy_ReportsNoViolationAndStaysInteractive()
    {
        var violations = new List<string>();
        var context = await server.Browser.NewContextAsync();
        // Every page of the context records violations as they happen; the console reports them too.
        await context.AddInitScriptAsync("document.addEventListener('securitypolicyviolation', e => (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI));");
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                violations.Add($"{page.Url}: {message.Text}");
            }
        };

        // The whole sign-in flow through the development provider, under the policy.
        await page.GotoAsync(server.BaseUrl + "/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Development sign-in (OpenID Connect)" }).ClickAsync();
        await page.GetByRole(AriaRole.Button).Filter(new() { HasText = "Platform admin" }).First.ClickAsync();
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });

        string[] paths = ["/", "/customers", "/sites", "/users", "/users/migration", "/posts", "/posts/new", "/identity-providers", "/identity-providers/new", "/audit", "/schema"];
        foreach (string path in paths)
        {
            await page.GotoAsync(server.BaseUrl + path);
            await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
            await page.WaitForTimeoutAsync(300);
            var recorded = await page.EvaluateAsync<string[]>("() => window.__csp || []");
            violations.AddRange(recorded.Select(v => $"{path}: {v}"));
        }

        // Interactive under the policy: the dark-mode toggle and a grid's pager work.
        await page.GotoAsync(server.BaseUrl + "/users");
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        var toggle = page.GetByRole(AriaRole.Button, new() { Name = "Switch to dark mode" });
        if (await toggle.CountAsync() == 0)
        {
            toggle = page.GetByRole(AriaRole.Button, new() { Name = "Switch to light mode" });
        }

        string before = (await toggle.GetAttributeAsync("aria-label"))!;
        await toggle.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = before })).ToHaveCountAsync(0);
        string firstUrl = page.Url;
        await page.GetByRole(AriaRole.Link, new() { Name = "Next page" }).ClickAsync();
        await Expect(page).Not.ToHaveURLAsync(firstUrl);
        violations.AddRange((await page.EvaluateAsync<string[]>("() => window.__csp || []")).Select(v => $"/users (interactive): {v}"));

        await context.CloseAsync();
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }
}
