using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// The real portal (Development, its own SQLite file, the development provider for the demo personas) with one
/// identity provider added at run time for Contoso, a <c>ciam_systems</c> row as the Identity providers page saves it,
/// pointing at a real, independent OpenID provider (<see cref="ThirdPartyOidcProvider"/>, oidc-provider over https).
/// </summary>
public sealed class HomeRealmPortal : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string ClientId = "portal-home-realm";
    public const string ProviderName = "Contoso Workforce SSO";

    private readonly string folder = Directory.CreateTempSubdirectory("adminportal-e2e-hrd-").FullName;
    private readonly string secret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    private IPlaywright? playwright;

    public HomeRealmPortal()
    {
        UseKestrel(0);
    }

    public ThirdPartyOidcProvider Provider { get; } = new();

    public string BaseUrl { get; private set; } = "";

    public IBrowser Browser { get; private set; } = null!;

    public long ContosoId { get; private set; }

    public long FabrikamId { get; private set; }

    public long ProviderId { get; private set; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:Portal", $"Data Source={Path.Combine(folder, "portal.db")}");
        builder.UseSetting("urls", "http://127.0.0.1:0");
        builder.UseSetting("RateLimits:SignIn:PermitLimit", "100000");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Warning");
        // TESTS ONLY: the runtime schemes' backchannel trusts the throw-away test CA (and so leaves the network policy).
        builder.ConfigureTestServices(services => services.AddSingleton<IConfigureOptions<OpenIdConnectOptions>>(new TrustTestCa(Provider)));
    }

    /// <summary>Registered after the portal's own runtime-scheme options, so that it wins for ciam-* schemes.</summary>
    private sealed class TrustTestCa(ThirdPartyOidcProvider provider) : IConfigureNamedOptions<OpenIdConnectOptions>
    {
        private readonly Lazy<HttpMessageHandler> handler = new(provider.CreateTrustingHandler);

        public void Configure(string? name, OpenIdConnectOptions options)
        {
            if (name?.StartsWith(ProviderSchemes.SchemePrefix, StringComparison.Ordinal) == true)
            {
                options.BackchannelHttpHandler = handler.Value;
            }
        }

        public void Configure(OpenIdConnectOptions options) => Configure(Options.DefaultName, options);
    }

    public async Task InitializeAsync()
    {
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseUrl = addresses.First().Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1").TrimEnd('/');

        var protector = Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(ProviderSchemes.ClientSecretPurpose);
        (ContosoId, FabrikamId, ProviderId) = await QueryAsync(async db =>
        {
            var customers = await db.Customers.ToDictionaryAsync(c => c.Slug, c => c.Id);
            var row = new CiamSystem
            {
                CustomerId = customers["contoso"], Name = ProviderName, ProviderType = CiamProviderType.Oidc, Authority = Provider.Issuer,
                ClientId = ClientId, ClientSecretProtected = protector.Protect(secret), ClientSecretSetAt = DateTime.UtcNow,
            };
            db.CiamSystems.Add(row);
            await db.SaveChangesAsync();
            return (customers["contoso"], customers["fabrikam"], row.Id);
        });
        await Services.GetRequiredService<ProviderSchemes>().RefreshAsync();

        string scheme = ProviderSchemes.SchemeFor(ProviderId);
        await Provider.StartAsync(
            [new ThirdPartyOidcProvider.Client(ClientId, secret, [$"{BaseUrl}/signin-{scheme}"], [$"{BaseUrl}/signout-callback-{scheme}"])],
            [new("hrd-someone", "someone@contoso-hrd.example", true, "Someone at Contoso")]);

        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    /// <summary>A fresh browser context (no cookies), which accepts the provider's test certificate.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true, ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        return await context.NewPageAsync();
    }

    /// <summary>Signs in as a demo persona through the development provider, as <see cref="PortalServer.SignInAsync"/> does.</summary>
    public async Task<IPage> SignInAsync(string personaText)
    {
        var page = await NewPageAsync();
        await page.GotoAsync(BaseUrl + "/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Development sign-in (OpenID Connect)" }).ClickAsync();
        await page.GetByRole(AriaRole.Button).Filter(new() { HasText = personaText }).First.ClickAsync();
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        return page;
    }

    public async Task<T> QueryAsync<T>(Func<App.Data.PortalDbContext, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("test"));
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<App.Data.PortalDbContext>>().CreateDbContextAsync();
        return await query(db);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        playwright?.Dispose();
        await Provider.DisposeAsync();
        await base.DisposeAsync();
        TempFolder.Delete(folder);
    }
}
