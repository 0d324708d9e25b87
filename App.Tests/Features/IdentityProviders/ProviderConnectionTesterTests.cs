using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using AdminPortal.App.Features.IdentityProviders;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;

namespace AdminPortal.Tests.Features.IdentityProviders;

/// <summary>
/// A loopback identity provider with one good and several broken discovery documents, each under its own path
/// prefix; every address in them points back at this server.
/// </summary>
public sealed class StubIdentityProviders : IAsyncLifetime
{
    public const string GoodKeySet = """{"keys":[{"kty":"RSA","kid":"k1","n":"AQAB","e":"AQAB"}]}""";

    private WebApplication? app;

    public string BaseAddress { get; private set; } = "";

    public ServiceProvider Services { get; } = new ServiceCollection().AddHttpClient().BuildServiceProvider();

    public async Task InitializeAsync()
    {
        // No content root: the portal's appsettings.json copied next to the tests must not configure this server.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = Path.GetTempPath() });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        app = builder.Build();

        MapProvider(app, "/good");
        MapProvider(app, "/wrong-issuer", issuer: _ => "https://elsewhere.example/");
        MapProvider(app, "/no-keys", keySet: """{"keys":[]}""");
        // Multi-tenant Entra ID publishes an issuer template instead of the authority.
        MapProvider(app, "/common/v2.0", issuer: origin => origin + "/{tenantid}/v2.0");
        app.MapGet("/slow/.well-known/openid-configuration", async (HttpContext context) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted);
            return Results.Content("{}", "application/json");
        });
        app.MapGet("/invalid-json/.well-known/openid-configuration", () => Results.Content("""{"issuer": """, "application/json"));
        app.MapGet("/not-found/.well-known/openid-configuration", () => Results.NotFound());

        await app.StartAsync();
        // Kestrel replaces port 0 with the port it bound.
        BaseAddress = app.Urls.Single().TrimEnd('/');
    }

    public async Task DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }

        await Services.DisposeAsync();
    }

    private static void MapProvider(WebApplication app, string prefix, Func<string, string>? issuer = null, string keySet = GoodKeySet)
    {
        app.MapGet(prefix + "/.well-known/openid-configuration", (HttpRequest request) =>
        {
            string origin = $"{request.Scheme}://{request.Host}";
            var document = new Dictionary<string, string>
            {
                ["issuer"] = issuer?.Invoke(origin) ?? origin + prefix,
                ["authorization_endpoint"] = origin + prefix + "/authorize",
                ["token_endpoint"] = origin + prefix + "/token",
                ["jwks_uri"] = origin + prefix + "/jwks",
            };
            return Results.Content(JsonSerializer.Serialize(document), "application/json");
        });
        app.MapGet(prefix + "/jwks", () => Results.Content(keySet, "application/json"));
        // As RFC 6749 5.2 has it: the client is authenticated first (invalid_client), then the made-up code is refused (invalid_grant).
        app.MapPost(prefix + "/token", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            return form["client_id"] == "stub-client" && form["client_secret"] == "right-secret"
                ? Results.Json(new { error = "invalid_grant" }, statusCode: 400)
                : Results.Json(new { error = "invalid_client", error_description = "secret " + form["client_secret"] }, statusCode: 401);
        });
    }
}

public class ProviderConnectionTesterTests(StubIdentityProviders server) : IClassFixture<StubIdentityProviders>
{
    private const string RedirectUri = "https://portal.example/signin-oidc-test";

