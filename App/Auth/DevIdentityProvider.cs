using System.Net;
using System.Security.Claims;
using AdminPortal.App.Data;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Tenancy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using Microsoft.Extensions.Options;
using OpenIddict.Server.AspNetCore;
using Microsoft.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace AdminPortal.App.Auth;

/// <summary>
/// An OpenID Connect provider inside the portal (OpenIddict: authorization code + PKCE, ephemeral keys), so that
/// <c>dotnet run</c> signs in through a real OIDC code flow with no cloud tenant. Its login page lists the seeded demo
/// personas. Development (or an explicit flag) and loopback only; start-up refuses it in Production.
/// </summary>
public static class DevIdentityProvider
{
    /// <summary>The authority stored in the development provider's ciam_systems row; its issuer URL changes with the port.</summary>
    public const string Authority = "urn:adminportal:dev-idp";
    public const string ClientId = "adminportal-dev";
    public const string LoginScheme = "DevIdpLogin";
    public const string PathPrefix = "/dev-idp";
    public const string LoginPath = PathPrefix + "/login";
    public const string UnknownPersona = "unknown";

    /// <summary>The two portal schemes that sign in against it: the generic OIDC handler and Microsoft.Identity.Web.</summary>
    public const string OidcScheme = "dev-oidc";
    public const string IdentityWebScheme = "dev-entra";

    public static bool IsEnabled(IConfiguration configuration, IHostEnvironment environment, DatabaseOptions database) =>
        configuration.GetValue("Auth:DevIdentityProvider", environment.IsDevelopment() && database.Provider == DatabaseProvider.Sqlite);

    public static void AddDevIdentityProvider(this IServiceCollection services)
    {
        services.TryAddSingleton<Security.ForwardedOrigins>();
        // Named per process: EF's in-memory stores of the same name are shared across a process (two test hosts).
        string store = "adminportal-dev-idp-" + Guid.NewGuid().ToString("N");
        services.AddDbContext<DevIdentityProviderDbContext>(options =>
        {
            options.UseInMemoryDatabase(store);
            options.UseOpenIddict();
        });
        services.AddOpenIddict()
            .AddCore(options =>
            {
                options.UseEntityFrameworkCore().UseDbContext<DevIdentityProviderDbContext>();
                options.ReplaceApplicationManager(typeof(DevApplicationManager<>));
            })
            .AddServer(options =>
            {
                options.SetAuthorizationEndpointUris(PathPrefix.TrimStart('/') + "/authorize")
                    .SetTokenEndpointUris(PathPrefix.TrimStart('/') + "/token");
                options.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
                options.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Email);
                options.AddEphemeralEncryptionKey().AddEphemeralSigningKey().DisableAccessTokenEncryption();
                options.UseAspNetCore().EnableAuthorizationEndpointPassthrough().DisableTransportSecurityRequirement();
            });

