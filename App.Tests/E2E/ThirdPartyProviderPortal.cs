using Microsoft.AspNetCore.DataProtection;
using AdminPortal.App.Auth;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// The real portal (as <see cref="PortalServer"/>) with two providers configured the way the README tells a customer
/// to: a generic OpenID Connect provider (<c>Authentication:Oidc:Partner</c>) and an Entra-shaped one through
/// Microsoft.Identity.Web (<c>Authentication:Entra:Contoso</c>), both pointing at a real, independent OpenID provider
/// (<see cref="ThirdPartyOidcProvider"/>, panva's oidc-provider over https on loopback).
/// </summary>
public sealed class ThirdPartyProviderPortal : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string GenericScheme = "oidc-partner";
    public const string GenericButton = "Partner sign-in";
    public const string EntraScheme = "entra-contoso";
    public const string EntraButton = "Contoso sign-in (Entra)";
    public const string RuntimeButton = "Fabrikam SSO";
    public const string RuntimeClientId = "portal-runtime";

    /// <summary>The email of the provider's invited accounts (nobody in the demo data has it).</summary>
    public const string InviteeEmail = "invited.partner@partner.example";

    private readonly string folder = Directory.CreateTempSubdirectory("adminportal-e2e-idp-").FullName;
    private readonly HttpClient backchannel;
    private IPlaywright? playwright;

    public ThirdPartyProviderPortal()
    {
        UseKestrel(0);
        backchannel = new HttpClient(Provider.CreateTrustingHandler()) { Timeout = TimeSpan.FromSeconds(30) };
    }

    public ThirdPartyOidcProvider Provider { get; } = new();

    /// <summary>A second, separate oidc-provider for the provider added in the portal (a <c>ciam_systems</c> row, scheme <c>ciam-&lt;id&gt;</c>).</summary>
    public ThirdPartyOidcProvider RuntimeProvider { get; } = new();

    /// <summary>The runtime provider's row id; its scheme is <c>ciam-&lt;id&gt;</c>.</summary>
    public long RuntimeProviderId { get; private set; }

    public string RuntimeSecret { get; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>The Entra-shaped tenant id: a tenant segment as Entra's authorities have one.</summary>
    public string TenantId { get; } = Guid.NewGuid().ToString();

    public string BaseUrl { get; private set; } = "";

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The legacy support user (password + Azure ids, not linked to any provider yet) the accounts are built on.</summary>
    public (long Id, string Email, string DisplayName, string AzureObjectId, string AzureTenantId) Legacy { get; private set; }

    public TimeSpan ProviderStartTime => Provider.StartTime;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:Portal", $"Data Source={Path.Combine(folder, "portal.db")}");
        builder.UseSetting("urls", "http://127.0.0.1:0");
        builder.UseSetting("RateLimits:SignIn:PermitLimit", "100000");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Warning");

        // Exactly the settings the README documents; secrets are made per run.
        builder.UseSetting("Authentication:Oidc:Partner:Authority", Provider.Issuer);
        builder.UseSetting("Authentication:Oidc:Partner:ClientId", "portal-generic");
        builder.UseSetting("Authentication:Oidc:Partner:ClientSecret", GenericSecret);
        builder.UseSetting("Authentication:Oidc:Partner:DisplayName", GenericButton);
        builder.UseSetting("Authentication:Entra:Contoso:Instance", Provider.Issuer + "/");
        builder.UseSetting("Authentication:Entra:Contoso:TenantId", TenantId);
        builder.UseSetting("Authentication:Entra:Contoso:ClientId", "portal-entra");
        builder.UseSetting("Authentication:Entra:Contoso:ClientSecret", EntraSecret);
        builder.UseSetting("Authentication:Entra:Contoso:DisplayName", EntraButton);

        builder.ConfigureTestServices(services =>
        {
            // TESTS ONLY. The runtime scheme's backchannel and the connection test trust the throw-away test CA too.
            services.AddSingleton<Microsoft.Extensions.Options.IConfigureOptions<OpenIdConnectOptions>>(new TrustTestCaForRuntimeSchemes(RuntimeProvider));
            services.AddHttpClient(ProviderConnectionTester.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => new MultiCaHandler(Provider, RuntimeProvider));
            // TESTS ONLY. The backchannel (discovery, keys, token redemption) trusts the throw-away test CA, for these
            // two schemes only. Options set with Configure run before the handlers' PostConfigure builds its client.
            services.Configure<OpenIdConnectOptions>(GenericScheme, options =>
            {
                options.Backchannel = backchannel;
                options.RefreshInterval = TimeSpan.FromSeconds(1); // see the Entra scheme below
            });
            services.Configure<OpenIdConnectOptions>(EntraScheme, options =>
            {
                options.Backchannel = backchannel;
                // Microsoft.Identity.Web against a non-Microsoft authority (DESIGN.md, Identity): it builds
                // {Instance}{TenantId}/v2.0 as the authority and validates issuers with the AAD validator, which
                // rejects every other issuer. Point it at the provider's own discovery document, and let the standard
                // validator check the issuer against it. Never relaxed outside tests and the development provider.
                options.Authority = Provider.Issuer;
                options.MetadataAddress = Provider.Issuer + "/.well-known/openid-configuration";
                options.TokenValidationParameters.IssuerValidator = null;
                // The key-rotation tests refresh this scheme's keys more than once per run: IdentityModel honours one
                // refresh request per RefreshInterval (five minutes by default).
                options.RefreshInterval = TimeSpan.FromSeconds(1);
            });
        });
    }

    private string GenericSecret { get; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    private string EntraSecret { get; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    public async Task InitializeAsync()
    {
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseUrl = addresses.First().Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1").TrimEnd('/');

        var legacy = await QueryAsync(db => db.Users.Where(u => u.PortalRole == PortalRole.Support && u.OidcSubject == null)
            .Select(u => new { u.Id, u.Email, u.DisplayName, u.AzureObjectId, u.AzureTenantId }).SingleAsync());
        Legacy = (legacy.Id, legacy.Email, legacy.DisplayName, legacy.AzureObjectId!, legacy.AzureTenantId!);

        // The README's one-source-of-truth rule: a configured provider signs in for the enabled ciam_systems row with
        // its authority. Created here only where start-up has not created it already.
        var providers = Services.GetRequiredService<SignInProviders>();
        await EnsureCiamSystemAsync("Partner", CiamProviderType.Oidc, providers.Find(GenericScheme)!.CiamAuthority, "portal-generic");
        await EnsureCiamSystemAsync("Contoso", CiamProviderType.EntraId, providers.Find(EntraScheme)!.CiamAuthority, "portal-entra");

        // The provider a platform admin adds in the portal: a platform-wide row with a client secret, as the detail page saves it.
        var protector = Services.GetRequiredService<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>().CreateProtector(ProviderSchemes.ClientSecretPurpose);
        RuntimeProviderId = await QueryAsync(async db =>
        {
            var row = new CiamSystem
            {
                Name = RuntimeButton, ProviderType = CiamProviderType.Oidc, Authority = RuntimeProvider.Issuer, ClientId = RuntimeClientId,
                ClientSecretProtected = protector.Protect(RuntimeSecret), ClientSecretSetAt = DateTime.UtcNow, IsEnabled = true,
            };
            db.CiamSystems.Add(row);
            await db.SaveChangesAsync();
            return row.Id;
        });
        await Services.GetRequiredService<ProviderSchemes>().RefreshAsync();
        string runtimeScheme = ProviderSchemes.SchemeFor(RuntimeProviderId);
        await RuntimeProvider.StartAsync(
            [new(RuntimeClientId, RuntimeSecret, [$"{BaseUrl}/signin-{runtimeScheme}"], [$"{BaseUrl}/signout-callback-{runtimeScheme}", $"{BaseUrl}/signin"])],
            [new("runtime-support-1", Legacy.Email, true, Legacy.DisplayName)]);

        ThirdPartyOidcProvider.Client ClientFor(string id, string secret, string scheme) =>
            new(id, secret, [$"{BaseUrl}/signin-{scheme}"], [$"{BaseUrl}/signout-callback-{scheme}", $"{BaseUrl}/signin"]);
        await Provider.StartAsync(
            [ClientFor("portal-generic", GenericSecret, GenericScheme), ClientFor("portal-entra", EntraSecret, EntraScheme)],
            [
                // The seeded legacy user, by a verified email only (no Entra ids): links by the email rule.
                new("partner-support-1", Legacy.Email, true, Legacy.DisplayName),
                // Someone else, whose email matches nobody, carrying the legacy user's real Entra object and tenant ids.
                new("partner-mallory", "mallory@partner.example", true, "Mallory", Legacy.AzureObjectId, Legacy.AzureTenantId),
                // A person invited to the portal (InvitationsThirdPartyBrowserTests), once with the email verified, once not.
                new("partner-invitee", InviteeEmail, true, "Invited Partner"),
                new("partner-invitee-unverified", InviteeEmail, false, "Invited Partner"),
            ]);

        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    private async Task EnsureCiamSystemAsync(string name, CiamProviderType type, string authority, string clientId)
    {
        string trimmed = authority.TrimEnd('/');
        await QueryAsync(async db =>
        {
            if (await db.CiamSystems.AnyAsync(c => c.Authority == trimmed || c.Authority == trimmed + "/"))
            {
                return 0;
            }

            db.CiamSystems.Add(new CiamSystem { Name = name, ProviderType = type, Authority = trimmed, ClientId = clientId });
            return await db.SaveChangesAsync();
        });
    }

    /// <summary>A fresh browser context (no provider session), which accepts the provider's test certificate.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true });
        context.SetDefaultNavigationTimeout(90_000); // page loads on a loaded machine; assertions keep their own timeouts
        return await context.NewPageAsync();
    }

    /// <summary>Clicks the provider's button on the sign-in page and signs in on oidc-provider's own login form.</summary>
    public async Task SignInThroughProviderAsync(IPage page, string button, string login)
    {
        var trail = new List<string>();
        page.Response += (_, r) => { lock (trail) trail.Add($"{r.Status} {r.Request.Method} {r.Url}"); };
        page.RequestFailed += (_, r) => { lock (trail) trail.Add($"FAILED {r.Method} {r.Url}: {r.Failure}"); };
        page.Console += (_, m) => { lock (trail) trail.Add($"console: {m.Text}"); };
        await page.GotoAsync(BaseUrl + "/");
        await page.GetByRole(AriaRole.Link, new() { Name = button }).ClickAsync();
        try
        {
            await page.Locator("input[name=login]").WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });
        }
        catch (TimeoutException)
        {
            // Say where the browser ended up instead of the login form, and what the provider printed.
            string text = await page.Locator("body").InnerTextAsync();
            throw new InvalidOperationException($"No login form at {page.Url}: {text[..Math.Min(text.Length, 600)]}\nRequests:\n{string.Join("\n", trail)}\nProvider output:\n{Provider.Output}");
        }

        await page.Locator("input[name=login]").FillAsync(login);
        await page.Locator("input[name=password]").FillAsync("any password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign-in" }).ClickAsync();
    }

    /// <summary>Signs in through the embedded development provider as a seeded persona (the platform admin, say).</summary>
    public async Task<IPage> SignInAsPersonaAsync(string personaText)
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
        scope.ServiceProvider.GetRequiredService<App.Tenancy.TenantContext>().Use(App.Tenancy.TenantScope.System("test"));
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
        await RuntimeProvider.DisposeAsync();
        await base.DisposeAsync();
        backchannel.Dispose();
        TempFolder.Delete(folder);
    }
}

