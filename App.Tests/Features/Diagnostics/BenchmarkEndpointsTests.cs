using AdminPortal.Tests.Infrastructure;
using System.Net;
using System.Net.Http.Json;
using AdminPortal.App.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Diagnostics;

/// <summary>The heap/CPU endpoint for ./bench.sh circuits exists only when asked for, and only in Development.</summary>
public class BenchmarkEndpointsTests
{
    private sealed class Portal(string environment, string? setting) : WebApplicationFactory<Program>
    {
        public readonly string Folder = Directory.CreateTempSubdirectory("adminportal-diag-").FullName;

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment(environment);
            builder.UseSetting("ConnectionStrings:Portal", $"Data Source={Path.Combine(Folder, "portal.db")}");
            builder.UseSetting("urls", "http://127.0.0.1:0");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            if (setting is not null)
            {
                builder.UseSetting(BenchmarkEndpoints.Setting, setting);
            }
        }

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            TempFolder.Delete(Folder);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("false")]
    public async Task Default_TheEndpointIsNotMapped(string? setting)
    {
        using var portal = new Portal("Development", setting);
        using var client = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        var response = await client.GetAsync(BenchmarkEndpoints.Path);

        // Not mapped: no endpoint has the route, and the path is just another unknown page, which the fallback
        // policy sends an anonymous caller to sign in for (a 302, where the mapped endpoint would answer 200 JSON).
        var routes = portal.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().Select(e => "/" + e.RoutePattern.RawText?.TrimStart('/'));
        Assert.DoesNotContain(BenchmarkEndpoints.Path, routes);
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Contains("/signin", response.Headers.Location?.ToString() ?? "", StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("heapBytes", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task On_InDevelopment_AnswersHeapAndCpuToLoopback()
    {
        using var portal = new Portal("Development", "true");
        portal.UseKestrel(0);
        portal.StartServer();
        string baseUrl = portal.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("localhost", "127.0.0.1").TrimEnd('/');
        using var client = new HttpClient();

        var snapshot = await client.GetFromJsonAsync<BenchmarkSnapshot>(baseUrl + BenchmarkEndpoints.Path);

        Assert.NotNull(snapshot);
        Assert.InRange(snapshot.HeapBytes, 1_000_000, 4_000_000_000);
        Assert.True(snapshot.CpuMilliseconds > 0);
        // Start-up alone allocates megabytes; a second reading has allocated more (this request's own work at least).
        Assert.True(snapshot.AllocatedBytes > snapshot.HeapBytes / 10, $"allocated {snapshot.AllocatedBytes}");
        var later = await client.GetFromJsonAsync<BenchmarkSnapshot>(baseUrl + BenchmarkEndpoints.Path + "?collect=false");
        Assert.True(later!.AllocatedBytes > snapshot.AllocatedBytes);
        Assert.True(snapshot.Gen0Collections >= 1, "the first reading forced a full collection, which counts as a gen-0 one too");
        Assert.True(later.Gen0Collections >= snapshot.Gen0Collections);
        // The process's context switches (getrusage): a started server's threads have slept and woken many times.
        Assert.True(snapshot.ContextSwitches > 10, $"context switches {snapshot.ContextSwitches}");
        Assert.True(later.ContextSwitches >= snapshot.ContextSwitches);
    }

    [Fact]
    public void On_InProduction_StartUpIsRefused()
    {
        using var portal = new Portal("Production", "true");

        var error = Assert.ThrowsAny<Exception>(() => portal.CreateClient());

        Assert.Contains("Diagnostics:BenchmarkEndpoints is on outside Development (environment: Production)", error.ToString());
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData(null, false)]
    public void InboundActivityTimer_IsACircuitHandlerOnlyWithTheSetting(string? setting, bool registered)
    {
        using var portal = new Portal("Development", setting);
        using var scope = portal.Services.CreateScope();

        var handlers = scope.ServiceProvider.GetServices<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler>();

        Assert.Equal(registered, handlers.OfType<InboundActivityTimer>().Any());
    }

    [Fact]
    public async Task InboundActivityTimer_TimesEachMessage_FailedOnesToo_AndTakeForgetsThem()
    {
        var timer = new InboundActivityTimer();
        InboundActivityTimer.Take();
        var slow = timer.CreateInboundActivityHandler(_ => Task.Delay(60));
        var failing = timer.CreateInboundActivityHandler(_ => Task.FromException(new InvalidOperationException("hostile <script>")));

        await slow(null!);
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing(null!));

        var taken = InboundActivityTimer.Take();
        Assert.Contains(taken, ms => ms >= 55);
        Assert.True(taken.Length >= 2, $"{taken.Length} timed");
        Assert.DoesNotContain(InboundActivityTimer.Take(), ms => ms >= 55);
    }
}
