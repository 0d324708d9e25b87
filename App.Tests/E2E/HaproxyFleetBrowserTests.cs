using System.Diagnostics;
using System.Net;
using System.Text;
using AdminPortal.App.Data;
using AdminPortal.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>Runs only where Debian's haproxy is installed (./test.sh installs it, so CI never skips); says why otherwise.</summary>
public sealed class HaproxyFactAttribute : FactAttribute
{
    public static string? Executable { get; } = new[] { "/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy" }.FirstOrDefault(File.Exists);

    public HaproxyFactAttribute()
    {
        if (Executable is null)
        {
            Skip = "haproxy is not installed (apt-get install haproxy); ./test.sh installs it.";
        }
    }
}

/// <summary>
/// The fleet as docs/deployment.md describes it: deploy/haproxy.cfg (Debian's haproxy) in front of two portal processes
/// on one PostgreSQL database, and a Chromium that only ever talks to haproxy.
/// </summary>
public class HaproxyFleetBrowserTests(ITestOutputHelper output)
{
    private sealed class Haproxy : IAsyncDisposable
    {
        private readonly Process process;
        private readonly StringBuilder printed = new();

        public Haproxy(IDictionary<string, string> environment, params string[] arguments)
        {
            var start = new ProcessStartInfo(HaproxyFactAttribute.Executable!) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryRoot.Path };
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }

            process = Process.Start(start)!;
            process.OutputDataReceived += (_, line) => { if (line.Data is not null) { lock (printed) { printed.AppendLine(line.Data); } } };
            process.ErrorDataReceived += (_, line) => { if (line.Data is not null) { lock (printed) { printed.AppendLine(line.Data); } } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public string Output { get { lock (printed) { return printed.ToString(); } } }

        public async Task<int> ExitCodeAsync()
        {
            await process.WaitForExitAsync();
            process.WaitForExit();
            return process.ExitCode;
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }
    }