    private ProviderConnectionTester Tester(string environmentName = "Development")
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["IdentityProviders:ConnectionTestTimeout"] = "00:00:01" })
            .Build();
        return new ProviderConnectionTester(
            server.Services.GetRequiredService<IHttpClientFactory>(),
            new HostingEnvironment { EnvironmentName = environmentName },
            configuration);
    }

    private Task<ConnectionTestResult> TestAsync(string prefix, CiamProviderType type = CiamProviderType.Oidc) =>
        Tester().TestAsync(type, server.BaseAddress + prefix, RedirectUri);

    private static ConnectionCheck Check(ConnectionTestResult result, string name) => Assert.Single(result.Checks, c => c.Name == name);

    [Fact]
    public async Task TestAsync_GoodProvider_PassesEveryCheckInOrder()
    {
        var result = await TestAsync("/good");

        Assert.Equal(
            ["Authority address", "Discovery document", "Issuer", "Authorization endpoint", "Token endpoint", "Signing keys (JWKS)", "Redirect URI"],
            result.Checks.Select(c => c.Name));
        Assert.All(result.Checks.SkipLast(1), c =>
        {
            Assert.Equal(CheckOutcome.Passed, c.Outcome);
            Assert.Null(c.Fix);
        });
        var redirect = result.Checks[^1];
        Assert.Equal(CheckOutcome.Info, redirect.Outcome);
        Assert.Equal(RedirectUri, redirect.Detail);
        Assert.Equal(RedirectUri, result.RedirectUri);
        Assert.Contains("1 key", Check(result, "Signing keys (JWKS)").Detail);
        Assert.True(result.Passed);
    }

    [Theory]
    [InlineData("stub-client", "right-secret", CheckOutcome.Passed)]
    [InlineData("stub-client", "wrong-secret", CheckOutcome.Failed)]
    [InlineData("other-client", "right-secret", CheckOutcome.Failed)]
    [InlineData("stub-client", null, CheckOutcome.Failed)]
    public async Task TestAsync_NoPushedAuthorizationEndpoint_ProvesTheCredentialsWithAMadeUpCode(string clientId, string? secret, CheckOutcome expected)
    {
        var result = await Tester().TestAsync(CiamProviderType.Oidc, server.BaseAddress + "/good", RedirectUri, default, new ProviderClientCredentials(clientId, secret));

        Assert.Equal(
            ["Authority address", "Discovery document", "Issuer", "Authorization endpoint", "Token endpoint", "Signing keys (JWKS)", "Client id and secret", "Redirect URI"],
            result.Checks.Select(c => c.Name));
        var check = Check(result, ProviderConnectionTester.ClientCredentialsCheck);
        Assert.Equal(expected, check.Outcome);
        Assert.Contains("made-up authorization code", check.Detail);
        Assert.Equal(expected == CheckOutcome.Failed, check.Detail.StartsWith(ProviderConnectionTester.RefusedCredentialsMessage, StringComparison.Ordinal));
        // Only the protocol error code is shown, never the provider's description (which here echoes the secret).
        if (secret is not null)
        {
            Assert.DoesNotContain(secret, check.Detail + check.Fix);
        }
        Assert.All(result.Checks.Where(c => c.Name != ProviderConnectionTester.ClientCredentialsCheck), c => Assert.NotEqual(CheckOutcome.Failed, c.Outcome));
    }

    [Fact]
    public async Task TestAsync_WrongIssuer_FailsTheIssuerWithBothValues()
    {
        var result = await TestAsync("/wrong-issuer");

        var issuer = Check(result, "Issuer");
        Assert.Equal(CheckOutcome.Failed, issuer.Outcome);
        Assert.Contains("https://elsewhere.example/", issuer.Detail);
        Assert.Contains(server.BaseAddress + "/wrong-issuer", issuer.Detail);
        Assert.False(string.IsNullOrWhiteSpace(issuer.Fix));
        Assert.Contains("https://elsewhere.example/", issuer.Fix);
        Assert.Equal(CheckOutcome.Passed, Check(result, "Signing keys (JWKS)").Outcome);
        Assert.False(result.Passed);
    }

    [Theory]
    [InlineData(CiamProviderType.EntraId, CheckOutcome.Passed)]
    [InlineData(CiamProviderType.Oidc, CheckOutcome.Failed)]
    public async Task TestAsync_MultiTenantIssuerTemplate_MatchesOnlyForEntraId(CiamProviderType type, CheckOutcome expected)
    {
        var result = await TestAsync("/common/v2.0", type);

        var issuer = Check(result, "Issuer");
        Assert.Equal(expected, issuer.Outcome);
        Assert.Contains("{tenantid}", issuer.Detail);
        Assert.Equal(expected == CheckOutcome.Passed, result.Passed);
    }

    [Fact]
    public async Task TestAsync_EmptyKeySet_FailsTheSigningKeys()
    {
        var result = await TestAsync("/no-keys");

        var keys = Check(result, "Signing keys (JWKS)");
        Assert.Equal(CheckOutcome.Failed, keys.Outcome);
        Assert.Contains("empty", keys.Detail);
        Assert.False(string.IsNullOrWhiteSpace(keys.Fix));
        Assert.Equal(CheckOutcome.Passed, Check(result, "Issuer").Outcome);
        Assert.False(result.Passed);
    }

    [Fact]
    public async Task TestAsync_SlowProvider_FailsTheDiscoveryDocumentAfterTheConfiguredTimeout()
    {
        var stopwatch = Stopwatch.StartNew();
        var result = await TestAsync("/slow");
        stopwatch.Stop();

        var discovery = Check(result, "Discovery document");
        Assert.Equal(CheckOutcome.Failed, discovery.Outcome);
        Assert.Contains("1 s", discovery.Detail);
        Assert.False(string.IsNullOrWhiteSpace(discovery.Fix));
        // The checks that need the document are left out, not failed.
        Assert.Equal(["Authority address", "Discovery document", "Redirect URI"], result.Checks.Select(c => c.Name));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(4), $"took {stopwatch.Elapsed}, the timeout is 1 s");
        Assert.False(result.Passed);
    }

    [Theory]
    [InlineData("/invalid-json", "JSON")]
    [InlineData("/not-found", "404")]
    public async Task TestAsync_BrokenDiscoveryDocument_FailsTheDiscoveryDocument(string prefix, string mentioned)
    {
        var result = await TestAsync(prefix);

        var discovery = Check(result, "Discovery document");
        Assert.Equal(CheckOutcome.Failed, discovery.Outcome);
        Assert.Contains(mentioned, discovery.Detail);
        Assert.False(string.IsNullOrWhiteSpace(discovery.Fix));
        Assert.Equal(["Authority address", "Discovery document", "Redirect URI"], result.Checks.Select(c => c.Name));
        Assert.False(result.Passed);
    }

    [Fact]
    public async Task TestAsync_NothingListening_FailsTheDiscoveryDocument()
    {
        // A port that was free a moment ago: the connection is refused.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var result = await Tester().TestAsync(CiamProviderType.Oidc, $"http://127.0.0.1:{port}/realm", RedirectUri);

        var discovery = Check(result, "Discovery document");
        Assert.Equal(CheckOutcome.Failed, discovery.Outcome);
        Assert.Contains($"127.0.0.1:{port}", discovery.Detail);
        Assert.False(result.Passed);
    }

    [Fact]
    public async Task TestAsync_HttpAuthorityInProduction_FailsTheAuthorityWithoutARequest()
    {
        var result = await Tester(Environments.Production).TestAsync(CiamProviderType.Oidc, server.BaseAddress + "/good", RedirectUri);

        var authority = Check(result, "Authority address");
        Assert.Equal(CheckOutcome.Failed, authority.Outcome);
        Assert.Contains("https", authority.Detail);
        Assert.False(string.IsNullOrWhiteSpace(authority.Fix));
        Assert.Equal(["Authority address", "Redirect URI"], result.Checks.Select(c => c.Name));
        Assert.False(result.Passed);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://idp.example/")]
    [InlineData("https://idp.example/?tenant=1")]
    public async Task TestAsync_AuthorityNotAnHttpAddress_FailsTheAuthority(string authority)
    {
        var result = await Tester().TestAsync(CiamProviderType.Oidc, authority, RedirectUri);

        Assert.Equal(CheckOutcome.Failed, Check(result, "Authority address").Outcome);
        Assert.Equal(["Authority address", "Redirect URI"], result.Checks.Select(c => c.Name));
    }

    [Theory]
    [InlineData("https://x.example", true, true)]
    [InlineData("https://x.example", false, true)]
    [InlineData("http://127.0.0.1:5/", true, true)]
    [InlineData("http://127.0.0.1:5/", false, false)]
    [InlineData("http://127.8.9.10/", true, true)]
    [InlineData("http://[::1]:5/", true, true)]
    [InlineData("http://localhost", true, true)]
    [InlineData("http://localhost", false, false)]
    [InlineData("http://example.com", true, false)]
    public void IsAcceptableEndpoint_HttpsOrLoopbackHttpInDevelopment(string uri, bool isDevelopment, bool expected)
    {
        Assert.Equal(expected, ProviderConnectionTester.IsAcceptableEndpoint(new Uri(uri), isDevelopment));
    }

    [Fact]
    public async Task TestAsync_CallerCancelled_Throws()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Tester().TestAsync(CiamProviderType.Oidc, server.BaseAddress + "/good", RedirectUri, cancelled.Token));
    }

    [Fact]
    public async Task TestAsync_CallerCancelsDuringTheRequest_ThrowsInsteadOfReportingATimeout()
    {
        using var cancelled = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Tester().TestAsync(CiamProviderType.Oidc, server.BaseAddress + "/slow", RedirectUri, cancelled.Token));
    }
}
