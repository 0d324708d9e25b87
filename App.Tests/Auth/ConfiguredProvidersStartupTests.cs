using AdminPortal.Tests.Infrastructure;
using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace AdminPortal.Tests.Auth;

/// <summary>
/// A configured provider with invalid options never takes the portal down: it is left out with one error in the log,
/// the other providers keep working, and /health/ready says Degraded with the reason.
/// </summary>
public class ConfiguredProvidersStartupTests
{
    /// <summary>The real portal (in memory) on a fresh SQLite file, with the given settings and a log the test can read.</summary>
    private sealed class Portal(string environment, Dictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        private readonly string folder = Directory.CreateTempSubdirectory("adminportal-configured-").FullName;

        public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Logs { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment(environment);
            builder.UseSetting("ConnectionStrings:Portal", $"Data Source={Path.Combine(folder, "portal.db")}");
            builder.UseSetting("Auth:DevIdentityProvider", "false");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureLogging(logging => logging.AddProvider(new CapturingLoggerProvider(Logs)));
        }

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            TempFolder.Delete(folder);
        }
    }

    private static readonly Dictionary<string, string?> OneGoodTwoBroken = new()
    {
        ["Authentication:Oidc:plainhttp:DisplayName"] = "Plain HTTP IdP",
        ["Authentication:Oidc:plainhttp:Authority"] = "http://sso.plain.example/realms/a",
        ["Authentication:Oidc:plainhttp:ClientId"] = "portal",
        ["Authentication:Oidc:plainhttp:ClientSecret"] = "plain-secret-5e1b",
        ["Authentication:Oidc:noclient:DisplayName"] = "No Client IdP",
        ["Authentication:Oidc:noclient:Authority"] = "https://sso.noclient.example/realms/b",
        ["Authentication:Oidc:good:DisplayName"] = "Good IdP",
        ["Authentication:Oidc:good:Authority"] = "https://sso.good.example/realms/c",
        ["Authentication:Oidc:good:ClientId"] = "portal",
    };

    [Fact]
    public async Task Start_HttpAuthorityAndMissingClientId_PortalAnswers_ReadyIsDegradedWithReasons_OneErrorEach()
    {
        using var portal = new Portal("Development", OneGoodTwoBroken);
        using var client = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        var home = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, home.StatusCode);
        Assert.Equal("/signin", home.Headers.Location!.AbsolutePath);

        var signIn = await client.GetAsync("/signin");
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        string signInPage = await signIn.Content.ReadAsStringAsync();
        Assert.Contains("Good IdP", signInPage);
        Assert.DoesNotContain("Plain HTTP IdP", signInPage);
        Assert.DoesNotContain("No Client IdP", signInPage);

        // The valid provider's challenge still works (its discovery fails here, so it says so instead of a 500).
        var challenge = await client.GetAsync("/signin/challenge/oidc-good");
        Assert.NotEqual(HttpStatusCode.InternalServerError, challenge.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/signin/challenge/oidc-plainhttp")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        foreach (string path in new[] { "/health/ready", "/health" })
        {
            var ready = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode); // Degraded still serves traffic
            string body = await ready.Content.ReadAsStringAsync();
            Assert.StartsWith("Degraded\n", body);
            Assert.Contains("Authentication:Oidc:plainhttp: Authority uses plain http", body);
            Assert.Contains("Authentication:Oidc:noclient: ClientId is missing", body);
            Assert.DoesNotContain("Authentication:Oidc:good", body);
            Assert.DoesNotContain("plain-secret", body);
        }

        // (The demo data's user sync logs errors of its own here: it talks to providers that do not exist.)
        var errors = portal.Logs.Where(l => l.Level >= LogLevel.Error && (l.Message.Contains("Authentication:") || l.Category.Contains("ConfiguredProvider"))).ToList();
        Assert.Single(errors, e => e.Message.Contains("Authentication:Oidc:plainhttp"));
        Assert.Single(errors, e => e.Message.Contains("Authentication:Oidc:noclient"));
        Assert.Equal(2, errors.Count);
        Assert.DoesNotContain(portal.Logs, l => l.Message.Contains("plain-secret"));
    }

    [Fact]
    public async Task Start_HttpAuthorityWithTheDevelopmentSetting_InDevelopment_IsOffered()
    {
        using var portal = new Portal("Development", new()
        {
            ["Authentication:Oidc:local:DisplayName"] = "Local Keycloak",
            ["Authentication:Oidc:local:Authority"] = "http://127.0.0.1:9/realms/dev",
            ["Authentication:Oidc:local:ClientId"] = "portal",
            ["Authentication:Oidc:local:AllowHttpAuthority"] = "true",
        });
        using var client = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        Assert.Contains("Local Keycloak", await client.GetStringAsync("/signin"));
        Assert.Equal("Healthy", await client.GetStringAsync("/health/ready"));
        // Offered, and its challenge reaches discovery (nothing listens there): back to the sign-in page, not a 500.
        var challenge = await client.GetAsync("/signin/challenge/oidc-local");
        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        Assert.Equal("/signin?reason=ProviderUnavailable", challenge.Headers.Location!.OriginalString);
        Assert.DoesNotContain(portal.Logs, l => l.Level >= LogLevel.Error && (l.Message.Contains("Authentication:") || l.Category.Contains("ConfiguredProvider")));
    }

    [Fact]
    public async Task Start_DevelopmentHttpSettingOutsideDevelopment_IsAConfigurationProblem_NotACrash()
    {
        using var portal = new Portal("Production", new()
        {
            ["Authentication:Oidc:local:DisplayName"] = "Local Keycloak",
            ["Authentication:Oidc:local:Authority"] = "http://127.0.0.1:9/realms/dev",
            ["Authentication:Oidc:local:ClientId"] = "portal",
            ["Authentication:Oidc:local:AllowHttpAuthority"] = "true",
        });
        using var client = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).StatusCode);
        Assert.DoesNotContain("Local Keycloak", await client.GetStringAsync("/signin"));
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("Authentication:Oidc:local: AllowHttpAuthority=true is set outside Development (environment: Production)", await ready.Content.ReadAsStringAsync());
        Assert.Single(portal.Logs, l => l.Level >= LogLevel.Error && l.Message.Contains("Authentication:Oidc:local"));
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<(LogLevel, string, string)> logs) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, logs);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<(LogLevel, string, string)> logs) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                logs.Enqueue((logLevel, category, formatter(state, exception) + " " + exception));
        }
    }
}