        // The provider's own short-lived login session: one sign-in, then gone, so every portal sign-in shows the picker.
        services.AddAuthentication().AddCookie(LoginScheme, options =>
        {
            options.Cookie.Name = "adminportal.dev-idp";
            options.Cookie.Path = PathPrefix;
            options.ExpireTimeSpan = TimeSpan.FromMinutes(2);
            options.LoginPath = LoginPath;
        });
    }

    public static void MapDevIdentityProvider(this WebApplication app)
    {
        // Registered once the server listens, because the redirect URIs carry its port.
        app.Lifetime.ApplicationStarted.Register(() => RegisterClientAsync(app.Services).GetAwaiter().GetResult());

        app.Use(async (context, next) =>
        {
            bool isProviderPath = context.Request.Path.StartsWithSegments(PathPrefix) || context.Request.Path.StartsWithSegments("/.well-known");
            // No address (a Unix socket, a proxy hop) counts as remote.
            if (isProviderPath && !(context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote)))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            await next();
        });

        // Typed as Func<…, Task<IResult>>: a bare method group taking HttpContext would bind as a RequestDelegate and drop the result.
        app.MapMethods(PathPrefix + "/authorize", [HttpMethods.Get, HttpMethods.Post], (Func<HttpContext, Task<IResult>>)AuthorizeAsync).AllowAnonymous();
        app.MapPost(LoginPath, LoginAsync).AllowAnonymous();
    }

    private static async Task<IResult> AuthorizeAsync(HttpContext context)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var login = await context.AuthenticateAsync(LoginScheme);
        if (!login.Succeeded)
        {
            string returnUrl = context.Request.PathBase + context.Request.Path + context.Request.QueryString;
            return Results.Redirect($"{LoginPath}?returnUrl={Uri.EscapeDataString(returnUrl)}");
        }

        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        foreach (var claim in login.Principal!.Claims.Where(c => c.Type is Claims.Subject or Claims.Name or Claims.Email or Claims.EmailVerified or "oid" or "tid"))
        {
            identity.AddClaim(new Claim(claim.Type, claim.Value));
        }

        identity.SetScopes(request.GetScopes());
        identity.SetDestinations(_ => [Destinations.IdentityToken, Destinations.AccessToken]);
        await context.SignOutAsync(LoginScheme);
        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>The login page's form: who to be. Builds the identity from the seeded user, as a real provider would.</summary>
    private static async Task<IResult> LoginAsync([FromForm] string persona, [FromForm] string returnUrl, IServiceProvider services, HttpContext context)
    {
        if (!returnUrl.StartsWith(PathPrefix + "/authorize?", StringComparison.Ordinal))
        {
            return Results.BadRequest("returnUrl must point at the authorization endpoint.");
        }

        var chosen = await FindPersonaAsync(services, persona);
        if (chosen is null)
        {
            return Results.BadRequest("Unknown persona.");
        }

        var identity = new ClaimsIdentity(LoginScheme);
        identity.AddClaim(new Claim(Claims.Subject, chosen.Subject));
        identity.AddClaim(new Claim(Claims.Name, chosen.Name));
        identity.AddClaim(new Claim(Claims.Email, chosen.Email));
        identity.AddClaim(new Claim(Claims.EmailVerified, "true"));
        if (chosen.AzureObjectId is not null && chosen.AzureTenantId is not null)
        {
            identity.AddClaim(new Claim("oid", chosen.AzureObjectId));
            identity.AddClaim(new Claim("tid", chosen.AzureTenantId));
        }

        await context.SignInAsync(LoginScheme, new ClaimsPrincipal(identity));
        return Results.LocalRedirect(returnUrl);
    }

    public sealed record Persona(string Key, string Subject, string Name, string Email, string Description, string? AzureObjectId, string? AzureTenantId);

    /// <summary>
    /// Who the login page offers: users linked to the development provider, legacy users and invited people with a portal
    /// role and no link yet (their first sign-in links them by email), and somebody the portal does not know.
    /// </summary>
    public static async Task<List<Persona>> ListPersonasAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("dev-idp"));
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var devProvider = await db.CiamSystems.AsNoTracking().FirstOrDefaultAsync(c => c.Authority == Authority);
        var personas = new List<Persona>();
        if (devProvider is not null)
        {
            var linked = await db.UserCiamMappings.AsNoTracking()
                .Where(m => m.CiamSystemId == devProvider.Id)
                .Select(m => new { m.ExternalSubject, m.User!.Id, m.User.DisplayName, m.User.Email, m.User.PortalRole, Customer = m.User.Customer!.Name, Site = m.User.Site!.Name, m.User.AzureObjectId, m.User.AzureTenantId })
                .ToListAsync();
            personas.AddRange(linked
                .OrderBy(u => u.PortalRole).ThenBy(u => u.Customer)
                .Select(u => new Persona(u.Id.ToString(), u.ExternalSubject, u.DisplayName, u.Email, Describe(u.PortalRole, u.Customer, u.Site), u.AzureObjectId, u.AzureTenantId)));

            var legacy = await db.Users.AsNoTracking()
                .Where(u => u.PortalRole != null && !db.UserCiamMappings.Any(m => m.UserId == u.Id && m.CiamSystemId == devProvider.Id))
                .Select(u => new { u.Id, u.DisplayName, u.Email, u.PortalRole, Customer = u.Customer!.Name, Site = u.Site!.Name, u.AzureObjectId, u.AzureTenantId, Invited = u.InvitedAt != null && u.InvitationAcceptedAt == null })
                .ToListAsync();
            // An invited person signs in here with the invited email, verified, as a real provider's new account would.
            personas.AddRange(legacy.Select(u => new Persona(
                u.Id.ToString(), $"dev-legacy-{u.Id}", u.DisplayName, u.Email,
                Describe(u.PortalRole, u.Customer, u.Site) + (u.Invited ? " · invited, first sign-in" : " · legacy account, not linked yet"), u.AzureObjectId, u.AzureTenantId)));
        }

        personas.Add(new Persona(UnknownPersona, "dev-unknown", "Someone unknown", "nobody@unknown.example", "Has no account in the portal", null, null));
        return personas;
    }

    private static string Describe(PortalRole? role, string customer, string site) => role switch
    {
        PortalRole.PlatformAdmin => "Platform admin · all customers",
        PortalRole.Editor => $"Editor · {customer} · {site}",
        PortalRole r => $"{SplitWords(r.ToString())} · {customer}",
        null => customer,
    };

    private static string SplitWords(string name) => SnakeCaseEnumConverter.ToSnakeCase(name).Replace('_', ' ') is var words ? char.ToUpperInvariant(words[0]) + words[1..] : name;

    private static async Task<Persona?> FindPersonaAsync(IServiceProvider services, string key) =>
        (await ListPersonasAsync(services)).FirstOrDefault(p => p.Key == key);

    private static async Task RegisterClientAsync(IServiceProvider services)
    {
        var addresses = services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var bases = addresses.SelectMany(LoopbackVariants).Distinct().ToList();
        await using var scope = services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = ClientId,
            ClientType = ClientTypes.Public,
            DisplayName = "AdminPortal (development)",
            Permissions =
            {
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.Token,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.ResponseTypes.Code,
                Permissions.Scopes.Email,
                Permissions.Scopes.Profile,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        foreach (string baseUrl in bases)
        {
            descriptor.RedirectUris.Add(new Uri($"{baseUrl}/signin-{OidcScheme}"));
            descriptor.RedirectUris.Add(new Uri($"{baseUrl}/signin-{IdentityWebScheme}"));
        }

        await manager.CreateAsync(descriptor);
    }

    /// <summary>The loopback base URLs a browser may use for this server: 127.0.0.1 and localhost, on its port.</summary>
    public static IEnumerable<string> LoopbackVariants(string address)
    {
        var uri = new Uri(address.Replace("//+", "//localhost").Replace("//*", "//localhost").Replace("[::]", "localhost").Replace("0.0.0.0", "localhost"));
        yield return $"{uri.Scheme}://127.0.0.1:{uri.Port}";
        yield return $"{uri.Scheme}://localhost:{uri.Port}";
    }

    /// <summary>Where the portal reaches the provider's discovery document: its own first address, on loopback.</summary>
    public static string MetadataAddress(IServer server)
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        string address = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal)) ?? addresses.First();
        return LoopbackVariants(address).First() + "/.well-known/openid-configuration";
    }
}