/// <summary>TESTS ONLY: the runtime schemes' backchannel trusts the test CA of the runtime provider (after the portal's own configuration).</summary>
internal sealed class TrustTestCaForRuntimeSchemes(ThirdPartyOidcProvider provider) : Microsoft.Extensions.Options.IConfigureNamedOptions<OpenIdConnectOptions>
{
    private readonly Lazy<HttpMessageHandler> handler = new(provider.CreateTrustingHandler);

    public void Configure(string? name, OpenIdConnectOptions options)
    {
        if (name?.StartsWith(ProviderSchemes.SchemePrefix, StringComparison.Ordinal) == true)
        {
            options.BackchannelHttpHandler = handler.Value;
            options.RefreshInterval = TimeSpan.FromSeconds(1); // key-rotation tests: one refresh per second, not per five minutes
        }
    }

    public void Configure(OpenIdConnectOptions options) => Configure(Microsoft.Extensions.Options.Options.DefaultName, options);
}

/// <summary>TESTS ONLY: the connection test's client, trusting either provider's test CA (each provider has its own), by port.</summary>
internal sealed class MultiCaHandler(ThirdPartyOidcProvider first, ThirdPartyOidcProvider second) : HttpMessageHandler
{
    private readonly HttpMessageInvoker firstClient = new(first.CreateTrustingHandler());
    private readonly HttpMessageInvoker secondClient = new(second.CreateTrustingHandler());

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        (request.RequestUri!.Port == second.Port ? secondClient : firstClient).SendAsync(request, cancellationToken);
}
