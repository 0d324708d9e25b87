using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using AdminPortal.Tests.E2E;
using AdminPortal.Tests.Infrastructure;

namespace AdminPortal.Tests.Observability;

/// <summary>The Prometheus scrape endpoint and the console log formats, on a real portal (Kestrel, Chromium, or its own process).</summary>
public class ObservabilityTests
{
    [Fact]
    public async Task Metrics_ByDefault_NotServed()
    {
        var server = new PortalServer();
        await using var stop = await StartAsync(server);
        using var client = new HttpClient();

        using var response = await client.GetAsync(server.BaseUrl + "/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("adminportal_", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_Enabled_ShowsThePortalsMeterAfterASignIn()
    {
        var server = new PortalServer { ExtraSettings = { ["Observability:PrometheusEnabled"] = "true" } };
        await using var stop = await StartAsync(server);
        using var client = new HttpClient();

        var page = await server.SignInAsync("Editor · Contoso");
        string metrics = "";
        // Both the sign-in and the circuit, which a loaded machine can take a while to report.
        for (int attempt = 0; attempt < 120 && !(Regex.IsMatch(metrics, @"adminportal_circuits_open\S*\s+[1-9]") && metrics.Contains("adminportal_sign_ins_total", StringComparison.Ordinal)); attempt++)
        {
            await Task.Delay(250); // the exporter caches a scrape briefly
            using var response = await client.GetAsync(server.BaseUrl + "/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            metrics = await response.Content.ReadAsStringAsync();
        }

        string ours = string.Join("\n", metrics.Split('\n').Where(line => line.StartsWith("adminportal_", StringComparison.Ordinal)));
        Assert.True(Regex.IsMatch(metrics, @"adminportal_sign_ins_total\{[^}]*scheme=""dev-oidc""[^}]*\} [1-9]"), "The portal's metrics were:\n" + ours);
        // Other test hosts in this process (browser tests running beside this one) share the meter name, so "at least".
        Assert.Matches(@"adminportal_circuits_open\S*\s+[1-9]", metrics);
        Assert.Contains("http_server_request_duration_seconds", metrics); // ASP.NET Core's own instruments
        await page.CloseAsync();
    }

    [Fact]
    public async Task Metrics_Enabled_RefusedToAClientRelayedByAProxy()
    {
        // The proxy is on loopback, the client it relays is not: the endpoint is for the host's own scraper only.
        var server = new PortalServer
        {
            ExtraSettings = { ["Observability:PrometheusEnabled"] = "true", ["ForwardedHeaders:KnownProxies"] = "127.0.0.1" },
        };
        await using var stop = await StartAsync(server);
        using var client = new HttpClient();

        using var relayed = new HttpRequestMessage(HttpMethod.Get, server.BaseUrl + "/metrics") { Headers = { { "X-Forwarded-For", "203.0.113.9" } } };
        using var fromRemote = await client.SendAsync(relayed);
        using var local = await client.GetAsync(server.BaseUrl + "/metrics");

        Assert.Equal(HttpStatusCode.NotFound, fromRemote.StatusCode);
        Assert.DoesNotContain("adminportal_", await fromRemote.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
    }

    [Fact]
    public async Task Logs_JsonFormat_EveryLineParsesWithTimestampInstanceAndTraceIds()
    {
        string folder = Directory.CreateTempSubdirectory("adminportal-logs-").FullName;
        int port = PortalProcess.FreePort();
        try
        {
            var environment = new Dictionary<string, string?>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
                ["ConnectionStrings__Portal"] = $"Data Source={Path.Combine(folder, "portal.db")}",
                ["Logging__Format"] = "json",
                ["Observability__InstanceId"] = "portal-b \"7\"",
            };
            var portal = PortalProcess.Start(environment, dotnetRun: false,
                "--urls", $"http://127.0.0.1:{port}", "--Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics", "Information");
            await using (portal)
            {
                using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
                await portal.WaitForAsync(client, $"http://127.0.0.1:{port}/health/live", TimeSpan.FromSeconds(180));
                await client.GetAsync($"http://127.0.0.1:{port}/health/live?second");
                await Task.Delay(500);
            }

            var lines = portal.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var entries = lines.Select(line => JsonDocument.Parse(line).RootElement).ToList(); // throws on any line that is not JSON
            Assert.Contains(entries, e => e.GetProperty("category").GetString() == "AdminPortal.App.Data.DatabaseCommands");
            foreach (var entry in entries)
            {
                Assert.True(DateTimeOffset.TryParse(entry.GetProperty("timestamp").GetString(), out var at) && at.Offset == TimeSpan.Zero, entry.ToString());
                Assert.Equal("portal-b \"7\"", entry.GetProperty("instanceId").GetString());
                Assert.False(string.IsNullOrEmpty(entry.GetProperty("level").GetString()));
            }

            var request = entries.First(e => e.GetProperty("category").GetString() == "Microsoft.AspNetCore.Hosting.Diagnostics" && e.GetProperty("message").GetString()!.Contains("/health/live?second"));
            Assert.Matches("^[0-9a-f]{32}$", request.GetProperty("traceId").GetString());
            Assert.Matches("^[0-9a-f]{16}$", request.GetProperty("spanId").GetString());
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public async Task Logs_ByDefault_ReadableLinesWithUtcTimestamps()
    {
        string folder = Directory.CreateTempSubdirectory("adminportal-logs-").FullName;
        try
        {
            var environment = new Dictionary<string, string?>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
                ["ConnectionStrings__Portal"] = $"Data Source={Path.Combine(folder, "portal.db")}",
            };

            var (exitCode, output) = await PortalProcess.RunAsync(environment, "migrate");

            Assert.True(exitCode == 0, output);
            Assert.Matches(@"(?m)^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z info: AdminPortal\.App\.Data\.DatabaseCommands", output);
            Assert.DoesNotContain("{\"timestamp\"", output);
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    /// <summary>A portal (and its browser) for one test; disposing stops both and removes its database.</summary>
    private static async Task<IAsyncDisposable> StartAsync(PortalServer server)
    {
        await server.InitializeAsync();
        return new Stopper(server);
    }

    private sealed class Stopper(PortalServer server) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await ((IAsyncLifetime)server).DisposeAsync();
    }
}
