using System.Net;
using System.Net.Sockets;
using System.Text;
using AdminPortal.App.Data;
using AdminPortal.App.Features;
using Microsoft.AspNetCore.Builder;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdminPortal.Tests.Features.Users;

/// <summary>
/// The user sync calls addresses that customer admins type: it goes through the providers' network policy, follows
/// no redirect, and stores only a category of error where the admin reads it.
/// </summary>
public class UserSyncNetworkPolicyTests
{
    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "AdminPortal";
        public string ContentRootPath { get; set; } = "/";
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }

    /// <summary>The sync target as the app wires it (FeaturesSetup), in <paramref name="environment"/>, contacting every provider.</summary>
    private static DiscoveryDocumentSyncTarget Target(string environment)
    {
        var hostEnvironment = new Environment(environment);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Sync:LoopbackOnly"] = "false" }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IHostEnvironment>(hostEnvironment);
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<ProviderNetworkPolicy>();
        services.AddHttpClient(nameof(DiscoveryDocumentSyncTarget), client => client.Timeout = TimeSpan.FromSeconds(5))
            .ConfigurePrimaryHttpMessageHandler(provider => provider.GetRequiredService<ProviderNetworkPolicy>().CreateHandler());
        var built = services.BuildServiceProvider();
        return new DiscoveryDocumentSyncTarget(built.GetRequiredService<IHttpClientFactory>(), null!, configuration, hostEnvironment, NullLogger<DiscoveryDocumentSyncTarget>.Instance);
    }

    /// <summary>The registration the app really uses, read from FeaturesSetup's service collection.</summary>
    [Fact]
    public void FeaturesSetup_SyncHttpClient_UsesTheNetworkPolicyHandler()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Services.AddSingleton<ProviderNetworkPolicy>();
        builder.AddFeatures();
        using var services = builder.Services.BuildServiceProvider();
        var options = services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.Extensions.Http.HttpClientFactoryOptions>>().Get(nameof(DiscoveryDocumentSyncTarget));
        var handlerBuilder = new TestHandlerBuilder(services);
        foreach (var action in options.HttpMessageHandlerBuilderActions)
        {
            action(handlerBuilder);
        }

        var handler = Assert.IsType<SocketsHttpHandler>(handlerBuilder.PrimaryHandler);
        Assert.False(handler.AllowAutoRedirect);
        Assert.NotNull(handler.ConnectCallback);
    }

    private sealed class TestHandlerBuilder(IServiceProvider services) : Microsoft.Extensions.Http.HttpMessageHandlerBuilder
    {
        public override string? Name { get; set; }
        public override HttpMessageHandler PrimaryHandler { get; set; } = new HttpClientHandler();
        public override IList<DelegatingHandler> AdditionalHandlers { get; } = [];
        public override IServiceProvider Services => services;
        public override HttpMessageHandler Build() => PrimaryHandler;
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task Sync_LoopbackAuthorityOutsideDevelopment_IsRefusedWithoutConnecting(string host)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var result = await Target("Production").SyncAsync(new User { Id = 1 }, [("Inner", $"http://{host}:{port}")], CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal(SyncErrors.RefusedByPolicy("Inner"), result.Error);
        await Task.Delay(200);
        Assert.False(listener.Pending(), "the sync connected to the loopback listener");
    }

    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("[fd00::1]")]
    [InlineData("224.0.0.1")]
    public async Task Sync_PrivateOrLinkLocalAuthority_IsRefusedByPolicy(string host)
    {
        var result = await Target("Production").SyncAsync(new User { Id = 1 }, [("Inner", $"http://{host}:8080")], CancellationToken.None);

        Assert.Equal(SyncErrors.RefusedByPolicy("Inner"), result.Error);
    }

    [Fact]
    public async Task Sync_RedirectingProvider_IsNotFollowed_AndTheStoredErrorNamesNoAddress()
    {
        using var target = new TcpListener(IPAddress.Loopback, 0);
        target.Start();
        int targetPort = ((IPEndPoint)target.LocalEndpoint).Port;
        using var redirector = new TcpListener(IPAddress.Loopback, 0);
        redirector.Start();
        int redirectorPort = ((IPEndPoint)redirector.LocalEndpoint).Port;
        var answer = Task.Run(async () =>
        {
            using var client = await redirector.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var buffer = new byte[4096];
            await stream.ReadAsync(buffer);
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{targetPort}/.well-known/openid-configuration\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
        });

        // Development: loopback is allowed, so only the redirect rule stands between the sync and the second server.
        var result = await Target("Development").SyncAsync(new User { Id = 1 }, [("Redirecting", $"http://127.0.0.1:{redirectorPort}")], CancellationToken.None);
        await answer;

        Assert.Equal(SyncErrors.Redirected("Redirecting"), result.Error);
        await Task.Delay(200);
        Assert.False(target.Pending(), "the redirect was followed");
        Assert.DoesNotContain("127.0.0.1", result.Error);
        Assert.DoesNotContain(redirectorPort.ToString(), result.Error);
    }

    [Fact]
    public async Task Sync_NothingListening_StoresOnlyTheCategory()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // a closed port: connection refused

        var result = await Target("Development").SyncAsync(new User { Id = 1 }, [("Closed", $"http://127.0.0.1:{port}")], CancellationToken.None);

        Assert.Equal(SyncErrors.Unreachable("Closed"), result.Error);
    }

    [Theory, BothProviders]
    public async Task SyncWorker_ProviderOnAnInnerAddress_StoresTheGenericErrorWithoutConnecting(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        long userId;
        string providerName;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            // A customer admin points their enabled provider at the portal's own machine.
            var mapping = await context.Db.UserCiamMappings.Include(m => m.CiamSystem).Include(m => m.User)
                .Where(m => m.CiamSystem!.CustomerId != null && !context.Db.UserCiamMappings.Any(o => o.UserId == m.UserId && o.Id != m.Id))
                .OrderBy(m => m.Id).FirstAsync();
            // Only this user is due, so the worker's batch holds nothing else.
            foreach (var other in await context.Db.Users.Where(u => u.Id != mapping.UserId && u.SyncStatus == SyncStatus.Pending).ToListAsync())
            {
                other.SyncStatus = SyncStatus.Synced;
            }

            mapping.CiamSystem!.IsEnabled = true;
            mapping.CiamSystem.Authority = $"http://127.0.0.1:{port}";
            mapping.User!.SyncStatus = SyncStatus.Pending;
            userId = mapping.UserId;
            providerName = mapping.CiamSystem.Name;
            await context.Db.SaveChangesAsync();
        }

        var worker = new UserSyncWorker(database.Services.GetRequiredService<IServiceScopeFactory>(), Target("Production"), new UserSyncNotifier(),
            new ConfigurationBuilder().Build(), TimeProvider.System, new Microsoft.Extensions.Hosting.Internal.ApplicationLifetime(NullLogger<Microsoft.Extensions.Hosting.Internal.ApplicationLifetime>.Instance), NullLogger<UserSyncWorker>.Instance);
        await worker.RunOnceAsync();

        await using var check = await database.ContextAsync(TenantScope.System());
        var user = await check.Db.Users.SingleAsync(u => u.Id == userId);
        Assert.Equal(SyncStatus.Failed, user.SyncStatus);
        Assert.Contains(SyncErrors.RefusedByPolicy(providerName), user.LastSyncError);
        Assert.DoesNotContain("127.0.0.1", user.LastSyncError);
        Assert.False(listener.Pending(), "the sync connected to the portal's own machine");
    }
}