/// <summary>
/// The development client accepts its registered redirect URIs and, on the same loopback origins, the callback of any
/// provider added in the portal (<c>/signin-ciam-{id}</c>), so that a provider pointed at the embedded IdP works at once.
/// Behind a trusted reverse proxy it accepts the same callback paths on the proxy's public origin too (only a proxy
/// named in <c>ForwardedHeaders</c> can make an origin known: <see cref="Security.ForwardedOrigins"/>).
/// </summary>
internal sealed class DevApplicationManager<TApplication>(
    IOpenIddictApplicationCache<TApplication> cache,
    ILogger<OpenIddictApplicationManager<TApplication>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictApplicationStore<TApplication> store,
    Security.ForwardedOrigins forwardedOrigins) : OpenIddictApplicationManager<TApplication>(cache, logger, options, store)
    where TApplication : class
{
    public override async ValueTask<bool> ValidateRedirectUriAsync(TApplication application, string uri, CancellationToken cancellationToken = default)
    {
        if (await base.ValidateRedirectUriAsync(application, uri, cancellationToken))
        {
            return true;
        }

        string prefix = "/signin-" + Features.IdentityProviders.ProviderSchemes.SchemePrefix;
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var candidate) || candidate.Query.Length > 0 || candidate.Fragment.Length > 0)
        {
            return false;
        }

        string path = candidate.AbsolutePath;
        bool developmentCallback = path == "/signin-" + DevIdentityProvider.OidcScheme || path == "/signin-" + DevIdentityProvider.IdentityWebScheme;
        bool portalProviderCallback = path.StartsWith(prefix, StringComparison.Ordinal) && path.Length > prefix.Length && path[prefix.Length..].All(char.IsAsciiDigit);
        if (!developmentCallback && !portalProviderCallback)
        {
            return false;
        }

        string origin = candidate.GetLeftPart(UriPartial.Authority);
        if (forwardedOrigins.Contains(origin))
        {
            return true;
        }

        return portalProviderCallback && (await GetRedirectUrisAsync(application, cancellationToken))
            .Any(registered => Uri.TryCreate(registered, UriKind.Absolute, out var known) && known.GetLeftPart(UriPartial.Authority) == origin);
    }
}

/// <summary>OpenIddict's stores for the development provider, in memory: nothing of it outlives the process.</summary>
public sealed class DevIdentityProviderDbContext(DbContextOptions<DevIdentityProviderDbContext> options) : DbContext(options);