    private static PortalProcess StartPortal(TestDatabase database, string instance, int port) => PortalProcess.Start(new Dictionary<string, string?>
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["Database__Provider"] = "Postgres",
        ["ConnectionStrings__Portal"] = database.Options.ConnectionString,
        // The development sign-in on PostgreSQL must be asked for; it stays loopback-only.
        ["Auth__DevIdentityProvider"] = "true",
        // haproxy runs on this machine: its X-Forwarded-* headers are honoured, nobody else's.
        ["ForwardedHeaders__KnownProxies"] = "127.0.0.1",
        ["Observability__InstanceId"] = instance,
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        ["Logging__LogLevel__AdminPortal.App.Features.Users.DiscoveryDocumentSyncTarget"] = "Error",
    }, dotnetRun: false, "--urls", $"http://127.0.0.1:{port}");

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> explain)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(explain());
            }

            await Task.Delay(250);
        }
    }

    [HaproxyFact]
    public async Task TwoPortalsBehindHaproxy_StickToOneInstance_AndFailOverWithoutSigningInAgain()
    {
        await using var database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Postgres, seed: true);
        int proxyPort = PortalProcess.FreePort(), portA = PortalProcess.FreePort(), portB = PortalProcess.FreePort();
        var portals = new Dictionary<string, PortalProcess>();
        var environment = new Dictionary<string, string>
        {
            ["PORTAL_BIND"] = $"127.0.0.1:{proxyPort}",
            ["PORTAL_A"] = $"127.0.0.1:{portA}",
            ["PORTAL_B"] = $"127.0.0.1:{portB}",
        };
        Haproxy? running = null;
        try
        {
            // The very file docs/deployment.md shows.
            await using (var check = new Haproxy(environment, "-c", "-f", "deploy/haproxy.cfg"))
            {
                Assert.True(await check.ExitCodeAsync() == 0, check.Output);
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            // One after the other, as docs/deployment.md says for a new database: the first creates the Data Protection
            // key that both then share.
            foreach (var (name, port) in new[] { ("portal-a", portA), ("portal-b", portB) })
            {
                portals[name] = StartPortal(database, name, port);
                var ready = await portals[name].WaitForAsync(http, $"http://127.0.0.1:{port}/health/ready", TimeSpan.FromMinutes(3));
                Assert.True(ready.StatusCode == HttpStatusCode.OK, $"{name}: {(int)ready.StatusCode}\n{portals[name].Output}");
            }

            await using var haproxy = running = new Haproxy(environment, "-f", "deploy/haproxy.cfg", "-db");
            // Both instances pass haproxy's health check: round robin (no cookie yet) answers from each.
            var seen = new HashSet<string>();
            await WaitUntilAsync(async () =>
            {
                try
                {
                    using var response = await http.GetAsync($"http://127.0.0.1:{proxyPort}/health/ready");
                    if (response.StatusCode == HttpStatusCode.OK && response.Headers.TryGetValues("X-Portal-Instance", out var instance))
                    {
                        seen.Add(instance.Single());
                    }
                }
                catch (HttpRequestException)
                {
                }

                return seen.Count == 2;
            }, TimeSpan.FromSeconds(30), () => $"haproxy did not answer from both instances ({string.Join(", ", seen)}):\n{haproxy.Output}");

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = "/usr/bin/chromium",
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
            });
            string proxy = $"http://127.0.0.1:{proxyPort}";
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
            // Which instance answered each request the browser sent to haproxy, and the WebSockets it opened.
            var answeredBy = new List<(string Url, string Instance)>();
            var sockets = new List<string>();
            page.Response += (_, response) =>
            {
                if (response.Url.StartsWith(proxy, StringComparison.Ordinal) && response.Headers.TryGetValue("x-portal-instance", out var instance))
                {
                    lock (answeredBy) { answeredBy.Add((response.Url, instance)); }
                }
            };
            page.WebSocket += (_, socket) => { lock (sockets) { sockets.Add(socket.Url); } };

            await page.GotoAsync(proxy + "/");
            await page.GetByRole(AriaRole.Link, new() { Name = "Development sign-in (OpenID Connect)" }).ClickAsync();
            // Generous timeouts: the OIDC code flow makes each instance call itself, which is slow on a busy machine.
            page.SetDefaultTimeout(90_000);
            await page.GetByRole(AriaRole.Button).Filter(new() { HasText = "Support · Contoso" }).First.ClickAsync();
            await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 120_000 });
            Assert.StartsWith(proxy, page.Url);

            // The circuit works through the proxy: the filter is applied by the server, over the WebSocket.
            await page.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Users", Level = 1 })).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await Expect(page.GetByTestId("user-total")).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await page.GetByLabel("Sync", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Failed" });
            await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("sync=Failed"), new() { Timeout = 30_000 });
            await Expect(page.Locator("[data-user-id] .mud-chip").Filter(new() { HasNotText = "Failed" })).ToHaveCountAsync(0, new() { Timeout = 30_000 });
            Assert.Contains(sockets, url => url.StartsWith($"ws://127.0.0.1:{proxyPort}/_blazor", StringComparison.Ordinal));

            // Sticky: every request of this browser that went through haproxy was answered by one instance, the one
            // its cookie names.
            var sticky = (await page.Context.CookiesAsync([proxy])).Single(c => c.Name == "portal_server").Value;
            string first = sticky == "a" ? "portal-a" : "portal-b", other = first == "portal-a" ? "portal-b" : "portal-a";
            List<(string Url, string Instance)> before;
            lock (answeredBy) { before = [.. answeredBy]; }
            output.WriteLine($"before failover: {before.Count} responses through haproxy, answered by {string.Join(", ", before.Select(r => r.Instance).Distinct())}; cookie portal_server={sticky}");
            Assert.True(before.Count >= 3, string.Join("\n", before));
            Assert.All(before, response => Assert.Equal(first, response.Instance));
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("fleet-before-failover.png") });

            // The instance dies (kill -9); the browser reloads and carries on on the other one, still signed in.
            await portals[first].DisposeAsync();
            portals.Remove(first);
            lock (answeredBy) { answeredBy.Clear(); }
            await page.ReloadAsync();
            await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 120_000 });
            Assert.StartsWith(proxy + "/users", page.Url);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Users", Level = 1 })).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
            // Still interactive, now on the other instance's circuit.
            await page.GetByLabel("Sync", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Synced" });
            await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("sync=Synced"), new() { Timeout = 30_000 });
            await Expect(page.Locator("[data-user-id] .mud-chip").Filter(new() { HasNotText = "Synced" })).ToHaveCountAsync(0, new() { Timeout = 30_000 });

            List<(string Url, string Instance)> after;
            lock (answeredBy) { after = [.. answeredBy]; }
            output.WriteLine($"after failover: {after.Count} responses, answered by {string.Join(", ", after.Select(r => r.Instance).Distinct())}");
            Assert.NotEmpty(after);
            Assert.All(after, response => Assert.Equal(other, response.Instance));
            Assert.DoesNotContain(after, response => response.Url.Contains("/signin", StringComparison.OrdinalIgnoreCase) || response.Url.Contains("/dev-idp", StringComparison.Ordinal));
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("fleet-after-failover.png") });
        }
        catch
        {
            // What each process printed, to see where a request went.
            output.WriteLine($"haproxy:\n{running?.Output}");
            foreach (var (name, portal) in portals)
            {
                output.WriteLine($"{name}:\n{portal.Output}");
            }

            throw;
        }
        finally
        {
            foreach (var portal in portals.Values)
            {
                await portal.DisposeAsync();
            }
        }
    }
}
