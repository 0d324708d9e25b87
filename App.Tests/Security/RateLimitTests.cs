using AdminPortal.Tests.Infrastructure;
using System.Net;
using System.Net.Sockets;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Sessions;
using AdminPortal.App.Tenancy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AdminPortal.Tests.Security;

/// <summary>The portal on a real socket with small, configured rate limits (the defaults are far larger).</summary>
public sealed class RateLimitedPortal : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const int HealthLimit = 3;
    public const int SignInLimit = 2;
    public const int ExportsLimit = 2;

    private readonly string folder = Directory.CreateTempSubdirectory("adminportal-ratelimit-").FullName;

    public RateLimitedPortal() => UseKestrel(0);

    public string BaseUrl { get; private set; } = "";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:Portal", $"Data Source={Path.Combine(folder, "portal.db")}");
        builder.UseSetting("urls", "http://127.0.0.1:0");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("RateLimits:Health:PermitLimit", HealthLimit.ToString());
        builder.UseSetting("RateLimits:SignIn:PermitLimit", SignInLimit.ToString());
        builder.UseSetting("RateLimits:Exports:PermitLimit", ExportsLimit.ToString());
        builder.UseSetting("RateLimits:Exports:Window", "00:05:00");
    }

    public Task InitializeAsync()
    {
        StartServer();
        BaseUrl = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("localhost", "127.0.0.1").TrimEnd('/');
        return Task.CompletedTask;
    }

    /// <summary>A client whose requests come from <paramref name="address"/> (any 127.x.y.z is this machine), following no redirects.</summary>
    public HttpClient ClientFrom(string address, string? cookie = null)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        var client = new HttpClient(handler) { BaseAddress = new Uri(BaseUrl) };
        if (cookie is not null)
        {
            client.DefaultRequestHeaders.Add("Cookie", cookie);
        }

        return client;
    }

    /// <summary>The session cookie of a real sign-in of the first user with <paramref name="role"/>, as the browser would hold it.</summary>
    public async Task<string> SessionCookieAsync(PortalRole role, string customerSlug)
    {
        string subject;
        await using (var scope = Services.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("test"));
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            subject = await db.UserCiamMappings
                .Where(m => m.CiamSystem!.Authority == DevIdentityProvider.Authority && m.User!.PortalRole == role && m.User.Customer!.Slug == customerSlug)
                .Select(m => m.ExternalSubject).FirstAsync();
        }

        var outcome = await Services.GetRequiredService<SignInService>()
            .SignInAsync(new ExternalIdentity(DevIdentityProvider.OidcScheme, "http://127.0.0.1/", subject, null, null, null, null), SessionOrigin.Unknown);
        var options = Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(AuthSetup.CookieScheme);
        var ticket = new AuthenticationTicket(outcome.Principal!, new AuthenticationProperties { ExpiresUtc = DateTimeOffset.UtcNow.AddHours(1) }, AuthSetup.CookieScheme);
        return $"{options.Cookie.Name}={options.TicketDataFormat.Protect(ticket)}";
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        TempFolder.Delete(folder);
    }
}

/// <summary>Rate limits over HTTP: N requests pass, the next gets 429 with Retry-After, and others are not affected.</summary>
public class RateLimitTests(RateLimitedPortal portal) : IClassFixture<RateLimitedPortal>
{
    [Fact]
    public async Task Health_OneAddressOverItsLimit_Gets429WithRetryAfter_AnotherAddressDoesNot()
    {
        using var busy = portal.ClientFrom("127.0.0.2");
        using var other = portal.ClientFrom("127.0.0.3");

        for (int i = 0; i < RateLimitedPortal.HealthLimit; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await busy.GetAsync("/health")).StatusCode);
        }

        var refused = await busy.GetAsync("/health");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
        Assert.Equal("text/plain", refused.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("Too many requests — try again in ", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task SignInChallenge_OverTheConfiguredLimit_ShowsABrowserThePageWithRetryAfter()
    {
        using var browser = portal.ClientFrom("127.0.0.4");
        browser.DefaultRequestHeaders.Add("Accept", "text/html,application/xhtml+xml");

        // The configured limit (2), far below the default (20): configuration decides.
        for (int i = 0; i < RateLimitedPortal.SignInLimit; i++)
        {
            Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync($"/signin/challenge/{DevIdentityProvider.OidcScheme}")).StatusCode);
        }

        var refused = await browser.GetAsync($"/signin/challenge/{DevIdentityProvider.OidcScheme}");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        Assert.Equal("text/html", refused.Content.Headers.ContentType!.MediaType);
        string html = await refused.Content.ReadAsStringAsync();
        Assert.Contains("<h1>Too many requests</h1>", html);
        Assert.Matches("try again in \\d+ seconds", html);
        Assert.True(RateLimitedPortal.SignInLimit < App.Security.RateLimits.Defaults[App.Security.RateLimits.SignIn].PermitLimit);
    }

    [Fact]
    public async Task Exports_OneUserOverTheLimit_IsRefused_AnotherUserOnTheSameAddressIsNot()
    {
        using var first = portal.ClientFrom("127.0.0.5", await portal.SessionCookieAsync(PortalRole.CustomerAdmin, "contoso"));
        using var second = portal.ClientFrom("127.0.0.5", await portal.SessionCookieAsync(PortalRole.CustomerAdmin, "fabrikam"));

        for (int i = 0; i < RateLimitedPortal.ExportsLimit; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await first.GetAsync(i % 2 == 0 ? "/users/export.csv" : "/audit/export.csv")).StatusCode);
        }

        var refused = await first.GetAsync("/users/export.csv");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.OK, (await second.GetAsync("/users/export.csv")).StatusCode);
    }
}
