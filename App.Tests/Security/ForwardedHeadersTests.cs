using AdminPortal.Tests.Infrastructure;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Security;

/// <summary>
/// Behind a TLS-terminating proxy: a known proxy's X-Forwarded-Proto/-Host make the redirect URI https on the public
/// host and the session cookie Secure, through a whole sign-in with the development provider; anyone else's are ignored.
/// </summary>
public partial class ForwardedHeadersTests
{
    private const string PublicHost = "portal.example.test";

    /// <summary>The portal on a real socket (so that the connection has a real 127.0.0.1 address), trusting <paramref name="knownProxy"/>.</summary>
    private sealed class Portal : WebApplicationFactory<Program>
    {
        private readonly string folder = Directory.CreateTempSubdirectory("adminportal-proxy-").FullName;
        private readonly string knownProxy;
        private readonly int healthLimit;

        public Portal(string knownProxy, int healthLimit = 120)
        {
            this.knownProxy = knownProxy;
            this.healthLimit = healthLimit;
            UseKestrel(0);
            StartServer();
            BaseUrl = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("localhost", "127.0.0.1").TrimEnd('/');
        }

        public string BaseUrl { get; }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("ConnectionStrings:Portal", $"Data Source={Path.Combine(folder, "portal.db")}");
            builder.UseSetting("urls", "http://127.0.0.1:0");
            builder.UseSetting("ForwardedHeaders:KnownProxies", knownProxy);
            builder.UseSetting("RateLimits:Health:PermitLimit", healthLimit.ToString());
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
        }

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            TempFolder.Delete(folder);
        }
    }

    private sealed record SignInResult(string RedirectUri, IReadOnlyList<string> ChallengeCookies, string SessionCookie);

    [GeneratedRegex(@"<input[^>]*name=""(?<name>[^""]+)""[^>]*value=""(?<value>[^""]*)""|<input[^>]*value=""(?<value>[^""]*)""[^>]*name=""(?<name>[^""]+)""")]
    private static partial Regex HiddenInput();

    private static Dictionary<string, string> Inputs(string html) =>
        HiddenInput().Matches(html).GroupBy(m => m.Groups["name"].Value).ToDictionary(g => g.Key, g => WebUtility.HtmlDecode(g.First().Groups["value"].Value));

    private static void AddForwarded(HttpRequestMessage request)
    {
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", PublicHost);
    }

    /// <summary>
    /// Signs in as the platform admin with every request to the portal carrying the proxy's headers, as a browser behind
    /// the proxy would; the development provider itself is reached directly on loopback.
    /// </summary>
    private static async Task<SignInResult> SignInThroughProxyAsync(Portal portal)
    {
        // The portal's cookies are handled by hand (they may be Secure, for an https origin this client never sees).
        using var toPortal = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(portal.BaseUrl) };
        using var toProvider = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() });

        using var challengeRequest = new HttpRequestMessage(HttpMethod.Get, "/signin/challenge/dev-oidc");
        AddForwarded(challengeRequest);
        using var challenge = await toPortal.SendAsync(challengeRequest);
        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        var authorize = challenge.Headers.Location!;
        string redirectUri = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(authorize.Query)["redirect_uri"].ToString();
        var challengeCookies = challenge.Headers.GetValues("Set-Cookie").ToList();

        // The provider's login page (through its redirect), then the platform admin's form.
        using var toLogin = await toProvider.GetAsync(authorize);
        Assert.Equal(HttpStatusCode.Redirect, toLogin.StatusCode);
        string loginPage = await toProvider.GetStringAsync(new Uri(authorize, toLogin.Headers.Location!));
        string form = loginPage.Split("<form").Skip(1).First(f => f.Contains("Platform admin &#xB7; all customers"));
        using var login = await toProvider.PostAsync(new Uri(authorize, "/dev-idp/login"), new FormUrlEncodedContent(Inputs(form)));
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);

        // The authorization response: a form that posts the code to the redirect URI (response_mode=form_post).
        using var response = await toProvider.GetAsync(new Uri(authorize, login.Headers.Location!));
        string responsePage = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, responsePage);
        Assert.Contains($"action=\"{redirectUri}\"", responsePage);

        using var callbackRequest = new HttpRequestMessage(HttpMethod.Post, new Uri(redirectUri).AbsolutePath) { Content = new FormUrlEncodedContent(Inputs(responsePage)) };
        AddForwarded(callbackRequest);
        callbackRequest.Headers.Add("Cookie", string.Join("; ", challengeCookies.Select(c => c.Split(';')[0])));
        using var callback = await toPortal.SendAsync(callbackRequest);
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        string session = callback.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("adminportal.session=", StringComparison.Ordinal));
        return new SignInResult(redirectUri, challengeCookies, session);
    }

    [Fact]
    public async Task SignIn_ThroughAKnownProxy_RedirectUriIsThePublicHttpsOrigin_AndTheSessionCookieIsSecure()
    {
        using var portal = new Portal(knownProxy: "127.0.0.1");

        var result = await SignInThroughProxyAsync(portal);

        Assert.Equal($"https://{PublicHost}/signin-dev-oidc", result.RedirectUri);
        Assert.Contains("secure", result.SessionCookie, StringComparison.OrdinalIgnoreCase);
        Assert.All(result.ChallengeCookies, c => Assert.Contains("secure", c, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task SignIn_FromAnUnknownAddress_ForwardedHeadersAreIgnored()
    {
        // Only 10.9.8.7 is trusted; the test connects from 127.0.0.1.
        using var portal = new Portal(knownProxy: "10.9.8.7");

        var result = await SignInThroughProxyAsync(portal);

        Assert.Equal($"{portal.BaseUrl}/signin-dev-oidc", result.RedirectUri);
        Assert.DoesNotContain("secure", result.SessionCookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task RateLimit_BehindAKnownProxy_CountsEachClientAddress_NotTheProxy()
    {
        using var portal = new Portal(knownProxy: "127.0.0.1", healthLimit: 2);
        using var client = new HttpClient { BaseAddress = new Uri(portal.BaseUrl) };
        async Task<HttpStatusCode> HealthAsync(string clientAddress)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/health/live");
            request.Headers.Add("X-Forwarded-For", clientAddress);
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await HealthAsync("203.0.113.1"));
        Assert.Equal(HttpStatusCode.OK, await HealthAsync("203.0.113.1"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await HealthAsync("203.0.113.1"));
        // Another client behind the same proxy has its own allowance.
        Assert.Equal(HttpStatusCode.OK, await HealthAsync("203.0.113.2"));
    }
}
